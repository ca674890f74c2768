"""What sits where our database should be, found without writing a single byte.

The previous BookLore plugin keeps a `booklore-sync.sqlite` of its own in the same folder
(other-plugin-db.md). Opening it the normal way would already change it (switching to WAL
rewrites its header) and our migrations would then fail on its tables, so the file is
first looked at through an `immutable=1` connection, which takes no lock and creates no
`-wal`, `-shm` or `-journal` file, and only then opened for real (ours, or new) or handed
to the adoption (the previous plugin's), or refused untouched (anything else).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import NamedTuple

from python_core.store import health
from python_core.store.connect import connect

NEW, OURS, PREVIOUS_PLUGIN, UNKNOWN = "new", "ours", "previous_plugin", "unknown"
#: A SQLite file (it has the header) whose first pages cannot be read: ours, truncated or
#: damaged, most likely; `booklore-sync doctor` saves what can be read.
DAMAGED = "damaged"

TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
PREVIOUS_PLUGIN_VERSION = "SELECT max(version) FROM schema_version"
#: Our own tables, by a column only our schema has.
OUR_MARK = ("settings", "type")
#: The previous plugin's: its migration log, and its cache keyed by `file_hash`.
PREVIOUS_MARKS = (("schema_version", "version"), ("book_cache", "file_hash"),
                  ("pending_sessions", "book_hash"))


class FileKind(NamedTuple):
    kind: str
    version: int | None = None    # the previous plugin's schema version
    detail: str = ""              # for UNKNOWN: what was found instead; DAMAGED: why


def recognise(path: Path) -> FileKind:
    if not path.exists() or path.stat().st_size == 0:
        return FileKind(NEW)
    try:
        conn = connect(f"{path.resolve().as_uri()}?immutable=1", uri=True)
    except sqlite3.Error as exc:
        return FileKind(UNKNOWN, detail=str(exc))
    try:
        return _kind_of(conn)
    except sqlite3.DatabaseError as exc:
        if health.looks_like_sqlite(path):
            return FileKind(DAMAGED, detail=str(exc))
        return FileKind(UNKNOWN, detail=f"it is not a SQLite database ({exc})")
    finally:
        conn.close()


def _kind_of(conn: sqlite3.Connection) -> FileKind:
    tables = {row[0] for row in conn.execute(TABLES)}
    if not tables:
        return FileKind(NEW)
    if _has_column(conn, tables, *OUR_MARK):
        return FileKind(OURS)
    if all(_has_column(conn, tables, table, column) for table, column in PREVIOUS_MARKS):
        version = conn.execute(PREVIOUS_PLUGIN_VERSION).fetchone()[0]
        return FileKind(PREVIOUS_PLUGIN, version if isinstance(version, int) else None)
    shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
    return FileKind(UNKNOWN, detail=f"its tables are {shown}")


def _has_column(conn: sqlite3.Connection, tables: set[str], table: str, column: str) -> bool:
    if table not in tables:
        return False
    # PRAGMA arguments cannot be bound; `table` is one of the constant names above.
    return any(row[1] == column for row in conn.execute(f"PRAGMA table_info({table})"))
