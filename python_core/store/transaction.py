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
import time
from collections.abc import Iterator

#: While another connection holds the write lock, BEGIN IMMEDIATE is retried this often
#: for up to the connection's busy timeout. SQLite's own busy handler sleeps 1, 2, 5, 10,
#: ... 100 ms between tries, so a reader closing a book while a sync commits every few
#: milliseconds waited 10-40 ms for a lock that was free again after 1-2 ms.
LOCK_POLL_SECONDS = 0.0005


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    _begin_immediate(conn)
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


def _begin_immediate(conn: sqlite3.Connection) -> None:
    """Take the write lock, trying again every LOCK_POLL_SECONDS (the sleep lets other
    threads run) for as long as the connection's busy timeout, instead of in SQLite's
    coarse busy handler, which is off for this one statement."""
    timeout_ms = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    deadline = time.monotonic() + timeout_ms / 1000
    conn.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(LOCK_POLL_SECONDS)
    finally:
        conn.execute(f"PRAGMA busy_timeout={int(timeout_ms)}")


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _rollback_if_open(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")
