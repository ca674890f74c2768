"""One write transaction on a connection, shared by `Database.atomic()` and the migrations.

It starts with `BEGIN IMMEDIATE` (the write lock up front) and is ended exactly once,
whatever happens: an error rolls it back, and so does a COMMIT that itself fails. The
second case is the one that matters on e-reader file systems without WAL, where a reader
holding a shared lock makes COMMIT fail with "database is locked" and leaves the
connection inside the transaction; without the rollback every later transaction on that
connection would fail with "cannot start a transaction within a transaction". A failed
statement may already have ended the transaction itself, so ROLLBACK runs only while one
is still open (as sqlite-utils' `atomic()` does).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        _rollback_if_open(conn)
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:
        _rollback_if_open(conn)
        raise


def _rollback_if_open(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")
