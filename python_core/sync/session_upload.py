"""The sessions phase: per book, chunks of at most 100 to the batch endpoint.

The order of steps for each chunk is what keeps sessions from being lost or silently
doubled: the rows are marked `sending` (committed), the request is sent with no
transaction open, and a 2xx is followed by one transaction that moves the rows to
`historical_sessions`. A failure with an answer counts one attempt on each row; a failure
without one (timeout, reset, a 2xx that cannot be read) also counts the send as
unconfirmed, because the server may have stored the batch; no network at all releases
the rows untouched. Before anything is sent, sessions in doubt from earlier syncs are
settled by reading back what the server holds (`readback.py`, BookLore account).

Whether the server has the batch endpoint is decided once per server by a harmless probe
(an empty batch, `server/features.py`) and remembered: without it every session goes
singly, with it every chunk is one batch, and a batch's failure is that chunk's failure,
never a reason to send it again singly; except a 400, which rejects the whole batch for
one bad item, so that chunk is re-sent singly and only the bad item stays queued. When
the probe cannot tell (a proxy's 502, say), chunks go as batches and it is asked again
next sync.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from python_core.errors import BookLoreError, ResponseLost, Unreachable
from python_core.reading import sessions
from python_core.store import session_queue
from python_core.sync.phase import Offline, PhaseContext, StopPhase
from python_core.sync.readback import settle_in_doubt

log = logging.getLogger("booklore_sync.sync")

BATCH_LIMIT = 100
MAX_LOST_IN_A_ROW = 3
BATCH = "batch_sessions"  # the client's name for the endpoint (server/features.py)
NEEDS_BOOKLORE_ACCOUNT = ("This server takes reading sessions only with the BookLore account "
                         "(upstream BookLore): set it under Settings → Server and accounts")
#: (pending row id, request item) per session of one chunk.
Uploads = Sequence[tuple[int, dict]]


class SessionUploader:
    """The sessions phase of one sync; `run` raises `Offline` and `StopPhase` (run.py)."""

    def __init__(self, phase: PhaseContext, settings: Mapping[str, Any]):
        self.phase, self.settings = phase, settings
        self.decimals = settings["progress_decimals"]
        self.db, self.client, self.report = phase.db, phase.client, phase.report
        self.lost_in_a_row = 0
        self.batch: bool | None = None

    def run(self) -> None:
        waiting = settle_in_doubt(self.phase, self.settings)
        groups = session_queue.book_groups(self.db.connection())
        if not groups:
            return
        self.batch = self._batch_endpoint()
        for book_id, book_type in groups:
            self._upload_book(book_id, book_type, confirmed_only=book_id in waiting)

    def _batch_endpoint(self) -> bool | None:
        try:
            return self.client.has(BATCH)
        except Unreachable as exc:
            raise Offline(str(exc)) from None
        except BookLoreError:  # an account refused: the uploads themselves will say so
            return None

    def _upload_book(self, book_id: int, book_type: str, confirmed_only: bool) -> None:
        last_id = 0
        server_book_type = sessions.server_book_type(book_type)
        while True:
            rows = session_queue.next_chunk(self.db.connection(), book_id, book_type, last_id,
                                            BATCH_LIMIT, confirmed_only)
            if not rows:
                return
            last_id = rows[-1]["id"]
            self.phase.between_requests()
            uploads = self._prepare(rows)
            if not uploads:
                continue
            if self.batch is False:
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

    def _send_batch(self, book_id: int, server_book_type: str, uploads: Uploads) -> None:
        ids = [row_id for row_id, _item in uploads]
        self._mark_sending(ids)
        try:
            self.client.post_session_batch(book_id, server_book_type,
                                           [item for _id, item in uploads])
        except BookLoreError as exc:
            if exc.status == 400 and not isinstance(exc, ResponseLost):
                self._release(ids)
                self._send_singly(book_id, server_book_type, uploads)
            else:
                self._failed(ids, exc)
        else:
            self._succeeded(ids)

    def _send_singly(self, book_id: int, server_book_type: str, uploads: Uploads) -> None:
        for row_id, item in uploads:
            self._mark_sending([row_id])
            try:
                self.client.post_session(book_id, server_book_type, item)
            except BookLoreError as exc:
                self._failed([row_id], exc)
            else:
                self._succeeded([row_id])

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
