"""BookLore Sync core: the offline queue, fingerprints, the BookLore client and the sync engine.

Plain Python with no knowledge of Lua. `python_core.facade.BookLoreSync` is the one entry
point the bridge and the command line use; everything it returns is plain data.
"""

__version__ = "0.1.0"
