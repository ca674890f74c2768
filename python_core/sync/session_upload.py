"""The sessions phase: per book, chunks of at most 100 to the batch endpoint.

The order of steps for each request is what keeps sessions from being lost or silently
doubled: its rows are marked `sending` (committed), the request is sent with no
transaction open, and a 2xx is followed by one transaction that moves the rows to
`historical_sessions`. A failure with an answer counts one attempt on each row; a failure
without one (timeout, reset, a 2xx that cannot be read) also counts the send as
unconfirmed, because the server may have stored the batch; no network at all releases
the rows untouched. Before anything is sent, sessions in doubt from earlier syncs are
settled by reading back what the server holds (`readback.py`, BookLore account).

The database work between two requests runs on a second thread while the next request is
on the wire (`commit_writer.py`): during request k, the move of k-1 and the reading,
building and marking of k+1 are committed together. Request k+1 still leaves only once its
mark is committed, and k's move is still handed over only after k's 2xx; a failure is
handled on the phase's own thread, with the other one idle.

Whether the server has the batch endpoint is decided once per server by a harmless probe
(an empty batch, `server/features.py`) and remembered: without it every session goes
singly, with it every chunk is one batch, and a batch's failure is that chunk's failure,
never a reason to send it again singly; except a 400, which rejects the whole batch for
one bad item, so that chunk is re-sent singly and only the bad item stays queued. When
the probe cannot tell (a proxy's 502, say), chunks go as batches and it is asked again
next sync.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from python_core.errors import BookLoreError, ResponseLost, Unreachable
from python_core.reading import sessions
from python_core.store import session_queue
from python_core.sync.commit_writer import CommitWriter
from python_core.sync.marked_ahead import Item, MarkedAhead, Request
from python_core.sync.phase import Offline, PhaseContext, StopPhase
from python_core.sync.readback import settle_in_doubt

log = logging.getLogger("booklore_sync.sync")

BATCH_LIMIT = 100
MAX_LOST_IN_A_ROW = 3
BATCH = "batch_sessions"  # the client's name for the endpoint (server/features.py)
NEEDS_BOOKLORE_ACCOUNT = ("This server takes reading sessions only with the BookLore account "
                         "(upstream BookLore): set it under Settings → Server and accounts")


class SessionUploader:
    """The sessions phase of one sync; `run` raises `Offline` and `StopPhase` (run.py)."""

    def __init__(self, phase: PhaseContext, settings: Mapping[str, Any]):
        self.phase, self.settings = phase, settings
        self.decimals = settings["progress_decimals"]
        self.db, self.client, self.report = phase.db, phase.client, phase.report
        self.lost_in_a_row = 0
        self.batch: bool | None = None
        self._requests: Iterator[Request] = iter(())
        #: Sessions the server accepted (this thread) and whose move the writer committed
        #: (its thread): the difference is progress not yet in the report.
        self._accepted = 0
        self._moved_count = 0

    def run(self) -> None:
        waiting = settle_in_doubt(self.phase, self.settings)
        groups = session_queue.book_groups(self.db.connection())
        if not groups:
            return
        self.batch = self._batch_endpoint()
        self._requests = self._all_requests(groups, waiting)
        with CommitWriter(self.db) as writer:
            self._drain(writer)

    def _batch_endpoint(self) -> bool | None:
        try:
            return self.client.has(BATCH)
        except Unreachable as exc:
            raise Offline(str(exc)) from None
        except BookLoreError:  # an account refused: the uploads themselves will say so
            return None

    # -- the pipeline ------------------------------------------------------------------------

    def _drain(self, writer: CommitWriter) -> None:
        """Send request after request while the writer marks the next ones and moves the
        accepted ones to the history (module docstring)."""
        ahead = MarkedAhead(writer, self._build_next, self._mark_next, self._after_mark)
        try:
            while (request := ahead.next()) is not None:
                writer.check()
                # the lease is renewed by the writer (_build_next)
                self.phase.tell_uploads(self._accepted - self._moved_count)
                error = self._send(request)
                if error is None:
                    self.phase.checkpoint("server_accepted")
                    self._accepted += len(request.ids)
                    self.lost_in_a_row = 0
                    writer.submit([self._moved(request)], after=[self._after_move],
                                  urgent=False)
                else:
                    writer.flush()  # this thread writes only while the writer is idle
                    self._failed_request(request, error)
            writer.flush()
        finally:
            unsent = ahead.unsent()
            if unsent:  # marked, never sent: each request's own mark goes
                with self.db.atomic() as tx:
                    for request in unsent:
                        session_queue.release(tx, request.ids)

    def _build_next(self, count: int) -> list[Request]:
        """On the writer's thread, outside its transaction: read and build the next
        `count` requests."""
        self.phase.keepalive()
        return list(itertools.islice(self._requests, count))

    def _mark_next(self, tx, built: list[Request]) -> list[Request]:
        """Writer job: mark what `_build_next` built; they are the next to be sent."""
        for request in built:
            session_queue.mark_sending(tx, request.ids, self.phase.now())
        return built

    def _after_mark(self, marked: int) -> None:
        for _request in range(marked):
            self.phase.checkpoint("marked_sending")

    def _moved(self, request: Request):
        def move(tx) -> None:
            moved = session_queue.move_to_history(tx, request.ids, self.phase.now())
            self.report.synced["sessions"] += moved
            self._moved_count += len(request.ids)  # only this thread writes it
        return move

    def _after_move(self) -> None:
        self.phase.checkpoint("moved_to_history")

    def _failed_request(self, request: Request, error: BookLoreError) -> None:
        if request.batch and error.status == 400 and not isinstance(error, ResponseLost):
            self._release(request.ids)
            self._send_singly_now(request)
        else:
            self._failed(request.ids, error)

    # -- requests ----------------------------------------------------------------------------

    def _all_requests(self, groups, waiting: set[int]) -> Iterator[Request]:
        """Every request of the phase: each book's chunks in the order of its rows, the
        books taking turns (a chunk of each, then the next of each). Rows of many books
        lie interleaved in the queue's pages, so consecutive moves of different books
        share pages and the writer's grouped commits write each page once. Runs on the
        writer's thread, outside its transactions (`_build_next`)."""
        after = {group: 0 for group in groups}
        while after:
            for group in list(after):
                book_id, book_type = group
                chunk = session_queue.chunk_items(
                    self.db.connection(), book_id, book_type, after[group], BATCH_LIMIT,
                    book_id in waiting, sessions.progress_scale(self.decimals))
                if not chunk:
                    del after[group]
                    continue
                after[group] = chunk[-1][0]
                yield from self._requests_of(book_id, sessions.server_book_type(book_type),
                                             self._prepare(chunk))

    def _requests_of(self, book_id: int, server_book_type: str,
                     uploads: list[tuple[int, Item]]) -> Iterator[Request]:
        if not uploads:
            return
        if self.batch is False:
            for upload in uploads:
                yield Request(book_id, server_book_type, [upload], False)
        else:
            yield Request(book_id, server_book_type, uploads, True)

    def _prepare(self, chunk: Sequence[tuple[int, str | None]]) -> list[tuple[int, Item]]:
        """(row id, request item) per row: the JSON SQLite built, or for the rare row it
        left to Python, `upload_item`'s. A row whose stored values cannot even be turned
        into a request (a corrupt time, say) fails on its own: one bad row never stops
        the queue."""
        if all(item is not None for _id, item in chunk):
            return list(chunk)
        uploads = []
        for row_id, json_item in chunk:
            if json_item is not None:
                uploads.append((row_id, json_item))
                continue
            row = session_queue.row(self.db.connection(), row_id)
            try:
                uploads.append((row["id"], sessions.upload_item(row, self.decimals)))
            except (TypeError, ValueError) as exc:
                self.phase.count_failure(
                    "sessions", 1, f"A stored session is invalid and was not sent: {exc}",
                    lambda tx, ids=[row["id"]], why=f"Stored session is invalid: {exc}":
                        session_queue.record_failure(tx, ids, why, unconfirmed=False))
        return uploads

    def _send(self, request: Request) -> BookLoreError | None:
        """POST the request (no transaction open); the error it failed with, or None."""
        try:
            if request.batch:
                self.client.post_session_batch(request.book_id, request.server_book_type,
                                               [item for _id, item in request.uploads])
            else:
                (_row_id, item), = request.uploads
                self.client.post_session(request.book_id, request.server_book_type, item)
        except BookLoreError as exc:
            return exc
        return None

    def _send_singly_now(self, request: Request) -> None:
        """A rejected batch's sessions one by one, in line (the rare path)."""
        for upload in request.uploads:
            single = Request(request.book_id, request.server_book_type, [upload], False)
            with self.db.atomic(durable=False) as tx:
                session_queue.mark_sending(tx, single.ids, self.phase.now())
            self.phase.checkpoint("marked_sending")
            error = self._send(single)
            if error is not None:
                self._failed(single.ids, error)
                continue
            self.phase.checkpoint("server_accepted")
            with self.db.atomic() as tx:
                self.report.synced["sessions"] += session_queue.move_to_history(
                    tx, single.ids, self.phase.now())
            self.lost_in_a_row = 0
            self.phase.checkpoint("moved_to_history")

    def _failed(self, ids: Sequence[int], exc: BookLoreError) -> None:
        """The phase's one rule (`PhaseContext.upload_failed`), then what only sessions
        have: a lost answer is an unconfirmed send, and lost answers in a row stop."""
        lost = isinstance(exc, ResponseLost)
        if exc.status == 403 and self.batch is False and not self.settings["booklore_username"]:
            self.report.note(NEEDS_BOOKLORE_ACCOUNT)
        self.phase.upload_failed(
            "sessions", exc, count=len(ids),
            record=lambda tx: session_queue.record_failure(tx, ids, str(exc), unconfirmed=lost),
            unsent=lambda tx: session_queue.release(tx, ids))
        if not lost:
            self.lost_in_a_row = 0
            return
        self.report.unconfirmed += len(ids)
        self.lost_in_a_row += 1
        if self.lost_in_a_row >= MAX_LOST_IN_A_ROW:
            self.report.note("The connection keeps failing; the remaining sessions wait")
            raise StopPhase

    def _release(self, ids: Sequence[int]) -> None:
        with self.db.atomic() as tx:
            session_queue.release(tx, ids)
