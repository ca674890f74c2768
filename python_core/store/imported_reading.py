"""What the history import needs of the store: the reading already known for a book, and
the record of each imported sitting.

`imported_reading` keeps every imported sitting's span (epoch seconds) for good, so a
re-import adds nothing even after the queue was cleared or the sittings uploaded and the
history pruned; queued and uploaded sessions count as known reading too, so reading the
plugin recorded live is never imported again.
"""

from __future__ import annotations

import sqlite3

KNOWN_SESSIONS = """
    SELECT start_time, end_time FROM pending_sessions WHERE book_hash = ?
    UNION ALL
    SELECT start_time, end_time FROM historical_sessions WHERE book_hash = ?"""
IMPORTED_SPANS = "SELECT start_time, end_time FROM imported_reading WHERE book_hash = ?"
RECORD_SPAN = """
    INSERT INTO imported_reading (book_hash, start_time, end_time) VALUES (?, ?, ?)
    ON CONFLICT (book_hash, start_time) DO UPDATE SET
        end_time = max(imported_reading.end_time, excluded.end_time)"""


def known_sessions(conn: sqlite3.Connection, book_hash: str) -> list[tuple[str, str]]:
    """(start, end) of the book's queued and uploaded sessions, as stored (ISO text)."""
    return [tuple(row) for row in conn.execute(KNOWN_SESSIONS, (book_hash, book_hash))]


def imported_spans(conn: sqlite3.Connection, book_hash: str) -> list[tuple[int, int]]:
    return [tuple(row) for row in conn.execute(IMPORTED_SPANS, (book_hash,))]


def record_span(conn: sqlite3.Connection, book_hash: str, start: int, end: int) -> None:
    conn.execute(RECORD_SPAN, (book_hash, start, end))
