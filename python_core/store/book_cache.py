"""`book_cache`: which local file is which book, by fingerprint and BookLore ID.

Rows are updated in place (`ON CONFLICT ... DO UPDATE`, never a delete-and-reinsert "or replace") so a
row keeps its id. A book ID, once known for a fingerprint, applies to every cached file
with that fingerprint. A file that moved is found by its fingerprint: its old row takes
the new path instead of a second row being added.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

UPSERT_FILE = """
    INSERT INTO book_cache (file_path, book_hash, book_id, title, author, isbn10, isbn13,
                            file_size, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (file_path) DO UPDATE SET
        book_hash = excluded.book_hash,
        book_id = CASE WHEN book_cache.book_hash = excluded.book_hash
                       THEN coalesce(book_cache.book_id, excluded.book_id)
                       ELSE excluded.book_id END,
        title = coalesce(excluded.title, book_cache.title),
        author = coalesce(excluded.author, book_cache.author),
        isbn10 = coalesce(excluded.isbn10, book_cache.isbn10),
        isbn13 = coalesce(excluded.isbn13, book_cache.isbn13),
        file_size = excluded.file_size,
        updated_at = excluded.updated_at"""
ROWS_WITH_HASH = "SELECT id, file_path FROM book_cache WHERE book_hash = ?"
MOVE_FILE = "UPDATE book_cache SET file_path = ?, updated_at = ? WHERE id = ?"
ROW_FOR_PATH = "SELECT * FROM book_cache WHERE file_path = ?"
KNOWN_BOOK_ID = """
    SELECT book_id FROM book_cache WHERE book_hash = ? AND book_id IS NOT NULL LIMIT 1"""
SET_BOOK_ID = """
    UPDATE book_cache SET book_id = ?, match_source = ?, updated_at = ? WHERE book_hash = ?"""
CACHE_COUNTS = """
    SELECT count(DISTINCT book_hash),
           count(DISTINCT CASE WHEN book_id IS NOT NULL THEN book_hash END)
    FROM book_cache"""
UNMATCHED_BOOKS = """
    SELECT book_hash, min(file_path) AS file_path, max(title) AS title, max(author) AS author,
           max(isbn13) AS isbn13, max(isbn10) AS isbn10, max(file_size) AS file_size
    FROM book_cache GROUP BY book_hash HAVING max(book_id) IS NULL ORDER BY min(id)"""
BOOK_FACTS = """
    SELECT book_hash, min(file_path) AS file_path, max(isbn13) AS isbn13, max(isbn10) AS isbn10,
           max(file_size) AS file_size
    FROM book_cache WHERE book_hash = ? GROUP BY book_hash"""
NEXT_UNMATCHED = """
    SELECT min(id) AS position, book_hash, min(file_path) AS file_path, max(title) AS title,
           max(author) AS author
    FROM book_cache GROUP BY book_hash HAVING max(book_id) IS NULL AND min(id) > ?
    ORDER BY min(id) LIMIT 1"""
COUNT_UNMATCHED_AFTER = """
    SELECT count(*) FROM (SELECT 1 FROM book_cache GROUP BY book_hash
                          HAVING max(book_id) IS NULL AND min(id) > ?)"""
CLEAR_CACHE = "DELETE FROM book_cache"


def remember_file(conn: sqlite3.Connection, book: dict[str, Any], now: str) -> None:
    """Record a file and what is known about it, following a move by fingerprint."""
    path = book["file_path"]
    if conn.execute(ROW_FOR_PATH, (path,)).fetchone() is None:
        _adopt_moved_row(conn, book["book_hash"], path, now)
    conn.execute(UPSERT_FILE, (
        path, book["book_hash"], book.get("book_id") or known_book_id(conn, book["book_hash"]),
        book.get("title"), book.get("author"), book.get("isbn10"), book.get("isbn13"),
        book.get("file_size"), now, now,
    ))


def _adopt_moved_row(conn: sqlite3.Connection, book_hash: str, new_path: str, now: str) -> None:
    for row in conn.execute(ROWS_WITH_HASH, (book_hash,)).fetchall():
        if not os.path.exists(row["file_path"]):
            conn.execute(MOVE_FILE, (new_path, now, row["id"]))
            return


def rows_for_hash(conn: sqlite3.Connection, book_hash: str) -> list[sqlite3.Row]:
    return conn.execute(ROWS_WITH_HASH, (book_hash,)).fetchall()


def cached_file(conn: sqlite3.Connection, file_path: str) -> sqlite3.Row | None:
    return conn.execute(ROW_FOR_PATH, (file_path,)).fetchone()


def known_book_id(conn: sqlite3.Connection, book_hash: str) -> int | None:
    row = conn.execute(KNOWN_BOOK_ID, (book_hash,)).fetchone()
    return row[0] if row else None


def set_book_id(conn, book_hash: str, book_id: int, source: str, now: str) -> None:
    conn.execute(SET_BOOK_ID, (book_id, source, now, book_hash))


def book_facts(conn: sqlite3.Connection, book_hash: str) -> dict[str, Any]:
    """What matching can use of a fingerprint's cached files: {book_hash, file_path,
    isbn13, isbn10, file_size}; only the fingerprint when no file of it is cached."""
    row = conn.execute(BOOK_FACTS, (book_hash,)).fetchone()
    return dict(row) if row is not None else {"book_hash": book_hash}


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    total, matched = conn.execute(CACHE_COUNTS).fetchone()
    return {"total": total, "matched": matched, "unmatched": total - matched}


def unmatched_books(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute(UNMATCHED_BOOKS).fetchall()


def next_unmatched(conn: sqlite3.Connection, after: int) -> tuple[sqlite3.Row | None, int]:
    """The first unmatched book whose `position` (its oldest row id) is past `after`, and
    how many unmatched books come after it."""
    row = conn.execute(NEXT_UNMATCHED, (after,)).fetchone()
    if row is None:
        return None, 0
    return row, conn.execute(COUNT_UNMATCHED_AFTER, (row["position"],)).fetchone()[0]


def clear(conn: sqlite3.Connection) -> int:
    return conn.execute(CLEAR_CACHE).rowcount


TOLD = "SELECT 1 FROM no_match_told WHERE book_hash = ?"
REMEMBER_TOLD = """
    INSERT INTO no_match_told (book_hash, told_at) VALUES (?, ?)
    ON CONFLICT (book_hash) DO NOTHING"""


def first_time_told(conn: sqlite3.Connection, book_hash: str, now: str) -> bool:
    """True the first time a reader is told this book has no match; records it."""
    if conn.execute(TOLD, (book_hash,)).fetchone() is not None:
        return False
    conn.execute(REMEMBER_TOLD, (book_hash, now))
    return True
