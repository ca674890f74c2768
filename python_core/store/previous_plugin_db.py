"""Reading the previous BookLore plugin's database (other-plugin-db.md, schema 21).

Its whole SQL surface is here, as named queries, run on a scratch copy of the kept file
(never on the reader's file itself). Older schema versions lack some tables or columns:
a query that finds its table or column missing answers no rows, and the adoption takes
over what the file has.
"""

from __future__ import annotations

import sqlite3
from typing import Any

READS = {
    "pending_sessions": "SELECT * FROM pending_sessions ORDER BY id",
    "uploaded_sessions": "SELECT * FROM historical_sessions WHERE synced = 1 ORDER BY id",
    "staged_sessions": "SELECT count(*) AS n FROM historical_sessions WHERE synced = 0",
    "book_cache": "SELECT * FROM book_cache ORDER BY id",
    "pending_ratings": "SELECT * FROM pending_ratings ORDER BY id",
    "uploaded_ratings": """
        SELECT book_cache_id, rating FROM book_metadata
        WHERE rating_synced = 1 AND rating IS NOT NULL ORDER BY id""",
    "pending_annotations": "SELECT * FROM pending_annotations ORDER BY id",
    "uploaded_annotations": "SELECT * FROM synced_annotations ORDER BY id",
    "settings": "SELECT key, value FROM plugin_settings ORDER BY key",
    "pending_bookmarks": "SELECT count(*) AS n FROM pending_bookmarks",
    "pending_deletions": "SELECT count(*) AS n FROM pending_deletions",
}


def read_all(conn: sqlite3.Connection) -> dict[str, list[dict[str, Any]]]:
    """Every table the adoption looks at, as lists of plain dicts."""
    return {name: _rows(conn, sql) for name, sql in READS.items()}


def _rows(conn: sqlite3.Connection, sql: str) -> list[dict[str, Any]]:
    try:
        cursor = conn.execute(sql)
    except sqlite3.OperationalError:  # no such table / column in this schema version
        return []
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor]
