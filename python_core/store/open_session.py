"""`open_session`: the reading session in progress, saved as it goes.

One row at most (a device reads one book at a time), stored as JSON so a person can read
it with `sqlite3`. If the process dies with a row here, the next start turns it into a
finished session ending at its last recorded activity.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

SAVE = """
    INSERT INTO open_session (slot, data, updated_at) VALUES (1, ?, ?)
    ON CONFLICT (slot) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at"""
LOAD = "SELECT data FROM open_session WHERE slot = 1"
DROP = "DELETE FROM open_session WHERE slot = 1"


def save(conn: sqlite3.Connection, state: dict[str, Any], now: str) -> None:
    conn.execute(SAVE, (json.dumps(state, sort_keys=True), now))


def load(conn: sqlite3.Connection) -> dict[str, Any] | None:
    row = conn.execute(LOAD).fetchone()
    return None if row is None else json.loads(row[0])


def drop(conn: sqlite3.Connection) -> None:
    conn.execute(DROP)
