"""`untracked_books`: the books the reader switched off ("Don't track this book").

Keyed by fingerprint, like everything about a book here, so the switch follows the book
when its file is moved or renamed, and survives Clear Cache. The queues are not touched:
what was queued for the book before stays queued.
"""

from __future__ import annotations

import sqlite3

IS_UNTRACKED = "SELECT 1 FROM untracked_books WHERE book_hash = ?"
STOP_TRACKING = """
    INSERT INTO untracked_books (book_hash, title, since) VALUES (?, ?, ?)
    ON CONFLICT (book_hash) DO UPDATE SET title = coalesce(excluded.title, untracked_books.title)"""
TRACK_AGAIN = "DELETE FROM untracked_books WHERE book_hash = ?"


def is_untracked(conn: sqlite3.Connection, book_hash: str) -> bool:
    return conn.execute(IS_UNTRACKED, (book_hash,)).fetchone() is not None


def stop_tracking(conn: sqlite3.Connection, book_hash: str, title: str | None, now: str) -> None:
    conn.execute(STOP_TRACKING, (book_hash, title, now))


def track_again(conn: sqlite3.Connection, book_hash: str) -> None:
    conn.execute(TRACK_AGAIN, (book_hash,))
