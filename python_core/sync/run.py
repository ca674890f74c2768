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
from python_core.store import Database, item_queues, session_queue
from python_core.sync import book_resolution, item_upload
from python_core.sync.report import Offline, SyncReport
from python_core.sync.session_upload import SessionUploader
from python_core.sync.single_flight import single_flight

log = logging.getLogger("booklore_sync.sync")

OFFLINE_TEXT = "No network connection"


def run_sync(db: Database, settings: dict[str, Any], make_client: Callable[[], Any], *,
             online: bool = True, checkpoint: Callable[[str], None] | None = None,
             resolve_books: bool = True) -> SyncReport:
    """Sync everything queued; never raises for server or network trouble.

    `resolve_books=False` skips asking the server about unresolved books: for callers
    (matching) that have just asked it themselves."""
    report = SyncReport()
    with single_flight(db) as lease:
        if lease is None:
            report.status = "busy"
            return report
        with db.atomic() as tx:
            report.unconfirmed += session_queue.release_stale_sends(tx)
        if not any(item_queues.counts(db.connection()).values()):
            report.status = "nothing"
            return report
        if not _ready(settings, report, online):
            report.waiting = item_queues.counts(db.connection())
            return report
        client = make_client()
        try:
            _phases(db, settings, client, report, checkpoint or (lambda step: None), lease,
                    resolve_books)
        except Offline as exc:
            report.status = "offline"
            report.note(f"{OFFLINE_TEXT}: {exc}")
        finally:
            client.close()
        report.waiting = item_queues.counts(db.connection())
    return report


def _ready(settings: dict[str, Any], report: SyncReport, online: bool) -> bool:
    if not online:
        report.status = "offline"
        report.note(OFFLINE_TEXT)
        return False
    if not settings["server_url"]:
        report.status = "not_configured"
        report.note("Set the server URL under Settings → Server and accounts")
        return False
    if not (settings["username"] or settings["booklore_username"]):
        report.status = "not_configured"
        report.note("Set the KOReader or BookLore account under Settings → Server and accounts")
        return False
    return True


def _phases(db, settings, client, report: SyncReport, checkpoint, lease,
            resolve_books: bool = True) -> None:
    if resolve_books:
        book_resolution.resolve_queued(db, client, report, utc_now)
    checkpoint("resolved")
    if settings["booklore_username"]:
        item_upload.upload_ratings(db, client, report, utc_now)
        checkpoint("ratings")
        item_upload.upload_annotations(db, client, report, utc_now)
        checkpoint("annotations")
    else:
        counts = item_queues.counts(db.connection())
        if counts["ratings"] or counts["annotations"]:
            report.note("Ratings and annotations need the BookLore account; they wait")
    lease.renew_if_due()
    uploader = SessionUploader(db, client, settings["server_url"], settings["progress_decimals"],
                               report, utc_now, checkpoint, keepalive=lease.renew_if_due)
    uploader.run()
