"""Saving the open session off the reader's thread.

A page turn hands the latest state over and returns at once; one thread of its own writes
it with a durable commit. So a page turn never waits for the disk (an fsync on an e-reader's
flash takes tens of milliseconds when it is busy) nor for a sync holding the write lock,
and the saved state still survives a power cut as before. Only the newest state matters:
a state handed over while an older one waits replaces it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from python_core.clock import utc_now
from python_core.store import Database, open_session

log = logging.getLogger("booklore_sync.reading")

#: How long closing waits for a save under way (one small commit; the busy timeout caps it).
CLOSE_WAIT_SECONDS = 10.0


class BackgroundSaver:
    """One writer thread for `open_session`, started on first use."""

    def __init__(self, db: Database):
        self._db = db
        self._cond = threading.Condition()
        self._pending: dict[str, Any] | None = None
        self._writing = False
        self._stopped = False
        self._thread: threading.Thread | None = None

    def save(self, state: dict[str, Any]) -> None:
        """Hand over a copy of `state` to be written; never blocks on the disk."""
        with self._cond:
            if self._stopped:
                return
            self._pending = dict(state)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="booklore-open-session",
                                                daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def cancel(self) -> None:
        """Forget a state not written yet and wait for one being written, so that nothing
        lands after the caller drops or replaces the open session."""
        with self._cond:
            self._pending = None
            self._cond.wait_for(lambda: not self._writing, timeout=CLOSE_WAIT_SECONDS)

    def wait(self) -> None:
        """Until every state handed over so far is written (tests, orderly shutdown)."""
        with self._cond:
            self._cond.wait_for(lambda: self._pending is None and not self._writing,
                                timeout=CLOSE_WAIT_SECONDS)

    def stop(self) -> None:
        """Write what was handed over (one small commit), end the thread: the database may
        be closed afterwards."""
        self.wait()
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(CLOSE_WAIT_SECONDS)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending is not None or self._stopped)
                if self._pending is None:
                    return
                state, self._pending, self._writing = self._pending, None, True
            try:
                with self._db.atomic() as tx:
                    open_session.save(tx, state, utc_now())
            except Exception:  # noqa: BLE001 - the next save (a minute on) tries again
                log.warning("saving the open session failed", exc_info=True)
            finally:
                with self._cond:
                    self._writing = False
                    self._cond.notify_all()
