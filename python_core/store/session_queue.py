"""The reading-session queue: `pending_sessions` and `historical_sessions`.

A session's life is insert → (mark sending → move to history) with every step its own
short transaction, and the move that follows a 2xx is one transaction that copies the
rows to `historical_sessions` and deletes them from the queue: there is no moment at
which a session is in neither table or in both.

"Being sent" is one row in `sending_batches` per request (the JSON list of its session
ids), not a flag on each session: marking 100 interleaved rows would rewrite up to 100
pages per batch. Whatever ends the attempt (success, failure, release) removes the
marker in its own transaction; a marker left by a sync that died is turned into
`unconfirmed_sends + 1` on its sessions by `release_stale_sends`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

SESSION_FIELDS = (
    "book_id", "book_hash", "book_type", "title", "start_time", "end_time",
    "duration_seconds", "start_progress", "end_progress", "start_location",
    "end_location", "pages_read", "created_at",
)

INSERT_SESSION = f"""
    INSERT INTO pending_sessions ({", ".join(SESSION_FIELDS)})
    SELECT {", ".join("?" for _ in SESSION_FIELDS)}
    WHERE NOT EXISTS (SELECT 1 FROM historical_sessions WHERE book_hash = ? AND start_time = ?)
    ON CONFLICT (book_hash, start_time) DO NOTHING"""
BOOK_GROUPS = """
    SELECT book_id, book_type FROM pending_sessions
    WHERE book_id IS NOT NULL GROUP BY book_id, book_type ORDER BY min(id)"""
NEXT_CHUNK = """
    SELECT * FROM pending_sessions
    WHERE book_id = ? AND book_type = ? AND id > ? ORDER BY id LIMIT ?"""
#: The same, leaving out sessions in doubt: an earlier send of theirs got no answer and
#: nothing has shown yet whether the server stored it.
NEXT_CONFIRMED_CHUNK = """
    SELECT * FROM pending_sessions
    WHERE book_id = ? AND book_type = ? AND id > ? AND unconfirmed_sends <= unconfirmed_checked
    ORDER BY id LIMIT ?"""
IN_DOUBT_BOOKS = """
    SELECT book_id, min(start_time) FROM pending_sessions
    WHERE book_id IS NOT NULL AND unconfirmed_sends > unconfirmed_checked
    GROUP BY book_id ORDER BY min(id)"""
IN_DOUBT_OF_BOOK = """
    SELECT * FROM pending_sessions
    WHERE book_id = ? AND unconfirmed_sends > unconfirmed_checked ORDER BY id"""
CLEAR_DOUBT = """
    UPDATE pending_sessions SET unconfirmed_checked = unconfirmed_sends WHERE id IN ({ids})"""
#: The next chunk with each row's upload item built by SQLite as JSON text (the same item
#: as `reading.sessions.upload_item`, tests/test_session_items.py proves it), so a drain
#: spends no interpreter time building items or encoding them. `item` is NULL for a row
#: that is not plainly valid (a time not in the canonical form, a location long enough
#: that UTF-16 units matter, a value of the wrong type): Python builds, or refuses, those.
#: ?1 book_id, ?2 book_type, ?3 after id, ?4 limit, ?5 confirmed only, ?6 10**decimals.
CHUNK_ITEMS = """
    WITH chunk AS (
        SELECT id, start_time, end_time, start_location, end_location,
            strftime('%Y-%m-%dT%H:%M:%SZ', julianday(start_time)) IS start_time
            AND strftime('%Y-%m-%dT%H:%M:%SZ', julianday(end_time)) IS end_time
            AND typeof(duration_seconds) = 'integer'
            AND typeof(start_progress) IN ('real', 'integer', 'null')
            AND typeof(end_progress) IN ('real', 'integer', 'null')
            AND coalesce(length(start_location), 0) <= 250
            AND coalesce(length(end_location), 0) <= 250 AS plain,
            CAST(min(100.0, max(0.0, coalesce(start_progress, 0.0))) * ?6 + 0.5 AS INTEGER)
                / ?6 AS sp,
            CAST(min(100.0, max(0.0, coalesce(end_progress, 0.0))) * ?6 + 0.5 AS INTEGER)
                / ?6 AS ep,
            max(0, duration_seconds) AS d
        FROM pending_sessions
        WHERE book_id = ?1 AND book_type = ?2 AND id > ?3
          AND (NOT ?5 OR unconfirmed_sends <= unconfirmed_checked)
        ORDER BY id LIMIT ?4)
    SELECT id, CASE WHEN plain THEN json_object(
        'startTime', start_time,
        'endTime', CASE WHEN end_time < start_time THEN start_time ELSE end_time END,
        'durationSeconds', d,
        'durationFormatted', CASE
            WHEN d >= 3600 THEN printf('%dh %dm %ds', d / 3600, d % 3600 / 60, d % 60)
            WHEN d >= 60 THEN printf('%dm %ds', d / 60, d % 60)
            ELSE printf('%ds', d) END,
        'startProgress', sp,
        'endProgress', ep,
        'progressDelta', CASE WHEN ep - sp >= 0 THEN CAST((ep - sp) * ?6 + 0.5 AS INTEGER) / ?6
                              ELSE -(CAST((sp - ep) * ?6 + 0.5 AS INTEGER) / ?6) END,
        'startLocation', coalesce(CAST(start_location AS TEXT), ''),
        'endLocation', coalesce(CAST(end_location AS TEXT), '')) END AS item
    FROM chunk ORDER BY id"""
ROW_BY_ID = "SELECT * FROM pending_sessions WHERE id = ?"
MARK_SENDING = "INSERT INTO sending_batches (session_ids, started_at) VALUES (?, ?)"
UNMARK = "DELETE FROM sending_batches WHERE session_ids = ?"
COPY_TO_HISTORY = f"""
    INSERT INTO historical_sessions ({", ".join(SESSION_FIELDS)}, pending_id, retry_count,
                                     unconfirmed_sends, found_on_server, uploaded_at)
    SELECT {", ".join(SESSION_FIELDS)}, id, retry_count, unconfirmed_sends, ?, ?
    FROM pending_sessions WHERE id IN ({{ids}})
    ON CONFLICT (book_hash, start_time) DO NOTHING"""
DELETE_PENDING = "DELETE FROM pending_sessions WHERE id IN ({ids})"
RECORD_FAILURE = """
    UPDATE pending_sessions
    SET retry_count = retry_count + 1, last_error = ?,
        unconfirmed_sends = unconfirmed_sends + ?
    WHERE id IN ({ids})"""
STALE_MARKERS = "SELECT session_ids FROM sending_batches"
COUNT_STALE_SEND = """
    UPDATE pending_sessions SET unconfirmed_sends = unconfirmed_sends + 1 WHERE id IN ({ids})"""
DROP_MARKERS = "DELETE FROM sending_batches"


def _in(sql: str, ids: Sequence[int]) -> str:
    """Expand an `IN ({ids})` placeholder to one bound `?` per id."""
    return sql.format(ids=", ".join("?" for _ in ids))


def insert(conn: sqlite3.Connection, row: dict[str, Any]) -> bool:
    """Queue a session; False when it is already queued or already uploaded."""
    values = [row.get(field) for field in SESSION_FIELDS]
    cursor = conn.execute(INSERT_SESSION, (*values, row["book_hash"], row["start_time"]))
    return cursor.rowcount == 1


def book_groups(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    """(book_id, book_type) for every book with resolved queued sessions, oldest first."""
    return [tuple(r) for r in conn.execute(BOOK_GROUPS)]


def next_chunk(conn, book_id: int, book_type: str, after_id: int, limit: int,
               confirmed_only: bool = False) -> list[sqlite3.Row]:
    """The next `limit` queued sessions of one book and type after row `after_id`;
    `confirmed_only` leaves out those in doubt (`in_doubt_books`)."""
    sql = NEXT_CONFIRMED_CHUNK if confirmed_only else NEXT_CHUNK
    return conn.execute(sql, (book_id, book_type, after_id, limit)).fetchall()


def chunk_items(conn, book_id: int, book_type: str, after_id: int, limit: int,
                confirmed_only: bool, scale: float) -> list[tuple[int, str | None]]:
    """(id, item) of `next_chunk`'s rows: the upload item as JSON text, or None where
    Python must build it from `row(id)` (CHUNK_ITEMS). `scale` is 10 ** decimals."""
    return conn.execute(CHUNK_ITEMS, (book_id, book_type, after_id, limit,
                                      int(confirmed_only), float(scale))).fetchall()


def row(conn: sqlite3.Connection, row_id: int) -> sqlite3.Row | None:
    return conn.execute(ROW_BY_ID, (row_id,)).fetchone()


def in_doubt_books(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    """(book_id, oldest start) of every book with sessions in doubt: sent before without an
    answer (or by a sync that died), not yet found on the server or shown absent."""
    return [tuple(r) for r in conn.execute(IN_DOUBT_BOOKS)]


def in_doubt_of_book(conn: sqlite3.Connection, book_id: int) -> list[sqlite3.Row]:
    return conn.execute(IN_DOUBT_OF_BOOK, (book_id,)).fetchall()


def clear_doubt(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
    """The server was read back and does not hold these: their earlier sends were not
    stored, so they are sent like any other session (and counted in doubt again only
    if a new send goes unanswered)."""
    if ids:
        conn.execute(_in(CLEAR_DOUBT, ids), tuple(ids))


def _marker(ids: Sequence[int]) -> str:
    return json.dumps(list(ids))


def mark_sending(conn: sqlite3.Connection, ids: Sequence[int], now: str) -> None:
    conn.execute(MARK_SENDING, (_marker(ids), now))


def move_to_history(conn: sqlite3.Connection, ids: Sequence[int], uploaded_at: str,
                    found_on_server: bool = False) -> int:
    """Copy then delete in the caller's transaction; returns how many left the queue.
    `found_on_server`: not sent now, but found stored by an earlier send (read-back)."""
    conn.execute(UNMARK, (_marker(ids),))
    conn.execute(_in(COPY_TO_HISTORY, ids), (int(found_on_server), uploaded_at, *ids))
    return conn.execute(_in(DELETE_PENDING, ids), tuple(ids)).rowcount


def record_failure(conn, ids: Sequence[int], error: str, unconfirmed: bool) -> None:
    conn.execute(UNMARK, (_marker(ids),))
    conn.execute(_in(RECORD_FAILURE, ids), (error, int(unconfirmed), *ids))


def release(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
    """Undo `mark_sending` for rows that were not sent after all (no counter moves)."""
    conn.execute(UNMARK, (_marker(ids),))


def release_stale_sends(conn: sqlite3.Connection) -> int:
    """Sessions a dead sync was sending: their upload is unconfirmed, send again."""
    counted = 0
    for (session_ids,) in conn.execute(STALE_MARKERS).fetchall():
        ids = [int(i) for i in json.loads(session_ids)]
        counted += conn.execute(_in(COUNT_STALE_SEND, ids), tuple(ids)).rowcount
    conn.execute(DROP_MARKERS)
    return counted
