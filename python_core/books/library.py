"""Matching a local file against the server's library listing, for servers that cannot be
asked by fingerprint or by ISBN (upstream BookLore, booklore-api.md §2.18).

Only exact evidence counts, and only when it names one book: the ISBN (ISBN-10 and
ISBN-13 compared as the same number), else the primary or an alternative file with the
same name and the same size as the server rounds it (bytes // 1024). Two books with the
same ISBN are told apart by the file; anything still ambiguous is no match. Nothing is
guessed from a title: that is what manual matching is for (`library_ranking.py`).

The listing is one request for the whole library, so it is cached in the database
(`store/library_listing.py`) and used from there. `LibraryListing` asks the server again
at most once in its life (one sync, one Match Unmatched Books, one book open), and only
when there is no copy yet, or when a lookup missed and the copy is older than
`MAX_AGE_SECONDS`: a book added to BookLore since then is found, a book that is not
there does not cost a listing per lookup.
"""

from __future__ import annotations

import os
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from python_core import clock
from python_core.store import Database, library_listing

MAX_AGE_SECONDS = 5 * 60


class ListedBook(NamedTuple):
    book_id: int
    title: str | None
    authors: tuple[str, ...]
    isbn13: str | None
    isbn10: str | None
    files: tuple[tuple[str, int], ...]  # (file name, size in KiB), primary first


def isbn13_key(isbn: object) -> str | None:
    """One form for ISBN-10 and ISBN-13 of the same book: its 13 digits."""
    if not isinstance(isbn, str):
        return None
    digits = "".join(c for c in isbn.upper() if c.isdigit() or c == "X")
    if len(digits) == 13 and digits.isdigit():
        return digits
    if len(digits) == 10 and digits[:9].isdigit():
        stem = "978" + digits[:9]
        check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(stem)) % 10) % 10
        return stem + str(check)
    return None


def file_key(file_name: str, size_kb: int) -> tuple[str, int]:
    """Names compared as text, whatever the file system did to case and accents."""
    return unicodedata.normalize("NFC", file_name).casefold(), size_kb


class LibraryIndex:
    """The listing indexed by ISBN and by file, for exact lookups."""

    def __init__(self, books: Iterable[ListedBook]):
        self.books = list(books)
        self._by_isbn: dict[str, set[int]] = {}
        self._by_file: dict[tuple[str, int], set[int]] = {}
        for book in self.books:
            for isbn in {isbn13_key(book.isbn13), isbn13_key(book.isbn10)} - {None}:
                self._by_isbn.setdefault(isbn, set()).add(book.book_id)
            for name, size in book.files:
                self._by_file.setdefault(file_key(name, size), set()).add(book.book_id)

    def match(self, book: Mapping[str, Any]) -> tuple[int, str] | None:
        """(book id, "isbn" or "file") for a local book {isbn13, isbn10, file_path,
        file_size (bytes)}, or None unless the evidence names exactly one book."""
        by_isbn: set[int] = set()
        for isbn in {isbn13_key(book.get("isbn13")), isbn13_key(book.get("isbn10"))} - {None}:
            by_isbn |= self._by_isbn.get(isbn, set())
        by_file = self._books_with_file(book)
        if len(by_isbn) == 1:
            return next(iter(by_isbn)), "isbn"
        if by_isbn:
            both = by_isbn & by_file
            return (next(iter(both)), "isbn") if len(both) == 1 else None
        return (next(iter(by_file)), "file") if len(by_file) == 1 else None

    def _books_with_file(self, book: Mapping[str, Any]) -> set[int]:
        path, size = book.get("file_path"), book.get("file_size")
        if not path or not isinstance(size, int) or size < 0:
            return set()
        return self._by_file.get(file_key(os.path.basename(path), size // 1024), set())


class LibraryListing:
    """The server's listing for one use (module docstring): the cached copy, fetched at
    most once, and only when there is none or a lookup missed on a stale copy."""

    def __init__(self, db: Database, client, server_url: str,
                 now: Callable[[], float] = time.time):
        self._db, self._client, self._server_url, self._now = db, client, server_url, now
        self._index: LibraryIndex | None = None
        self._fetched = False

    def find(self, book: Mapping[str, Any]) -> tuple[int, str] | None:
        found = self.index().match(book)
        if found is None and not self._fetched and self._stale():
            found = self.refresh().match(book)
        return found

    def index(self) -> LibraryIndex:
        """The cached listing, fetched first if there is none."""
        if self._index is None:
            if library_listing.fetched_at(self._db.connection(), self._server_url) is None:
                return self.refresh()
            self._index = LibraryIndex(ListedBook(*row) for row in library_listing.books(
                self._db.connection(), self._server_url))
        return self._index

    def index_refreshed_if_stale(self) -> LibraryIndex:
        """For ranking: the cached listing, fetched again first if it is old."""
        if not self._fetched and self._stale():
            return self.refresh()
        return self.index()

    def refresh(self) -> LibraryIndex:
        """Fetch the listing (one request; raises the client's errors) and cache it."""
        self._fetched = True
        books = [ListedBook(*book) for book in self._client.library_books()]
        with self._db.atomic() as tx:
            library_listing.replace(tx, self._server_url, books, clock.utc_now())
        self._index = LibraryIndex(books)
        return self._index

    def _stale(self) -> bool:
        fetched = library_listing.fetched_at(self._db.connection(), self._server_url)
        return fetched is None or self._now() - clock.epoch(fetched) > MAX_AGE_SECONDS
