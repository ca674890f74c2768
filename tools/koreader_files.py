"""KOReader's statistics database in its real format (koreader-host.md §9): the schema the
statistics plugin creates (`DB_SCHEMA_VERSION` 20221111), for tests and the benchmark."""

from __future__ import annotations

import sqlite3
from pathlib import Path

STATISTICS_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS book (
        id integer PRIMARY KEY autoincrement, title text, authors text, notes integer,
        last_open integer, highlights integer, pages integer, series text, language text,
        md5 text, total_read_time integer, total_read_pages integer)""",
    """CREATE TABLE IF NOT EXISTS page_stat_data (
        id_book integer, page integer NOT NULL DEFAULT 0, start_time integer NOT NULL DEFAULT 0,
        duration integer NOT NULL DEFAULT 0, total_pages integer NOT NULL DEFAULT 0,
        UNIQUE (id_book, page, start_time),
        FOREIGN KEY(id_book) REFERENCES book(id))""",
    "CREATE INDEX IF NOT EXISTS page_stat_data_start_time ON page_stat_data (start_time)",
    "CREATE UNIQUE INDEX IF NOT EXISTS book_title_authors_md5 ON book(title, authors, md5)",
    "CREATE TABLE IF NOT EXISTS numbers (number INTEGER PRIMARY KEY)",
    """CREATE VIEW IF NOT EXISTS page_stat AS
        SELECT id_book, first_page + idx - 1 AS page, start_time, duration / (last_page - first_page + 1) AS duration
        FROM (
            SELECT id_book, page, total_pages, pages, start_time, duration,
                ((page - 1) * pages) / total_pages + 1 AS first_page,
                max(((page - 1) * pages) / total_pages + 1, (page * pages) / total_pages) AS last_page,
                idx
            FROM page_stat_data
            JOIN book ON book.id = id_book
            JOIN (SELECT number AS idx FROM numbers) AS N ON idx <= (last_page - first_page + 1)
        )""",
]
SCHEMA_VERSION = 20221111


def statistics_db(path: Path, wal: bool = True) -> sqlite3.Connection:
    """A new statistics file; the caller adds books and visits and closes it."""
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")
    for statement in STATISTICS_SCHEMA:
        conn.execute(statement)
    conn.executemany("INSERT INTO numbers VALUES (?)", [(n,) for n in range(1, 1001)])
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    conn.commit()
    return conn


def add_book(conn: sqlite3.Connection, title: str, md5: str | None, pages: int = 300,
             authors: str = "N/A") -> int:
    cursor = conn.execute("INSERT INTO book (title, authors, notes, last_open, highlights, "
                          "pages, series, language, md5) VALUES (?, ?, 0, 0, 0, ?, 'N/A', "
                          "'en', ?)", (title, authors, pages, md5))
    return cursor.lastrowid
