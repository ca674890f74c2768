"""Which BookLore book is the one just opened? Asked in the background at book open.

The local cache answers first (the plugin already has it); then, online, the server, by
the one chain every match takes (`resolver.py`: fingerprint, exact ISBN, and on servers
without those the library listing's ISBN or file name and size). When nothing matches,
the reader is told once per book, in the words the leading plugin's users know.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from python_core.books.matches import NO_MATCH, NO_MATCH_HASH_OR_ISBN, remember_match
from python_core.books.resolver import BookResolver
from python_core.clock import utc_now
from python_core.errors import BookLoreError
from python_core.store import Database, book_cache


def identify(db: Database, settings: dict[str, Any], make_client: Callable[[], Any],
             book: dict[str, Any]) -> dict[str, Any]:
    book_hash = book["book_hash"]
    known = book_cache.known_book_id(db.connection(), book_hash)
    if known is not None:
        return {"book_id": known, "source": "cache", "message": None}
    facts = {**book_cache.book_facts(db.connection(), book_hash),
             **{key: value for key, value in book.items() if value}}
    try:
        with make_client() as client:
            resolver = BookResolver(db, client, settings)
            found = resolver.find(facts)
    except BookLoreError as exc:  # offline, refused, server trouble: try again next open
        return {"book_id": None, "source": None, "message": None, "problem": str(exc)}
    if found is not None:
        remember_match(db, book_hash, found.book_id, found.source)
        return {"book_id": found.book_id, "source": found.source, "message": None}
    return {"book_id": None, "source": None,
            "message": _tell_once(db, settings, book_hash, resolver.tried_isbn)}


def _tell_once(db: Database, settings: dict[str, Any], book_hash: str,
               tried_isbn: bool) -> str | None:
    if settings["silent_mode"]:
        return None
    with db.atomic() as tx:
        first = book_cache.first_time_told(tx, book_hash, utc_now())
    if not first:
        return None
    return NO_MATCH_HASH_OR_ISBN if tried_isbn else NO_MATCH
