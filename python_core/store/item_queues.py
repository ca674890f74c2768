"""The rating and annotation queues, and what all three queues share: counts, book-ID
assignment by fingerprint, and clearing.

One pending rating per book: a newer star rating replaces the queued one in place
(upsert on `book_hash`, stable id). Annotations are keyed by book fingerprint + KOReader
creation datetime + kind, so re-reading the live annotation list never queues a
highlight twice; `uploaded_annotations` remembers what reached the server.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

QUEUE_TABLES = {
    "sessions": "pending_sessions",
    "annotations": "pending_annotations",
    "ratings": "pending_ratings",
}

COUNT_QUEUES = """
    SELECT (SELECT count(*) FROM pending_sessions),
           (SELECT count(*) FROM pending_annotations),
           (SELECT count(*) FROM pending_ratings)"""
COUNT_READY = """
    SELECT (SELECT count(*) FROM pending_sessions WHERE book_id IS NOT NULL),
           (SELECT count(*) FROM pending_annotations WHERE book_id IS NOT NULL),
           (SELECT count(*) FROM pending_ratings WHERE book_id IS NOT NULL)"""
UNRESOLVED_HASHES = """
    SELECT book_hash FROM pending_sessions WHERE book_id IS NULL
    UNION SELECT book_hash FROM pending_annotations WHERE book_id IS NULL
    UNION SELECT book_hash FROM pending_ratings WHERE book_id IS NULL"""
ASSIGN_BOOK_ID = "UPDATE {table} SET book_id = ? WHERE book_hash = ? AND book_id IS NULL"
REASSIGN_BOOK_ID = "UPDATE {table} SET book_id = ? WHERE book_hash = ?"
NOTE_UNRESOLVED = "UPDATE {table} SET last_error = ? WHERE book_hash = ? AND book_id IS NULL"

UPSERT_RATING = """
    INSERT INTO pending_ratings (book_id, book_hash, rating, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (book_hash) DO UPDATE SET
        rating = excluded.rating, updated_at = excluded.updated_at,
        book_id = coalesce(pending_ratings.book_id, excluded.book_id)"""
LAST_UPLOADED_RATING = "SELECT rating FROM uploaded_ratings WHERE book_hash = ?"
DROP_PENDING_RATING = "DELETE FROM pending_ratings WHERE book_hash = ?"
READY_RATINGS = "SELECT * FROM pending_ratings WHERE book_id IS NOT NULL ORDER BY id"
RATING_UPLOADED = """
    INSERT INTO uploaded_ratings (book_hash, rating, uploaded_at) VALUES (?, ?, ?)
    ON CONFLICT (book_hash) DO UPDATE SET rating = excluded.rating,
                                          uploaded_at = excluded.uploaded_at"""
DELETE_RATING_IF_UNCHANGED = "DELETE FROM pending_ratings WHERE id = ? AND rating = ?"

ANNOTATION_FIELDS = (
    "book_id", "book_hash", "kind", "created", "text", "note", "chapter", "page",
    "pos0", "pos1", "cfi", "color", "style", "destination", "created_at", "updated_at",
)
UPSERT_ANNOTATION = f"""
    INSERT INTO pending_annotations ({", ".join(ANNOTATION_FIELDS)})
    VALUES ({", ".join("?" for _ in ANNOTATION_FIELDS)})
    ON CONFLICT (book_hash, created, kind) DO UPDATE SET
        text = excluded.text, note = excluded.note, chapter = excluded.chapter,
        page = excluded.page, pos0 = excluded.pos0, pos1 = excluded.pos1, cfi = excluded.cfi,
        color = excluded.color, style = excluded.style, destination = excluded.destination,
        book_id = coalesce(pending_annotations.book_id, excluded.book_id),
        updated_at = excluded.updated_at"""
PENDING_ANNOTATION = """
    SELECT * FROM pending_annotations WHERE book_hash = ? AND created = ? AND kind = ?"""
UPLOADED_ANNOTATION = """
    SELECT content_digest, endpoint, server_id FROM uploaded_annotations
    WHERE book_hash = ? AND created = ? AND kind = ?"""
READY_ANNOTATIONS = "SELECT * FROM pending_annotations WHERE book_id IS NOT NULL ORDER BY id"
ANNOTATION_UPLOADED = """
    INSERT INTO uploaded_annotations
        (book_hash, created, kind, content_digest, endpoint, server_id, uploaded_at)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (book_hash, created, kind) DO UPDATE SET
        content_digest = excluded.content_digest, endpoint = excluded.endpoint,
        server_id = coalesce(excluded.server_id, uploaded_annotations.server_id),
        uploaded_at = excluded.uploaded_at"""
SET_UPLOADED_DIGEST = """
    UPDATE uploaded_annotations SET content_digest = ?
    WHERE book_hash = ? AND created = ? AND kind = ?"""
DELETE_ANNOTATION_IF_UNCHANGED = """
    DELETE FROM pending_annotations WHERE id = ? AND text IS ? AND note IS ? AND color IS ?
        AND style IS ? AND pos0 IS ? AND pos1 IS ?"""
ITEM_FAILURE = """
    UPDATE {table} SET retry_count = retry_count + 1, last_error = ? WHERE id = ?"""


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    sessions, annotations, ratings = conn.execute(COUNT_QUEUES).fetchone()
    return {"sessions": sessions, "annotations": annotations, "ratings": ratings}


def ready_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Per queue, the items whose book is known: what a sync can send now."""
    sessions, annotations, ratings = conn.execute(COUNT_READY).fetchone()
    return {"sessions": sessions, "annotations": annotations, "ratings": ratings}


def unresolved_hashes(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute(UNRESOLVED_HASHES)]


def assign_book_id(conn: sqlite3.Connection, book_hash: str, book_id: int) -> None:
    for table in QUEUE_TABLES.values():
        conn.execute(ASSIGN_BOOK_ID.format(table=table), (book_id, book_hash))


def reassign_book_id(conn: sqlite3.Connection, book_hash: str, book_id: int) -> None:
    """Every queued item of a fingerprint to `book_id`, also those that had another one
    (the reader matched the book again, by hand)."""
    for table in QUEUE_TABLES.values():
        conn.execute(REASSIGN_BOOK_ID.format(table=table), (book_id, book_hash))


def note_unresolved(conn: sqlite3.Connection, book_hash: str, reason: str) -> None:
    for table in QUEUE_TABLES.values():
        conn.execute(NOTE_UNRESOLVED.format(table=table), (reason, book_hash))


def clear(conn: sqlite3.Connection, kinds: Iterable[str]) -> dict[str, int]:
    """Delete whole queues by kind; unknown kinds raise KeyError before anything is deleted."""
    tables = {kind: QUEUE_TABLES[kind] for kind in kinds}
    return {kind: conn.execute(f"DELETE FROM {table}").rowcount for kind, table in tables.items()}


def record_item_failure(conn, kind: str, item_id: int, error: str) -> None:
    conn.execute(ITEM_FAILURE.format(table=QUEUE_TABLES[kind]), (error, item_id))


def queue_rating(conn, book_hash: str, book_id: int | None, rating: int, now: str) -> bool:
    """Queue a rating unless it equals the last uploaded one; False when nothing is queued."""
    row = conn.execute(LAST_UPLOADED_RATING, (book_hash,)).fetchone()
    if row is not None and row[0] == rating:
        conn.execute(DROP_PENDING_RATING, (book_hash,))
        return False
    conn.execute(UPSERT_RATING, (book_id, book_hash, rating, now, now))
    return True


PENDING_RATING = "SELECT rating FROM pending_ratings WHERE book_hash = ?"


def rating_differs(conn: sqlite3.Connection, book_hash: str, rating: int) -> bool:
    """Whether queueing `rating` would change anything (read only; for a dry run)."""
    for sql in (PENDING_RATING, LAST_UPLOADED_RATING):
        row = conn.execute(sql, (book_hash,)).fetchone()
        if row is not None:
            return row[0] != rating
    return True


def ready_ratings(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute(READY_RATINGS).fetchall()


def rating_uploaded(conn, row: sqlite3.Row, now: str) -> None:
    """Log the upload and drop the queued row unless a newer rating replaced it meanwhile."""
    conn.execute(RATING_UPLOADED, (row["book_hash"], row["rating"], now))
    conn.execute(DELETE_RATING_IF_UNCHANGED, (row["id"], row["rating"]))


def pending_annotation(conn, key: tuple[str, str, str]) -> sqlite3.Row | None:
    """The queued version of an annotation, by (book_hash, created, kind)."""
    return conn.execute(PENDING_ANNOTATION, key).fetchone()


def uploaded_annotation(conn, key: tuple[str, str, str]) -> sqlite3.Row | None:
    """What the dedup log knows of an uploaded annotation: digest, endpoint, server id."""
    return conn.execute(UPLOADED_ANNOTATION, key).fetchone()


def queue_annotation(conn, item: dict[str, Any]) -> None:
    """Queue an annotation, or replace its queued version in place (same id, retry count)."""
    conn.execute(UPSERT_ANNOTATION, tuple(item.get(f) for f in ANNOTATION_FIELDS))


def set_uploaded_digest(conn, key: tuple[str, str, str], digest: str) -> None:
    """Record the version of an uploaded annotation whose content was not known."""
    conn.execute(SET_UPLOADED_DIGEST, (digest, *key))


def ready_annotations(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute(READY_ANNOTATIONS).fetchall()


def annotation_uploaded(conn, row, digest: str, endpoint: str, server_id, now: str) -> None:
    """Log the upload and drop the queued row, unless an edit replaced it meanwhile (then
    the newer version stays queued)."""
    conn.execute(
        ANNOTATION_UPLOADED,
        (row["book_hash"], row["created"], row["kind"], digest, endpoint, server_id, now),
    )
    conn.execute(DELETE_ANNOTATION_IF_UNCHANGED, (
        row["id"], row["text"], row["note"], row["color"], row["style"], row["pos0"],
        row["pos1"]))
