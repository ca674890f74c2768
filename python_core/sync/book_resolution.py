"""Finding the BookLore ID of a fingerprint: the local cache first, then the server.

Used before every upload for queued items whose `book_id` is still NULL (books read
offline, or whose cache row was cleared). A book the server does not know stays
unresolved and its items stay queued; only a JSON book with an integer id counts as a
match (the client already turns 404 and HTML pages into "not found").
"""

from __future__ import annotations

import logging

from python_core.books.matches import NO_MATCH
from python_core.errors import AuthError, BookLoreError, Unreachable
from python_core.store import Database, book_cache, item_queues
from python_core.sync.phase import CHECK_ACCOUNT, Offline, PhaseContext, StopPhase

log = logging.getLogger("booklore_sync.sync")


def resolve_queued(phase: PhaseContext) -> None:
    """Give every queued item whose book is known locally or on the server its book ID."""
    db, report = phase.db, phase.report
    conn = db.connection()
    unresolved = item_queues.unresolved_hashes(conn)
    resolved = 0
    try:
        for book_hash in unresolved:
            book_id = book_cache.known_book_id(conn, book_hash)
            if book_id is None:
                book_id = _ask_server(phase, book_hash)
            if book_id is None:
                continue
            with db.atomic() as tx:
                item_queues.assign_book_id(tx, book_hash, book_id)
                book_cache.set_book_id(tx, book_hash, book_id, "hash", phase.now())
            resolved += 1
    finally:
        report.resolved_books += resolved
    still_unknown = len(unresolved) - resolved
    if still_unknown:
        report.note(f"{still_unknown} book(s) not matched on the server yet; their items wait")


def _ask_server(phase: PhaseContext, book_hash: str) -> int | None:
    """The server's ID for a fingerprint. Not an upload, so a failure is remembered on the
    book's items without counting as a failed item; a refused account stops the phase."""
    try:
        phase.report.requests += 1
        book = phase.client.book_by_hash(book_hash)
    except Unreachable as exc:
        raise Offline(str(exc)) from None
    except AuthError as exc:  # every further lookup would be refused the same way
        phase.report.note(f"Book lookup refused: {exc}. {CHECK_ACCOUNT}")
        phase.report.needs_attention = True
        raise StopPhase from None
    except BookLoreError as exc:
        _remember_reason(phase.db, book_hash, f"Book lookup failed: {exc}")
        return None
    if book is None:
        _remember_reason(phase.db, book_hash, NO_MATCH)
        return None
    return int(book["id"])


def _remember_reason(db: Database, book_hash: str, reason: str) -> None:
    with db.atomic() as tx:
        item_queues.note_unresolved(tx, book_hash, reason)
