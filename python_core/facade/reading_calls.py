"""What a reader's KOReader reports while reading: books opened, pages turned, sessions
finished, ratings and highlights at close, the per-book tracking switch. None of these
calls touches the network: each is durable in the database when it returns.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from typing import Any

from python_core.books import tracking as book_tracking
from python_core.books.entry import book_entry
from python_core.clock import utc_now
from python_core.facade.use_case import use_case
from python_core.reading import sessions as session_rules
from python_core.reading.sessions import session_row
from python_core.reading.tracker import ReadingTracker
from python_core.store import book_cache, session_queue

log = logging.getLogger("booklore_sync.core")


class ReadingCalls:
    """Mixed into BookLoreSync (core.py), whose `db`, `settings()`, `reading` and
    `readers` these use."""

    @use_case
    def record_book(self, book: dict[str, Any]) -> dict[str, Any]:
        """A book was opened: fingerprint it and remember the file (no network)."""
        entry = book_entry(book)
        with self.db.atomic() as tx:
            book_cache.remember_file(tx, entry, utc_now())
            book_id = book_cache.known_book_id(tx, entry["book_hash"])
        return {"book_hash": entry["book_hash"], "book_id": book_id}

    @use_case
    def record_session(self, data: dict[str, Any]) -> dict[str, Any]:
        """Validate a finished session and queue it, before any network is attempted."""
        current = self.settings()
        if not current["tracking_enabled"]:
            return {"saved": False, "reason": "tracking is off", "message": None}
        if book_tracking.is_untracked(self.db, data):
            return {"saved": False, "reason": "book not tracked", "message": None}
        verdict = session_rules.judge(data, current)
        if not verdict.keep:
            message = None if current["silent_mode"] else session_rules.NOT_SAVED
            return {"saved": False, "reason": verdict.reason, "message": message}
        entry = book_entry(data)
        row = session_row(data, entry, verdict.end_time)
        with self.db.atomic() as tx:
            if data.get("file_path"):
                book_cache.remember_file(tx, entry, row["created_at"])
            row["book_id"] = row["book_id"] or book_cache.known_book_id(tx, entry["book_hash"])
            saved = session_queue.insert(tx, row)
        return {"saved": saved, "reason": None if saved else "already recorded",
                "message": None, "book_hash": entry["book_hash"], "book_id": row["book_id"]}

    def tracker(self, reader: str | None) -> ReadingTracker:
        if reader not in self.readers:
            self.readers[reader] = ReadingTracker(self.db, self.record_session)
        return self.readers[reader]

    @use_case
    def start_reading(self, event: dict[str, Any], reader: str | None = None) -> dict[str, Any]:
        """A book was opened or the device woke up with a book open."""
        _prepare_in_background(PREPARED_AT_OPEN)
        current = self.settings()
        tracker = self.tracker(reader)
        if not current["tracking_enabled"]:
            tracker.state = None
            return {"tracking": False}
        if book_tracking.is_untracked(self.db, event):
            tracker.state = None
            return {"tracking": False, "untracked": True}
        entry = book_entry(event)
        with self.db.atomic() as tx:
            book_cache.remember_file(tx, entry, utc_now())
            entry["book_id"] = entry["book_id"] or book_cache.known_book_id(
                tx, entry["book_hash"])
        tracker.start(entry, event, current["idle_cap_minutes"] * 60)
        return {"tracking": True, **{k: entry[k] for k in (
            "book_hash", "book_id", "title", "isbn13", "isbn10")}}

    @use_case
    def page_turned(self, event: dict[str, Any], reader: str | None = None) -> dict[str, Any]:
        return {"closed": self.tracker(reader).page_turned(event)}

    @use_case
    def finish_reading(self, event: dict[str, Any], reader: str | None = None) -> dict[str, Any]:
        """The book was closed or the device suspended: the session ends here."""
        result = self.tracker(reader).finish(event)
        return result or {"saved": False, "reason": "no session open", "message": None}

    @use_case
    def capture_rating_and_annotations(self, event: dict[str, Any]) -> dict[str, Any]:
        """The book closes or the device sleeps: queue its changed star rating (at close)
        and the highlights and notes BookLore does not have yet (no network)."""
        if book_tracking.is_untracked(self.db, event):
            return {"ratings": 0, "annotations": 0, "queued": False, "untracked": True}
        from python_core.annotations import close_capture
        return close_capture.capture(self.db, self.settings(), event, utc_now())

    @use_case
    def book_status(self, book: dict[str, Any]) -> dict[str, Any]:
        """For the per-book entries (file browser, reader menu): whether the file is a
        book, whether it is tracked, whether BookLore knows it (local, no network)."""
        return book_tracking.status(self.db, book)

    @use_case
    def set_book_tracking(self, book: dict[str, Any], reader: str | None = None
                          ) -> dict[str, Any]:
        """"Don't track this book" ({file_path or partial_md5, title, tracked}): switched
        off, the session `reader` is running for it ends unsaved; its queued items stay."""
        tracked = bool(book.get("tracked"))
        result = book_tracking.set_tracking(self.db, book, tracked, utc_now())
        tracker = self.tracker(reader)
        state = tracker.state
        if not tracked and state is not None and state["book_hash"] == result["book_hash"]:
            tracker.discard()
        return result

    @use_case
    def recover_reading(self) -> dict[str, Any]:
        """At start-up: a session a crash left open is finished at its last activity."""
        result = self.reading.recover()
        return {"recovered": result is not None, **(result or {})}

    @use_case
    def continue_reading(self) -> dict[str, Any]:
        """At the sidecar's start-up: a session saved as open goes on, since KOReader may
        still be reading it (only the core process died); a new start finishes it."""
        return {"continued": self.reading.adopt(self.settings()["idle_cap_minutes"] * 60)}

    @use_case
    def end_reader(self, reader: str | None) -> dict[str, Any]:
        """A KOReader the sidecar served is gone: its open session ends at its last
        activity, as a crash's would."""
        tracker = self.readers.pop(reader, None) if reader is not None else self.reading
        result = tracker.end_at_last_activity() if tracker is not None else None
        return {"ended": result is not None, **(result or {})}


#: What closing a book needs beyond the start's imports (annotation capture: zip and XML
#: parsing, ~30 ms here, far more on an e-reader), imported on a thread of its own as soon
#: as a book opens, so that the close, which the reader waits for, does not pay for it.
PREPARED_AT_OPEN = ("python_core.annotations.close_capture",)


def _prepare_in_background(names: tuple[str, ...]) -> None:
    missing = [name for name in names if name not in sys.modules]
    if not missing:
        return

    def prepare() -> None:
        for name in missing:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the use case imports it again and reports
                log.warning("preparing %s failed", name, exc_info=True)
    threading.Thread(target=prepare, name="booklore-prepare", daemon=True).start()
