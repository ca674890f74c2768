"""Finding the BookLore ID of a fingerprint: the local cache first, then the server.

Used before every upload for queued items whose `book_id` is still NULL (books read
offline, or whose cache row was cleared). The server is asked through the one chain
every match takes (`books/resolver.py`: fingerprint, exact ISBN, and on servers without
those the library listing, fetched at most once per sync). A book the server does not
know stays unresolved and its items stay queued, with the reason on them.
"""

from __future__ import annotations

import logging

from python_core.books.matches import NO_MATCH, NO_MATCH_HASH_OR_ISBN
from python_core.books.resolver import BookResolver, Found
from python_core.errors import AuthError, BookLoreError, Unreachable
from python_core.progress import LOOKING_UP, StageCounter
from python_core.store import Database, book_cache, item_queues
from python_core.sync.phase import (
    CHECK_ACCOUNT,
    CHECK_BOOKLORE_ACCOUNT,
    Offline,
    PhaseContext,
    StopPhase,
)

log = logging.getLogger("booklore_sync.sync")

def resolve_queued(phase: PhaseContext, settings: dict) -> None:
    """Give every queued item whose book is known locally or on the server its book ID."""
    db, report = phase.db, phase.report
    conn = db.connection()
    unresolved = item_queues.unresolved_hashes(conn)
    resolver = BookResolver(db, phase.client, settings)
    resolved = 0
    looked_up = StageCounter(phase.progress, "sync", LOOKING_UP, len(unresolved))
    try:
        for done, book_hash in enumerate(unresolved):
            looked_up.at(done)
            phase.keepalive()
            known = book_cache.known_book_id(conn, book_hash)
            found = Found(known, "hash") if known is not None else _ask_server(
                phase, resolver, book_hash)
            if found is None:
                continue
            with db.atomic() as tx:
                item_queues.assign_book_id(tx, book_hash, found.book_id)
                book_cache.set_book_id(tx, book_hash, found.book_id, found.source, phase.now())
            resolved += 1
        looked_up.finish()
    finally:
        report.resolved_books += resolved
    still_unknown = len(unresolved) - resolved
    if still_unknown:
        report.note(f"{still_unknown} book(s) not matched on the server yet; their items wait")


def _ask_server(phase: PhaseContext, resolver: BookResolver, book_hash: str) -> Found | None:
    """The server's book for a fingerprint. Not an upload, so a failure is remembered on
    the book's items without counting as a failed item; a refused account stops the phase."""
    facts = book_cache.book_facts(phase.db.connection(), book_hash)
    try:
        found = resolver.find(facts)
    except Unreachable as exc:
        raise Offline(str(exc)) from None
    except AuthError as exc:  # every further lookup would be refused the same way
        hint = CHECK_BOOKLORE_ACCOUNT if resolver.refused == "BookLore" else CHECK_ACCOUNT
        phase.report.note(f"Book lookup refused: {exc}. {hint}")
        phase.report.needs_attention = True
        raise StopPhase from None
    except BookLoreError as exc:
        _remember_reason(phase.db, book_hash, f"Book lookup failed: {exc}")
        return None
    if found is None:
        tried_isbn = bool(facts.get("isbn13") or facts.get("isbn10")) and resolver.tried_isbn
        _remember_reason(phase.db, book_hash, NO_MATCH_HASH_OR_ISBN if tried_isbn else NO_MATCH)
    return found


def _remember_reason(db: Database, book_hash: str, reason: str) -> None:
    with db.atomic() as tx:
        item_queues.note_unresolved(tx, book_hash, reason)
