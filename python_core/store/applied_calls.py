"""`applied_calls`: the ids of the plugin's reading calls that the core has applied.

When the core runs as a sidecar, the plugin may not learn whether a call arrived (the
process was killed mid-call); it then keeps the call in its journal under the same id,
and the journal's ingest skips an id found here. The id is recorded in the transaction
that applied the call, so a call is applied exactly once however often it is replayed.
"""

from __future__ import annotations

import sqlite3

SEEN = "SELECT 1 FROM applied_calls WHERE call_id = ?"
MARK = "INSERT OR IGNORE INTO applied_calls (call_id, applied_at) VALUES (?, ?)"
FORGET_BEFORE = "DELETE FROM applied_calls WHERE applied_at < ?"


def seen(conn: sqlite3.Connection, call_id: str) -> bool:
    return conn.execute(SEEN, (call_id,)).fetchone() is not None


def mark(conn: sqlite3.Connection, call_id: str, now: str) -> None:
    conn.execute(MARK, (call_id, now))


def forget_before(conn: sqlite3.Connection, cutoff: str) -> int:
    """Drop ids older than `cutoff` (a journal is ingested within days, not months)."""
    return conn.execute(FORGET_BEFORE, (cutoff,)).rowcount
