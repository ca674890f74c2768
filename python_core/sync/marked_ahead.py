"""The requests of the sessions phase, and the ones marked `sending` ahead of the one on
the wire, so the next can leave as soon as an answer comes (session_upload.py).

Marking ahead is safe: a mark only says "maybe sent". A kill leaves at most MARK_AHEAD
requests in doubt that were never sent, and the read-back finds them absent; a phase
that stops releases the marks of what it never sent.
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Sequence
from typing import NamedTuple, Union

from python_core.sync.commit_writer import CommitWriter, Ticket

log = logging.getLogger("booklore_sync.sync")

#: Requests marked `sending` ahead of the one on the wire.
MARK_AHEAD = 32
#: A request item: a dict, or its JSON text as the store builds it (`chunk_items`).
Item = Union[dict, str]


class Request(NamedTuple):
    """One request's worth of sessions: a batch, or a single session."""

    book_id: int
    server_book_type: str
    uploads: Sequence[tuple[int, Item]]  # (pending row id, request item: dict or JSON)
    batch: bool

    @property
    def ids(self) -> list[int]:
        return [row_id for row_id, _item in self.uploads]


class MarkedAhead:
    """Requests read, built and marked by the commit thread, MARK_AHEAD at a time; the
    next lot is asked for while half are still waiting, whatever else the thread does.
    Lots grow from one request (the first leaves at once) by doubling, so each is built
    while the one before is being sent."""

    def __init__(self, writer: CommitWriter, build_next, mark_next, after_mark):
        self._writer, self._build_next = writer, build_next
        self._mark_next, self._after_mark = mark_next, after_mark
        self._ready: collections.deque[Request] = collections.deque()
        self._tickets: collections.deque[Ticket] = collections.deque()
        self._exhausted = False
        self._lot = 1
        self._ask()  # the next lot is asked for once this one is taken (`next`)

    def next(self) -> Request | None:
        while not self._ready and self._tickets:
            self._take(self._tickets.popleft())
        if not self._ready:
            return None
        request = self._ready.popleft()
        if len(self._ready) < max(self._lot // 2, 1) and not self._tickets:
            self._ask()
        return request

    def unsent(self) -> list[Request]:
        """What was marked but not handed out (after a failure stopped the phase)."""
        while self._tickets:
            try:
                self._take(self._tickets.popleft())
            except BaseException:  # noqa: BLE001 - the phase's own error is on its way
                log.debug("marking ahead failed after the phase did", exc_info=True)
        unsent, self._ready = list(self._ready), collections.deque()
        return unsent

    def _ask(self) -> None:
        """One ticket: build the next lot (before its transaction), mark it (in it)."""
        if self._exhausted:
            return
        count, self._lot = self._lot, min(self._lot * 2, MARK_AHEAD)
        built: list[Request] = []  # this ticket's own: tickets may share a transaction
        self._tickets.append(self._writer.submit(
            [lambda tx: self._mark_next(tx, built)], durable=False,
            after=[lambda: self._after_mark(len(built))],
            before=lambda: built.extend(self._build_next(count))))

    def _take(self, ticket: Ticket) -> None:
        marked = ticket.wait()
        if not marked:
            self._exhausted = True
        self._ready.extend(marked)
