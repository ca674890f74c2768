"""The cached library listing of a server: `library_listing` (when it was fetched) and
`library_books` (what matching needs of each book). A fetch replaces the whole copy in one
transaction, so a reader of the cache sees either the old listing or the new one. Authors
and files are JSON text (a list of names; a list of `[file name, size in KiB]`)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

FETCHED_AT = "SELECT fetched_at, books FROM library_listing WHERE server_url = ?"
SAVE_LISTING = """
    INSERT INTO library_listing (server_url, fetched_at, books) VALUES (?, ?, ?)
    ON CONFLICT (server_url) DO UPDATE SET fetched_at = excluded.fetched_at,
        books = excluded.books"""
DROP_BOOKS = "DELETE FROM library_books WHERE server_url = ?"
INSERT_BOOK = """
    INSERT INTO library_books (server_url, book_id, title, authors, isbn13, isbn10, files)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (server_url, book_id) DO NOTHING"""
ALL_BOOKS = """
    SELECT book_id, title, authors, isbn13, isbn10, files FROM library_books
    WHERE server_url = ? ORDER BY book_id"""
FORGET_BOOKS = "DELETE FROM library_books"
FORGET_LISTINGS = "DELETE FROM library_listing"

#: (book_id, title, authors, isbn13, isbn10, files) as matching uses them.
Row = tuple[int, Any, Sequence[str], Any, Any, Sequence[Sequence[Any]]]


def fetched_at(conn: sqlite3.Connection, server_url: str) -> str | None:
    row = conn.execute(FETCHED_AT, (server_url,)).fetchone()
    return row[0] if row else None


def replace(conn: sqlite3.Connection, server_url: str, books: Iterable[Row], now: str) -> int:
    """Put `books` in place of the server's cached listing; returns how many were kept."""
    conn.execute(DROP_BOOKS, (server_url,))
    rows = [(server_url, book_id, title, json.dumps(list(authors), ensure_ascii=False),
             isbn13, isbn10, json.dumps([list(f) for f in files], ensure_ascii=False))
            for book_id, title, authors, isbn13, isbn10, files in books]
    conn.executemany(INSERT_BOOK, rows)
    conn.execute(SAVE_LISTING, (server_url, now, len(rows)))
    return len(rows)


def books(conn: sqlite3.Connection, server_url: str) -> list[Row]:
    return [(book_id, title, tuple(json.loads(authors or "[]")), isbn13, isbn10,
             tuple((str(name), int(size)) for name, size in json.loads(files)))
            for book_id, title, authors, isbn13, isbn10, files
            in conn.execute(ALL_BOOKS, (server_url,))]


def forget(conn: sqlite3.Connection) -> None:
    """Drop every cached listing (the server or the account changed)."""
    conn.execute(FORGET_BOOKS)
    conn.execute(FORGET_LISTINGS)
