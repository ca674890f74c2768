"""The sessions phase: per book, chunks of at most 100 to the batch endpoint.

The order of steps for each chunk is what keeps sessions from being lost or silently
doubled: the rows are marked `sending` (committed), the request is sent with no
transaction open, and a 2xx is followed at once by one transaction that moves the rows
to `historical_sessions`. A failure with an answer counts one attempt on each row; a
failure without one (timeout, reset) also counts the send as unconfirmed, because the
server may have stored the batch; no network at all releases the rows untouched.

A server without the batch endpoint (403 to KOReader headers, 404, 405, 501, an HTML
page; a 5xx while nothing is known yet) gets the chunk as single POSTs, the first one as a
probe; when that succeeds after an unmistakable sign, the server is remembered as
batch-less, and a batch that succeeds once marks it as having the endpoint. A 400 batch
is re-sent singly, so one bad item holds back only itself.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from python_core.errors import BadResponse, BookLoreError, ResponseLost, ServerError
from python_core.reading import sessions
from python_core.store import config_tables, session_queue
from python_core.sync.phase import PhaseContext, StopPhase

log = logging.getLogger("booklore_sync.sync")

BATCH_LIMIT = 100
MAX_LOST_IN_A_ROW = 3
#: (pending row id, request item) per session of one chunk.
Uploads = Sequence[tuple[int, dict]]
_MISSING_ENDPOINT_STATUSES = (403, 404, 405, 501)


class SessionUploader:
    """The sessions phase of one sync; `run` raises `Offline` and `StopPhase` (run.py)."""

    def __init__(self, phase: PhaseContext, server_url: str, decimals: int):
        self.phase, self.server_url, self.decimals = phase, server_url, decimals
        self.db, self.client, self.report = phase.db, phase.client, phase.report
        self.lost_in_a_row = 0

    def run(self) -> None:
        for book_id, book_type in session_queue.book_groups(self.db.connection()):
            self._upload_book(book_id, book_type)

    def _upload_book(self, book_id: int, book_type: str) -> None:
        last_id = 0
        server_book_type = sessions.server_book_type(book_type)
        while True:
            rows = session_queue.next_chunk(
                self.db.connection(), book_id, book_type, last_id, BATCH_LIMIT)
            if not rows:
                return
            last_id = rows[-1]["id"]
            self.phase.keepalive()
            uploads = self._prepare(rows)
            if not uploads:
                continue
            if self._batch_supported() is False:
                self._send_singly(book_id, server_book_type, uploads)
            else:
                self._send_batch(book_id, server_book_type, uploads)

    def _prepare(self, rows: Sequence) -> list[tuple[int, dict]]:
        """(row id, request item) per row. A row whose stored values cannot even be turned
        into a request (a corrupt time, say) fails on its own: one bad row never stops
        the queue."""
        uploads = []
        for row in rows:
            try:
                uploads.append((row["id"], sessions.upload_item(row, self.decimals)))
            except (TypeError, ValueError) as exc:
                self.phase.count_failure(
                    "sessions", 1, f"A stored session is invalid and was not sent: {exc}",
                    lambda tx, ids=[row["id"]], why=f"Stored session is invalid: {exc}":
                        session_queue.record_failure(tx, ids, why, unconfirmed=False))
        return uploads

    def _batch_supported(self) -> bool | None:
        return config_tables.batch_capability(self.db.connection(), self.server_url)

    def _send_batch(self, book_id: int, server_book_type: str, uploads: Uploads) -> None:
        ids = [row_id for row_id, _item in uploads]
        self._mark_sending(ids)
        try:
            self.report.requests += 1
            self.client.post_session_batch(book_id, server_book_type,
                                           [item for _id, item in uploads])
        except BookLoreError as exc:
            if not _worth_sending_singly(exc, self._batch_supported()):
                self._failed(ids, exc)
                return
            self._release(ids)
            if exc.status == 400:
                self._send_singly(book_id, server_book_type, uploads)
            else:
                self._probe_singly(book_id, server_book_type, uploads, exc)
        else:
            self._succeeded(ids)
            if self._batch_supported() is None:
                self._remember_batch(True)

    def _probe_singly(self, book_id: int, server_book_type: str, uploads: Uploads,
                      batch_error: BookLoreError) -> None:
        """The batch looked unsupported: a first single POST tells "no endpoint" from
        "this book or account is refused", without sending the whole chunk twice."""
        first = self._send_one(book_id, server_book_type, *uploads[0])
        if first is None:
            if _signals_missing_endpoint(batch_error):
                self._remember_batch(False)
            self._send_singly(book_id, server_book_type, uploads[1:])
        elif rest := [row_id for row_id, _item in uploads[1:]]:
            self._failed(rest, batch_error)

    def _send_singly(self, book_id: int, server_book_type: str, uploads: Uploads) -> None:
        for row_id, item in uploads:
            self._send_one(book_id, server_book_type, row_id, item)

    def _send_one(self, book_id: int, server_book_type: str, row_id: int,
                  item: dict) -> BookLoreError | None:
        """POST one session; returns the error it failed with, None on success."""
        self._mark_sending([row_id])
        try:
            self.report.requests += 1
            self.client.post_session(book_id, server_book_type, item)
        except BookLoreError as exc:
            self._failed([row_id], exc)
            return exc
        self._succeeded([row_id])
        return None

    def _mark_sending(self, ids: Sequence[int]) -> None:
        # Not fsynced on its own: after a power cut the mark may be gone, which only means
        # a resend would not be counted as unconfirmed; the sessions themselves are safe.
        with self.db.atomic(durable=False) as tx:
            session_queue.mark_sending(tx, ids, self.phase.now())
        self.phase.checkpoint("marked_sending")

    def _succeeded(self, ids: Sequence[int]) -> None:
        self.phase.checkpoint("server_accepted")
        with self.db.atomic() as tx:
            moved = session_queue.move_to_history(tx, ids, self.phase.now())
        self.lost_in_a_row = 0
        self.report.synced["sessions"] += moved
        self.phase.checkpoint("moved_to_history")

    def _failed(self, ids: Sequence[int], exc: BookLoreError) -> None:
        """The phase's one rule (`PhaseContext.upload_failed`), then what only sessions
        have: a lost answer is an unconfirmed send, and lost answers in a row stop."""
        lost = isinstance(exc, ResponseLost)
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

    def _remember_batch(self, supported: bool) -> None:
        with self.db.atomic() as tx:
            config_tables.set_batch_capability(tx, self.server_url, supported, self.phase.now())
        log.info("server %s the batch endpoint", "has" if supported else "lacks")


def _signals_missing_endpoint(exc: BookLoreError) -> bool:
    return isinstance(exc, BadResponse) or exc.status in _MISSING_ENDPOINT_STATUSES


def _worth_sending_singly(exc: BookLoreError, batch_supported: bool | None) -> bool:
    """400 (one bad item), the signs of a server without the batch endpoint, or - while
    that is still unknown - a 5xx, which is how upstream answers an unmapped POST."""
    if exc.status == 400 or _signals_missing_endpoint(exc):
        return True
    return batch_supported is None and isinstance(exc, ServerError)
