"""Everything the server remembers, behind one lock.

Users, books, issued refresh tokens and login failures survive ``reset_records``;
stored sessions, ratings, annotations, notes, bookmarks and the request log do not.
Record ids come from per-table counters that never restart, like database sequences.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import itertools
import threading

LIBRARY_ID = 1
LIBRARY_NAME = "Books"
BOOK_TYPES = ("PDF", "EPUB", "CBX", "FB2", "MOBI", "AZW3", "AUDIOBOOK")
RECORD_TABLES = ("sessions", "annotations", "notes_v2", "notes_v1", "bookmarks")


@dataclasses.dataclass
class KoreaderAccount:
    """The separate KOReader sync account; BookLore keeps the MD5 it compares against."""

    username: str
    password_md5: str


@dataclasses.dataclass
class User:
    """A BookLore account, optionally linked to one KOReader account."""

    id: int
    username: str
    password: str
    admin: bool
    koreader: KoreaderAccount | None = None


@dataclasses.dataclass
class Book:
    """A book with one primary file; ``file_hash`` is the file's ``current_hash``."""

    id: int
    file_id: int
    title: str | None
    authors: list
    file_hash: str | None
    isbn13: str | None
    isbn10: str | None
    book_type: str
    file_name: str
    file_size_kb: int | None
    #: Other files of the same book (another format): ``(file_name, size_kb, book_type)``.
    alternative_formats: list = dataclasses.field(default_factory=list)


class LibraryState:
    """The server's data. Callers hold ``lock`` around every read-modify-write."""

    def __init__(self):
        self.lock = threading.RLock()
        self.users = {}
        self.books = {}
        self.refresh_tokens = {}
        self.failures = {}
        self._user_ids = itertools.count(1)
        self._book_ids = itertools.count(1)
        self._file_ids = itertools.count(101)
        self._record_ids = {table: itertools.count(1) for table in RECORD_TABLES}
        self.reset_records()

    def reset_records(self):
        """Forget what clients stored and the request log; keep users, books and tokens."""
        with self.lock:
            self.records = {table: [] for table in RECORD_TABLES}
            self.ratings = {}
            self.request_log = []
            self.failures.clear()

    def add_user(self, username, password, koreader=None, admin=False):
        with self.lock:
            account = None
            if koreader is not None:
                ko_name, ko_password = koreader
                md5 = hashlib.md5(ko_password.encode("utf-8")).hexdigest()
                account = KoreaderAccount(ko_name, md5)
            user = User(next(self._user_ids), username, password, admin, account)
            self.users[user.id] = user
            return user.id

    def add_book(self, alternative_formats=(), **fields):
        alternatives = list(alternative_formats)
        with self.lock:
            book_id = next(self._book_ids)
            if not fields.get("file_name"):
                fields["file_name"] = f"book-{book_id}.{fields['book_type'].lower()}"
            book = Book(id=book_id, file_id=next(self._file_ids),
                        alternative_formats=[(name, size, kind, next(self._file_ids))
                                             for name, size, kind in alternatives], **fields)
            self.books[book.id] = book
            return book.id

    def user_named(self, username):
        return next((u for u in self.users.values() if u.username == username), None)

    def koreader_user(self, username):
        """The BookLore user whose KOReader account has this name (MariaDB: case-insensitive)."""
        wanted = username.casefold()
        for user in self.users.values():
            if user.koreader and user.koreader.username.casefold() == wanted:
                return user
        return None

    def books_with_hash(self, file_hash):
        wanted = file_hash.lower()
        return [b for b in self.books.values() if b.file_hash and b.file_hash.lower() == wanted]

    def insert(self, table, row):
        """Append a row with the next id of ``table`` and return it."""
        row = {"id": next(self._record_ids[table]), **row}
        self.records[table].append(row)
        return row

    def snapshot(self, table):
        """A deep copy that callers may keep and mutate without racing the server."""
        with self.lock:
            return copy.deepcopy(self.records[table])
