"""The reading session in progress: begun at book open or wake-up, fed page turns, ended at
close or suspend, and saved as it goes.

The plugin sends plain event values (time, page, progress, location); everything that
decides what a session is lives here and in `sessions.judge`. The state is written to
`open_session` when it starts and at most once a minute while pages turn (those saves are
written on a thread of their own, so a turn never waits for the disk or for a sync's write
lock), so a crash or a dead battery loses at most about a minute; the next start finishes such a session at its last
recorded activity. A page turn after a longer idle gap than the cap ends the session at the
previous turn and starts a new one, so a book left open overnight is two sessions, not one
nine-hour session.

A start while a session is open (a KOReader that crashed and came back to a core process
that kept running) first finishes the open one at its last activity, as recovery would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from python_core.clock import utc_now
from python_core.reading.background_save import BackgroundSaver
from python_core.store import Database, open_session

PERSIST_EVERY_SECONDS = 60


class ReadingTracker:
    """One device reads one book at a time; this holds that session."""

    def __init__(self, db: Database, record: Callable[[dict], dict]):
        self._db = db
        self._record = record
        self._idle_cap = float("inf")
        self.state: dict[str, Any] | None = None
        self._saved_at = 0.0
        self._saver = BackgroundSaver(db)

    def start(self, book: dict[str, Any], event: dict[str, Any], idle_cap_seconds: float) -> None:
        """Begin a session; `book` is the resolved book entry, `event` the live position.
        The idle cap is read once here, not on every page turn (a hot path)."""
        now = float(event["time"])
        if self.state is not None:
            self.end_at_last_activity()
        self._idle_cap = idle_cap_seconds
        self.state = {
            "file_path": book["file_path"], "book_hash": book["book_hash"],
            "book_id": book.get("book_id"), "title": book.get("title"),
            "book_type": event.get("book_type"),
            "start_time": now, "last_activity_time": now, "end_time": now,
            "start_progress": event.get("progress"), "end_progress": event.get("progress"),
            "start_location": _location(event), "end_location": _location(event),
            "page": event.get("page"), "pages_read": 0,
        }
        self._persist(now)

    def page_turned(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """Count a turn; returns the result of a session the idle cap just closed."""
        if self.state is None:
            return None
        now = float(event["time"])
        if now < self.state["last_activity_time"]:
            return None  # a turn replayed from the journal after later ones: already counted
        closed = None
        if now - self.state["last_activity_time"] > self._idle_cap:
            closed = self._split_after_idle(now)
        if event.get("page") != self.state["page"]:
            self.state["pages_read"] += 1
        self._advance(event, now)
        if now - self._saved_at >= PERSIST_EVERY_SECONDS:
            self._saver.save(self.state)
            self._saved_at = now
        return closed

    def finish(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """End the session at `event` and hand it to the queue; None if none was open."""
        if self.state is None:
            return None
        state, self.state = self.state, None
        state["end_time"] = float(event["time"])
        if event.get("progress") is not None:
            state["end_progress"] = event["progress"]
        state["end_location"] = _location(event) or state["end_location"]
        return self._queue(state)

    def discard(self) -> None:
        """Drop the session in progress without saving it (its book was switched off)."""
        self.state = None
        with self._db.atomic() as tx:
            open_session.drop(tx)

    def recover(self) -> dict[str, Any] | None:
        """Finish a session a crash left open, at its last recorded activity."""
        state = open_session.load(self._db.connection())
        if state is None or self.state is not None:
            return None
        state["end_time"] = state["last_activity_time"]
        return self._queue(state)

    def adopt(self, idle_cap_seconds: float) -> bool:
        """Take the saved open session as the one in progress (the sidecar restarted while
        KOReader kept reading); False if none was saved or one is already open."""
        state = open_session.load(self._db.connection())
        if state is None or self.state is not None:
            return False
        self.state, self._idle_cap = state, idle_cap_seconds
        self._saved_at = float(state["last_activity_time"])
        return True

    def end_at_last_activity(self) -> dict[str, Any] | None:
        """Finish the open session where its reader was last seen; None if none is open."""
        if self.state is None:
            return None
        state, self.state = self.state, None
        return self._queue(dict(state, end_time=state["last_activity_time"]))

    def _split_after_idle(self, now: float) -> dict[str, Any]:
        closed = dict(self.state, end_time=self.state["last_activity_time"])
        result = self._queue(closed)
        self.state = dict(closed, start_time=now, start_progress=closed["end_progress"],
                          start_location=closed["end_location"], pages_read=0)
        return result

    def _advance(self, event: dict[str, Any], now: float) -> None:
        self.state.update(page=event.get("page"), last_activity_time=now, end_time=now)
        if event.get("progress") is not None:
            self.state["end_progress"] = event["progress"]
        self.state["end_location"] = _location(event) or self.state["end_location"]

    def _queue(self, state: dict[str, Any]) -> dict[str, Any]:
        """Queue the session and drop its saved open state in one transaction: one fsync
        at close instead of two (the reader waits for it), and no moment at which the
        session is both queued and still open. A failed record rolls back and keeps the
        open state for the next start to finish."""
        self._saver.cancel()
        try:
            with self._db.atomic() as tx:
                result = self._record(state)
                if not result.get("ok"):
                    raise _NotRecorded(result)
                open_session.drop(tx)
        except _NotRecorded as failed:
            return failed.result
        return result

    def _persist(self, now: float) -> None:
        """Save the state now, on this thread (a session's start: the book is opening)."""
        self._saver.cancel()
        with self._db.atomic() as tx:
            open_session.save(tx, self.state, utc_now())
        self._saved_at = now

    def wait_for_saves(self) -> None:
        """Until the page-turn saves handed over so far are written."""
        self._saver.wait()

    def close(self) -> None:
        """Before the database closes: the last page-turn save handed over is written."""
        self._saver.stop()


class _NotRecorded(Exception):
    """Rolls back the close's transaction when the session could not be recorded."""

    def __init__(self, result: dict[str, Any]):
        super().__init__(result.get("message"))
        self.result = result


def _location(event: dict[str, Any]) -> str | None:
    value = event.get("location", event.get("page"))
    return None if value is None else str(value)
