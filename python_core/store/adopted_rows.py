"""Writing what is taken over from the previous BookLore plugin into our tables.

Run once, in the one transaction that fills the new database before it replaces the old
file. Queued items keep their retry counts; sessions that plugin already uploaded go to
`historical_sessions`, so they are never sent again and never imported twice; uploaded
ratings and annotations go to the dedup logs. Natural keys absorb the previous plugin's
duplicates (it had no uniqueness on sessions).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from python_core.store.session_queue import SESSION_FIELDS

ADOPT_PENDING_SESSION = f"""
    INSERT INTO pending_sessions ({", ".join(SESSION_FIELDS)}, retry_count)
    VALUES ({", ".join("?" for _ in SESSION_FIELDS)}, ?)
    ON CONFLICT (book_hash, start_time) DO NOTHING"""
ADOPT_UPLOADED_SESSION = f"""
    INSERT INTO historical_sessions ({", ".join(SESSION_FIELDS)}, uploaded_at)
    VALUES ({", ".join("?" for _ in SESSION_FIELDS)}, ?)
    ON CONFLICT (book_hash, start_time) DO NOTHING"""
DROP_PENDING_ALREADY_UPLOADED = """
    DELETE FROM pending_sessions WHERE EXISTS (
        SELECT 1 FROM historical_sessions h
        WHERE h.book_hash = pending_sessions.book_hash
          AND h.start_time = pending_sessions.start_time)"""
ADOPT_CACHE_ROW = """
    INSERT INTO book_cache (file_path, book_hash, book_id, title, author, isbn10, isbn13,
                            match_source, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (file_path) DO NOTHING"""
ADOPT_PENDING_RATING = """
    INSERT INTO pending_ratings (book_id, book_hash, rating, retry_count, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (book_hash) DO UPDATE SET rating = excluded.rating,
        book_id = coalesce(pending_ratings.book_id, excluded.book_id)"""
ADOPT_UPLOADED_RATING = """
    INSERT INTO uploaded_ratings (book_hash, rating, uploaded_at) VALUES (?, ?, ?)
    ON CONFLICT (book_hash) DO UPDATE SET rating = excluded.rating"""
ANNOTATION_FIELDS = (
    "book_id", "book_hash", "kind", "created", "text", "note", "chapter", "page", "pos0",
    "pos1", "cfi", "color", "style", "destination", "retry_count", "created_at", "updated_at",
)
ADOPT_PENDING_ANNOTATION = f"""
    INSERT INTO pending_annotations ({", ".join(ANNOTATION_FIELDS)})
    VALUES ({", ".join("?" for _ in ANNOTATION_FIELDS)})
    ON CONFLICT (book_hash, created, kind) DO NOTHING"""
ADOPT_UPLOADED_ANNOTATION = """
    INSERT INTO uploaded_annotations
        (book_hash, created, kind, content_digest, endpoint, server_id, uploaded_at)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (book_hash, created, kind) DO NOTHING"""


def pending_session(conn: sqlite3.Connection, row: dict[str, Any], retry_count: int) -> bool:
    values = [row.get(field) for field in SESSION_FIELDS]
    return conn.execute(ADOPT_PENDING_SESSION, (*values, retry_count)).rowcount == 1


def uploaded_session(conn: sqlite3.Connection, row: dict[str, Any], uploaded_at: str) -> bool:
    values = [row.get(field) for field in SESSION_FIELDS]
    return conn.execute(ADOPT_UPLOADED_SESSION, (*values, uploaded_at)).rowcount == 1


def drop_pending_already_uploaded(conn: sqlite3.Connection) -> int:
    """A session both queued and uploaded there (a lost answer, then a retry) is uploaded."""
    return conn.execute(DROP_PENDING_ALREADY_UPLOADED).rowcount


def cache_row(conn: sqlite3.Connection, row: dict[str, Any], source: str) -> bool:
    values = (row["file_path"], row["book_hash"], row.get("book_id"), row.get("title"),
              row.get("author"), row.get("isbn10"), row.get("isbn13"), source,
              row["created_at"], row["updated_at"])
    return conn.execute(ADOPT_CACHE_ROW, values).rowcount == 1


def pending_rating(conn, book_hash: str, book_id, rating: int, retry_count: int, now: str) -> None:
    conn.execute(ADOPT_PENDING_RATING, (book_id, book_hash, rating, retry_count, now, now))


def uploaded_rating(conn: sqlite3.Connection, book_hash: str, rating: int, now: str) -> None:
    conn.execute(ADOPT_UPLOADED_RATING, (book_hash, rating, now))


def pending_annotation(conn: sqlite3.Connection, item: dict[str, Any]) -> bool:
    values = tuple(item.get(field) for field in ANNOTATION_FIELDS)
    return conn.execute(ADOPT_PENDING_ANNOTATION, values).rowcount == 1


def uploaded_annotation(conn, key: tuple[str, str, str], digest: str, endpoint: str,
                        server_id, now: str) -> None:
    conn.execute(ADOPT_UPLOADED_ANNOTATION, (*key, digest, endpoint, server_id, now))
