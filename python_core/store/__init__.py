"""The store layer: the only place in BookLore Sync that holds SQL.

`db` owns the connection and transactions, `schema` the migrations; the other modules
hold each table group's whole SQL surface as named constants with every value bound.
"""

from python_core.store.db import DB_FILENAME, Database

__all__ = ["DB_FILENAME", "Database"]
