"""KOReader's own files, built in its real formats: `statistics.sqlite3` with the schema the
statistics plugin creates (koreader-host.md §9, `DB_SCHEMA_VERSION` 20221111), and book
sidecars written by LuaJIT's `%q` through the headless host's `dump.lua` (the format of
DocSettings, §14), in any of KOReader's three sidecar locations."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import lupa.luajit21 as lupa

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


def read(conn: sqlite3.Connection, book: int, start: int, pages: list[int],
         seconds: int = 60, total: int = 300) -> int:
    """Visits of `pages` one after another, `seconds` each, from `start`; returns the end."""
    at = start
    for page in pages:
        conn.execute("INSERT INTO page_stat_data VALUES (?, ?, ?, ?, ?)",
                     (book, page, at, seconds, total))
        at += seconds
    return at


def copy_with_wal(conn: sqlite3.Connection, source: Path, target: Path) -> None:
    """Copy a WAL-mode file as a mounted reader leaves it: recent commits only in `-wal`."""
    conn.commit()
    shutil.copyfile(f"{source}-wal", f"{target}-wal")
    shutil.copyfile(source, target)


_LUA = lupa.LuaRuntime(unpack_returned_tuples=True)
_DUMP = _LUA.execute((Path(__file__).parent.parent / "bridge" / "lua" / "dump.lua").read_text())


def lua_value(value):
    if isinstance(value, dict):
        table = _LUA.table()
        for key, item in value.items():
            table[key] = lua_value(item)
        return table
    if isinstance(value, (list, tuple)):
        return lua_value({index + 1: item for index, item in enumerate(value)})
    return value


def write_sidecar(sdr: Path, extension: str, data: dict, device_path: str) -> Path:
    """`metadata.<ext>.lua` as DocSettings writes it: a comment line, then `return <dump>`."""
    sdr.mkdir(parents=True, exist_ok=True)
    path = sdr / f"metadata.{extension}.lua"
    path.write_text(f"-- {device_path}\nreturn {_DUMP(lua_value(data))}\n", encoding="utf-8")
    return path
