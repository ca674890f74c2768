"""The hand-off between the core's worker thread and the one thread that runs Lua.

lupa serialises every Lua call behind one lock and a worker calling Lua can deadlock
the host (lupa-bridge.md §3), so workers never touch Lua. A job runs on the worker and
its plain result is posted here; the host drains the inbox on the Lua thread, where the
matching delivery function (which holds the Lua callback) runs.

One worker thread for all asynchronous core calls: the core then sees one call at a
time (single flight for syncs, one writer for its database) and callbacks arrive in the
order the calls were made, which keeps the headless host deterministic.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("booklore_sync.bridge")

Delivery = Callable[[Any], None]


class WorkerInbox:
    """One worker thread plus a thread-safe inbox drained on the Lua thread."""

    def __init__(self) -> None:
        self._owner = threading.get_ident()
        self._queue: queue.SimpleQueue[tuple[int, Any]] = queue.SimpleQueue()
        self._jobs: queue.SimpleQueue[tuple[int, Callable[[], Any]] | None] = queue.SimpleQueue()
        self._deliveries: dict[int, Delivery] = {}
        self._next_token = 0
        self._worker: threading.Thread | None = None  # started with the first job
        self._closed = False
        self._abandoned = False

    @property
    def pending(self) -> int:
        """Jobs started whose result has not been delivered yet."""
        return len(self._deliveries)

    def start(self, job: Callable[[], Any], deliver: Delivery) -> None:
        """Run `job` on the worker; `deliver(result)` runs later on the Lua thread.

        `job` must not raise: callers wrap it so failures become result values.
        The worker only ever sees an integer token, never the delivery function (which
        holds Lua objects whose reference counts must only move on the Lua thread).
        """
        self._check_thread()
        if self._closed:
            raise RuntimeError("the core's worker has stopped")
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="booklore-core", daemon=True)
            self._worker.start()
        self._next_token += 1
        token = self._next_token
        # Only this thread drains, so the result cannot be delivered before its delivery
        # function is known even though the worker may finish first.
        self._deliveries[token] = deliver
        self._jobs.put((token, job))

    def _work(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None or self._abandoned:
                return
            token, job = item
            self._queue.put((token, job()))

    def drain(self, wait: float = 0.0) -> int:
        """Deliver every result that has arrived; optionally wait up to `wait` s for one."""
        self._check_thread()
        delivered = 0
        try:
            token, result = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
            while True:
                self._deliveries.pop(token)(result)
                delivered += 1
                token, result = self._queue.get_nowait()
        except queue.Empty:
            return delivered

    def close(self, timeout: float = 5.0) -> None:
        """Wait (bounded) for started jobs so the core is not closed under them; their
        results are dropped, since nothing will drain them into Lua any more. Jobs still
        queued when the time is up never run."""
        self._closed = True
        if self._worker is not None:
            self._jobs.put(None)
            self._worker.join(timeout)
            if self._worker.is_alive():
                self._abandoned = True
                log.warning("core calls still running at shutdown; abandoning them")
        self._deliveries.clear()

    def _check_thread(self) -> None:
        if threading.get_ident() != self._owner:
            raise RuntimeError("the Lua side of the bridge may only be used from the thread that created it")
