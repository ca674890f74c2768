"""The one chain that finds the BookLore book of a local file, by exact evidence only.

1. By fingerprint (`GET /api/koreader/books/by-hash`, KOReader account), unless the
   server is known to lack it; a lookup answered with the web app teaches the client so.
2. By ISBN (`GET /api/v1/books/search?isbn=`, BookLore account), when the book has one and
   the server has search (probed once): only an exact hit (matchScore 1) naming one book.
3. From the library listing (BookLore account), when the server lacks by-hash or search
   or there is no KOReader account: the ISBN, else the file's name and size
   (`library.py`).

Every path that matches a book (a book's opening, a sync's resolution, Match Unmatched
Books) goes through here, so each tries the same evidence; "ISBN everywhere" means this.
A lookup that fails (a 5xx, a lost answer) does not stop the chain; when nothing matched,
the first such failure is raised so the caller can say "lookup failed" rather than "not
on the server". No network at all (`Unreachable`) and a refused account (`AuthError`)
are raised at once: every further request would meet the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from python_core.books.library import LibraryListing
from python_core.errors import AuthError, BookLoreError, Unreachable
from python_core.store import Database

#: The client's names for the optional endpoints (python_core/server/features.py).
BY_HASH, SEARCH = "by_hash", "search"


class Found(NamedTuple):
    book_id: int
    source: str  # "hash", "isbn" or "file": what `book_cache.match_source` records


class BookResolver:
    """One use's resolver (a sync, a matching pass, a book's opening); it holds the
    listing so that use fetches it at most once."""

    def __init__(self, db: Database, client, settings: Mapping[str, Any]):
        self.client = client
        self.koreader = bool(settings["username"])
        self.booklore = bool(settings["booklore_username"])
        self.listing = LibraryListing(db, client, settings["server_url"])
        self.tried_isbn = False
        #: Which account was refused ("KOReader" or "BookLore") when `find` raised AuthError.
        self.refused: str | None = None

    def find(self, book: Mapping[str, Any]) -> Found | None:
        """`book`: book_hash, and if known isbn13, isbn10, file_path, file_size (bytes)."""
        problem: BookLoreError | None = None
        for step in (self._by_hash, self._by_isbn, self._from_listing):
            try:
                found = step(book)
            except AuthError:
                self.refused = "KOReader" if step == self._by_hash else "BookLore"
                raise
            except Unreachable:
                raise
            except BookLoreError as exc:
                problem = problem or exc
                continue
            if found is not None:
                return found
        if problem is not None:
            raise problem
        return None

    def uses_listing(self) -> bool:
        """Whether books are matched from the listing here (by ISBN or file name)."""
        return self.booklore and (not self.koreader or self.client.knows(BY_HASH) is False
                                  or self.client.knows(SEARCH) is False)

    def _by_hash(self, book: Mapping[str, Any]) -> Found | None:
        if not self.koreader or self.client.knows(BY_HASH) is False:
            return None
        found = self.client.book_by_hash(book["book_hash"])
        return Found(int(found["id"]), "hash") if found is not None else None

    def _by_isbn(self, book: Mapping[str, Any]) -> Found | None:
        isbn = book.get("isbn13") or book.get("isbn10")
        if not (isbn and self.booklore) or not self.client.has(SEARCH):
            return None
        self.tried_isbn = True
        exact = {hit["id"] for hit in self.client.search_books(isbn=isbn)
                 if isinstance(hit, dict) and hit.get("matchScore") == 1
                 and type(hit.get("id")) is int}
        return Found(exact.pop(), "isbn") if len(exact) == 1 else None

    def _from_listing(self, book: Mapping[str, Any]) -> Found | None:
        if not self.uses_listing():
            return None
        self.tried_isbn = self.tried_isbn or bool(book.get("isbn13") or book.get("isbn10"))
        found = self.listing.find(book)
        return Found(*found) if found is not None else None
