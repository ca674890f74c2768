"""The core as a process beside a real KOReader (`booklore-sync serve`).

In a real KOReader, Lua is the host process, so the core cannot live inside it: it runs
as this sidecar on 127.0.0.1, and the plugin's own client (`bookloresync/core.lua`)
provides `bookloresync/core` over the socket, with the same calls (`python_core/calls.py`)
the in-process host serves. `protocol` is the line format, `instance` the one server per
settings folder and the files it shares with the plugin, `runner` how calls are applied
(once each, in order), `journal` what the plugin kept while no core ran, `server` the
listener. Pure Python 3.9 and the standard library: this runs on e-readers.
"""
