"""One sync, in the order product.md §7 fixes: resolve book IDs, then ratings, then
annotations, then sessions, draining every queue completely.

The caller says whether the device is online; offline, nothing is sent and no counter
moves. Inside, a lost network (nothing could be sent) stops the run the same way, while
every failure that got an answer is recorded on its own items and the run goes on.
Only one sync runs at a time across threads and processes (`single_flight`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from python_core.clock import utc_now
from python_core.progress import Progress, no_progress
from python_core.store import Database, item_queues, session_queue
from python_core.sync import book_resolution, item_upload
from python_core.sync.phase import Offline, PhaseContext, StopPhase, no_checkpoint
from python_core.sync.report import SyncReport, SyncStatus
from python_core.sync.session_upload import SessionUploader
from python_core.sync.single_flight import SyncLease, single_flight

log = logging.getLogger("booklore_sync.sync")

OFFLINE_TEXT = "No network connection"


def run_sync(db: Database, settings: dict[str, Any], make_client: Callable[[], Any], *,
             online: bool = True, checkpoint: Callable[[str], None] | None = None,
             resolve_books: bool = True, progress: Progress = no_progress) -> SyncReport:
    """Sync everything queued; never raises for server or network trouble.

    `resolve_books=False` skips asking the server about unresolved books: for callers
    (matching) that have just asked it themselves. `progress` hears how far the book
    look-ups and then the uploads have got (python_core/progress.py)."""
    report = SyncReport()
    with single_flight(db) as lease:
        if lease is None:
            report.status = SyncStatus.BUSY
            return report
        with db.atomic() as tx:
            report.unconfirmed += session_queue.release_stale_sends(tx)
        if not any(item_queues.counts(db.connection()).values()):
            report.status = SyncStatus.NOTHING
            return report
        if not _ready(settings, report, online):
            report.waiting = item_queues.counts(db.connection())
            return report
        with make_client() as client:
            phase = PhaseContext(db, client, report, utc_now,
                                 checkpoint or no_checkpoint, lease.renew_if_due, progress)
            try:
                _phases(phase, settings, lease, resolve_books)
            except Offline as exc:
                report.status = SyncStatus.OFFLINE
                report.note(f"{OFFLINE_TEXT}: {exc}")
            finally:
                report.requests = getattr(client, "requests_sent", 0)
            phase.tell_uploads()
        report.waiting = item_queues.counts(db.connection())
    return report


def _ready(settings: dict[str, Any], report: SyncReport, online: bool) -> bool:
    if not online:
        report.status = SyncStatus.OFFLINE
        report.note(OFFLINE_TEXT)
        return False
    if not settings["server_url"]:
        report.status = SyncStatus.NOT_CONFIGURED
        report.note("Set the server URL under Settings → Server and accounts")
        return False
    if not (settings["username"] or settings["booklore_username"]):
        report.status = SyncStatus.NOT_CONFIGURED
        report.note("Set the KOReader or BookLore account under Settings → Server and accounts")
        return False
    return True


def _phases(phase: PhaseContext, settings: dict[str, Any], lease: SyncLease,
            resolve_books: bool) -> None:
    """The phases in their fixed order. One that stops (an account refused) has already
    said why in the report; the next phase still runs, as it may use another account."""
    if resolve_books:
        _run(book_resolution.resolve_queued, phase, settings)
    phase.checkpoint("resolved")
    phase.count_uploads(_sendable(phase, settings))
    if settings["booklore_username"]:
        _run(item_upload.upload_ratings, phase)
        phase.checkpoint("ratings")
        _run(item_upload.upload_annotations, phase)
        phase.checkpoint("annotations")
    else:
        counts = item_queues.counts(phase.db.connection())
        if counts["ratings"] or counts["annotations"]:
            phase.report.note("Ratings and annotations need the BookLore account; they wait")
    lease.renew_if_due()
    _run(SessionUploader(phase, settings).run)


def _sendable(phase: PhaseContext, settings: dict[str, Any]) -> int:
    """How many items the upload phases will try: those whose book is known (ratings and
    annotations only with the BookLore account)."""
    ready = item_queues.ready_counts(phase.db.connection())
    items = ready["ratings"] + ready["annotations"] if settings["booklore_username"] else 0
    return ready["sessions"] + items


def _run(upload: Callable[..., None], *args: Any) -> None:
    try:
        upload(*args)
    except StopPhase:
        pass
