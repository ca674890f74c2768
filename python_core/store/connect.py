"""Every SQLite connection the store opens, with cursors that cannot crash PyPy.

PyPy's sqlite3 is pure Python over cffi, and its cursors are freed by the garbage
collector, not by reference counts. A cursor that became garbage keeps a pointer to its
prepared statement; when its connection is closed before the collector runs the cursor's
finalizer, the close frees the statement and the finalizer later resets freed memory: a
segfault on whichever thread collects next (PyPy 7.3.11, Debian's Python 3.9; seen in the
chaos test on the drain's commit thread, reproduced in tests/test_store_connect.py). A
cursor that was closed drops its statement, so there every `execute` reads its rows at
once and closes its cursor before returning them. CPython frees a cursor as soon as the
last reference goes and gets the plain connection, rows read lazily as before.
"""

from __future__ import annotations

import contextlib
import sqlite3
import sys
from collections.abc import Iterator
from typing import Any

#: True where cursors must be closed by hand (see the module's docstring).
CLOSE_CURSORS = sys.implementation.name == "pypy"


def connect(database: Any, **options: Any) -> sqlite3.Connection:
    """`sqlite3.connect`, with the closing connection where the interpreter needs it."""
    if CLOSE_CURSORS:
        options.setdefault("factory", ClosingConnection)
    return sqlite3.connect(database, **options)


@contextlib.contextmanager
def streaming(conn: sqlite3.Connection, sql: str,
              parameters: Any = ()) -> Iterator[sqlite3.Cursor]:
    """A cursor whose rows are read as they are asked for, closed on leaving: for the
    readers that stream (a million page visits; a salvage that keeps every row read
    before a broken page), on either interpreter."""
    cursor = conn.cursor()
    try:
        cursor.execute(sql, parameters)
        yield cursor
    finally:
        cursor.close()


class ReadCursor:
    """What a closed cursor left: its rows and counts, read like a cursor's."""

    __slots__ = ("_rows", "_next", "lastrowid", "rowcount", "description")

    def __init__(self, cursor: sqlite3.Cursor):
        self._rows = cursor.fetchall()
        self._next = 0
        self.lastrowid = cursor.lastrowid
        self.rowcount = cursor.rowcount
        self.description = cursor.description

    def fetchone(self) -> Any:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchmany(self, size: int = 1) -> list:
        rows = self._rows[self._next:self._next + size]
        self._next += len(rows)
        return rows

    def fetchall(self) -> list:
        rows = self._rows[self._next:]
        self._next = len(self._rows)
        return rows

    def __iter__(self):
        return iter(self.fetchall())

    def close(self) -> None:
        self._rows = []


class ClosingConnection(sqlite3.Connection):
    """A connection whose `execute`, `executemany` and `executescript` close their cursor."""

    def execute(self, sql: str, parameters: Any = ()) -> ReadCursor:  # type: ignore[override]
        return self._closed_after(lambda cursor: cursor.execute(sql, parameters))

    def executemany(self, sql: str, seq: Any) -> ReadCursor:  # type: ignore[override]
        return self._closed_after(lambda cursor: cursor.executemany(sql, seq))

    def executescript(self, script: str) -> ReadCursor:  # type: ignore[override]
        return self._closed_after(lambda cursor: cursor.executescript(script))

    def _closed_after(self, run) -> ReadCursor:
        cursor = self.cursor()
        try:
            run(cursor)
            return ReadCursor(cursor)
        finally:
            cursor.close()
