"""Which BookLore book is the one just opened? Asked in the background at book open.

The local cache answers first (the plugin already has it); then, online, the server by
fingerprint; then, if the book carries an ISBN and the BookLore account is set, an ISBN
search, accepting only an exact hit (matchScore == 1) that names one book. When nothing
matches, the reader is told once per book, in the words the leading plugin's users know.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from python_core.books.matches import NO_MATCH, NO_MATCH_HASH_OR_ISBN, remember_match
from python_core.clock import utc_now
from python_core.errors import BookLoreError
from python_core.store import Database, book_cache


def identify(db: Database, settings: dict[str, Any], make_client: Callable[[], Any],
             book: dict[str, Any]) -> dict[str, Any]:
    book_hash = book["book_hash"]
    known = book_cache.known_book_id(db.connection(), book_hash)
    if known is not None:
        return {"book_id": known, "source": "cache", "message": None}
    try:
        with make_client() as client:
            found = _ask(client, settings, book)
    except BookLoreError as exc:  # offline, refused, server trouble: try again next open
        return {"book_id": None, "source": None, "message": None, "problem": str(exc)}
    if found is not None:
        book_id, source = found
        remember_match(db, book_hash, book_id, source)
        return {"book_id": book_id, "source": source, "message": None}
    return {"book_id": None, "source": None, "message": _tell_once(db, settings, book)}


def _ask(client, settings: dict[str, Any], book: dict[str, Any]) -> tuple[int, str] | None:
    by_hash = client.book_by_hash(book["book_hash"])
    if by_hash is not None:
        return int(by_hash["id"]), "hash"
    isbn = book.get("isbn13") or book.get("isbn10")
    if not isbn or not settings["booklore_username"]:
        return None
    exact = {hit["id"] for hit in client.search_books(isbn=isbn)
             if isinstance(hit, dict) and hit.get("matchScore") == 1
             and isinstance(hit.get("id"), int)}
    return (exact.pop(), "isbn") if len(exact) == 1 else None


def _tell_once(db: Database, settings: dict[str, Any], book: dict[str, Any]) -> str | None:
    if settings["silent_mode"]:
        return None
    with db.atomic() as tx:
        first = book_cache.first_time_told(tx, book["book_hash"], utc_now())
    if not first:
        return None
    tried_isbn = (book.get("isbn13") or book.get("isbn10")) and settings["booklore_username"]
    return NO_MATCH_HASH_OR_ISBN if tried_isbn else NO_MATCH
