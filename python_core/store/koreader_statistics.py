"""KOReader's `statistics.sqlite3` (koreader-host.md §9), read without changing it.

The statistics plugin writes one `page_stat_data` row per page visit (start time, seconds
on the page, the layout's page count) and one `book` row per book, with its partial MD5.
The file is read through `sqlite_snapshot` (its `-wal` included, nothing created beside
it, mtime unchanged); visits stream out book by book in time order, so memory holds one
book's rows at a time whatever the size of the history.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from python_core.errors import StoreError
from python_core.store.connect import streaming
from python_core.store.sqlite_snapshot import open_snapshot

#: `DB_SCHEMA_VERSION` of the statistics plugin this reader knows (koreader-host.md §9).
KNOWN_VERSION = 20221111
USER_VERSION = "PRAGMA user_version"
TABLES = "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
BOOKS = "SELECT id, title, authors, md5, pages FROM book"
COUNT_VISITS = "SELECT count(*) FROM page_stat_data"
VISITS = """
    SELECT id_book, page, start_time, duration, total_pages FROM page_stat_data
    WHERE typeof(id_book) = 'integer' AND typeof(page) = 'integer'
      AND typeof(start_time) = 'integer' AND typeof(duration) = 'integer'
      AND typeof(total_pages) = 'integer'
    ORDER BY id_book, start_time, page"""
_FETCH = 5000


class StatisticsFile:
    """An open statistics snapshot: its books and its page visits."""

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self._conn, self._path = conn, path

    def books(self) -> dict[int, dict[str, Any]]:
        return {row[0]: {"title": row[1], "authors": row[2], "md5": row[3], "pages": row[4]}
                for row in self._run(BOOKS)}

    def visit_count(self) -> int:
        return self._run(COUNT_VISITS).fetchone()[0]

    def visits_by_book(self) -> Iterator[tuple[int, list[tuple[int, int, int, int]]]]:
        """(book id, its visits as (page, start, duration, total_pages), oldest first), book
        by book; rows with NULL or text where numbers belong are left out. Plain tuples:
        a million of them is the hot path of an import."""
        book, visits = None, []
        try:
            with streaming(self._conn, VISITS) as cursor:
                while True:
                    rows = cursor.fetchmany(_FETCH)
                    if not rows:
                        break
                    for row in rows:
                        if row[0] != book:
                            if visits:
                                yield book, visits
                            book, visits = row[0], []
                        visits.append(row[1:])
        except sqlite3.DatabaseError as exc:
            raise _unreadable(self._path, exc) from None
        if visits:
            yield book, visits

    def _run(self, sql: str) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql)
        except sqlite3.DatabaseError as exc:
            raise _unreadable(self._path, exc) from None


@contextlib.contextmanager
def open_statistics(path: Path) -> Iterator[StatisticsFile]:
    """The statistics file at `path`, or StoreError with one sentence saying why not."""
    if not path.is_file():
        raise StoreError(f"There is no KOReader statistics file at {path}; KOReader writes "
                         "it in its settings folder while its Reading statistics plugin is on")
    try:
        with open_snapshot(path) as conn:
            _check(conn, path)
            yield StatisticsFile(conn, path)
    except sqlite3.DatabaseError as exc:
        raise _unreadable(path, exc) from None
    except OSError as exc:
        raise StoreError(f"Cannot read {path}: {exc.strerror or exc}") from None


def _check(conn: sqlite3.Connection, path: Path) -> None:
    version = conn.execute(USER_VERSION).fetchone()[0]
    if version > KNOWN_VERSION:
        raise StoreError(f"{path.name} was written by a newer KOReader (statistics schema "
                         f"{version}, this importer knows {KNOWN_VERSION}); nothing was "
                         "imported. Update BookLore Sync")
    tables = {row[0] for row in conn.execute(TABLES)}
    if not {"book", "page_stat_data"} <= tables:
        raise StoreError(f"{path.name} has no KOReader reading statistics in it "
                         "(no book and page_stat_data tables); nothing was imported")


def _unreadable(path: Path, exc: sqlite3.DatabaseError) -> StoreError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StoreError(f"{path.name} is locked by another program; nothing was imported. "
                          "Close KOReader's statistics (or KOReader) and try again")
    return StoreError(f"{path.name} cannot be read as a KOReader statistics database "
                      f"({text}); nothing was imported")
