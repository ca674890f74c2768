"""Exactly once with a BookLore account: before a session in doubt is sent again, read
back what the server holds for its book and settle it.

A session is in doubt when a send of it got no answer (lost response, timeout, a 2xx that
could not be read) or its sync died while sending (a `sending_batches` marker left
behind): the server may or may not have stored it, and it has no deduplication. With the
BookLore account (the endpoint takes only a JWT) and a server that has the read-back
(`GET /api/v1/reading-sessions/book/{id}`, booklore-api.md §2.17), the sessions phase
first pages through each such book's stored sessions, newest first, and stops once past
the oldest start in doubt. A session found there (the same sitting: `reading/same_session`)
moves straight to the history without being sent; the others are shown absent and are
sent like any other. Cost: one request per 100 sessions the server holds for that book
since the oldest start in doubt; nothing when nothing is in doubt.

When the read-back cannot be had this time (a lost answer, a 5xx, the BookLore account
refused), the sessions in doubt of that book wait for the next sync rather than risk a
second copy; the others are sent. Without a BookLore account, or on a server without the
read-back (before v1.16.1), sessions in doubt are sent again as before and counted as
unconfirmed, and Test Connection says that a BookLore account would make uploads exactly
once (docs/SYNC.md).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from python_core.errors import AuthError, BookLoreError, NotFound, Unreachable
from python_core.reading import sessions
from python_core.reading.same_session import StoredSessions
from python_core.store import session_queue
from python_core.sync.phase import CHECK_BOOKLORE_ACCOUNT, Offline, PhaseContext

log = logging.getLogger("booklore_sync.sync")

READ_BACK = "read_back"  # the client's name for the endpoint (server/features.py)
#: The progress decimals a session may have been sent with (the setting's range).
DECIMALS = range(0, 6)


def settle_in_doubt(phase: PhaseContext, settings: Mapping[str, Any]) -> set[int]:
    """Read back every book with sessions in doubt; returns the ids of the books whose
    sessions in doubt must wait (their read-back failed this time)."""
    books = session_queue.in_doubt_books(phase.db.connection())
    if not books or not settings["booklore_username"]:
        return set()
    every = {book_id for book_id, _oldest in books}
    try:
        available = phase.client.has(READ_BACK)
    except Unreachable as exc:
        raise Offline(str(exc)) from None
    except AuthError as exc:
        return _hold(phase, every, f"refused: {exc}. {CHECK_BOOKLORE_ACCOUNT}", attention=True)
    if available is False:
        phase.report.note("This server cannot list the sessions it stored; sessions whose "
                          "earlier answer was lost are sent again")
        return set()
    if available is None:
        return _hold(phase, every, "could not be checked this time")
    waiting: set[int] = set()
    for index, (book_id, oldest) in enumerate(books):
        try:
            stored = StoredSessions(phase.client.book_sessions(book_id, since=oldest))
        except Unreachable as exc:
            raise Offline(str(exc)) from None
        except AuthError as exc:
            rest = {later for later, _oldest in books[index:]}
            return waiting | _hold(phase, rest, f"refused: {exc}. {CHECK_BOOKLORE_ACCOUNT}",
                                   attention=True)
        except NotFound:  # the book is gone from the server, and with it anything stored
            stored = StoredSessions()
        except BookLoreError as exc:
            waiting |= _hold(phase, {book_id}, f"failed: {exc}")
            continue
        _settle_book(phase, book_id, stored, settings["progress_decimals"])
    return waiting


def _settle_book(phase: PhaseContext, book_id: int, stored: StoredSessions,
                 decimals: int) -> None:
    found, absent = [], []
    for row in session_queue.in_doubt_of_book(phase.db.connection(), book_id):
        if any(stored.take(item) is not None for item in _sent_forms(row, decimals)):
            found.append(row["id"])
        else:
            absent.append(row["id"])
    with phase.db.atomic() as tx:
        if found:
            session_queue.move_to_history(tx, found, phase.now(), found_on_server=True)
        session_queue.clear_doubt(tx, absent)
    phase.report.synced["sessions"] += len(found)
    phase.report.found_on_server += len(found)
    if found:
        log.info("book %s: %d session(s) in doubt were already on the server", book_id,
                 len(found))
    phase.checkpoint("read_back")


def _sent_forms(row: Any, decimals: int) -> Iterator[dict]:
    """What the row looked like when it was sent: the upload item, rounded to the current
    decimals first and then to any other the setting allows (it may have changed since)."""
    for places in (decimals, *(d for d in DECIMALS if d != decimals)):
        try:
            yield sessions.upload_item(row, places)
        except (TypeError, ValueError):  # a corrupt row: it fails on its own when sent
            return


def _hold(phase: PhaseContext, book_ids: set[int], why: str, attention: bool = False) -> set[int]:
    held = sum(len(session_queue.in_doubt_of_book(phase.db.connection(), book_id))
               for book_id in book_ids)
    phase.report.held_back += held
    phase.report.note(f"Reading back what the server stored {why}; {held} session(s) whose "
                      "earlier answer was lost wait, so that none is sent twice")
    if attention:
        phase.report.needs_attention = True
    return set(book_ids)
