"""The sessions phase's second thread: it commits while the next request is on the wire.

A drain is a row of requests, and between two of them the phase has database work: the
durable move to the history of the batch just accepted, the reading and building of the
next chunk, and its "being sent" mark. Done in line, that work adds to every request's
time; here it runs on a thread with its own SQLite connection while the phase's thread
waits for the server (SQLite and the socket both release the interpreter lock), and the
work waiting when the thread wakes is committed in one transaction: one fsync per batch.

The order stays what the guarantees need (docs/SYNC.md): a batch's move is handed over
only after its 2xx; the next batch is sent only once its mark is committed; and the phase
writes from its own thread only while this one is idle (after `wait`), so every write
happens in the order the phase decided it. Exceptions raised by a job come back from
`wait` on the phase's thread.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from python_core.store import Database

#: At most this many tickets wait for company, for at most this long (seconds).
MAX_GROUP = 4
MAX_DELAY = 0.25
#: How much lower than the others the commit thread runs (a nice value, Linux only).
NICENESS = 5
#: job(tx) -> value, run inside the writer's transaction.
Job = Callable[[Any], Any]


class Ticket:
    """The outcome of one submitted group of jobs: `wait()` returns the last job's value."""

    def __init__(self, jobs: list[Job], durable: bool, after: list[Callable[[], None]],
                 urgent: bool = True, before: Callable[[], None] | None = None):
        self.jobs, self.durable, self.after, self.urgent = jobs, durable, after, urgent
        self.before = before
        self.submitted = time.monotonic()
        self._done = threading.Event()
        self._value: Any = None
        self._error: BaseException | None = None

    def settle(self, value: Any, error: BaseException | None) -> None:
        self._value, self._error = value, error
        self._done.set()

    def wait(self) -> Any:
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value


class CommitWriter:
    """One thread, one connection, jobs run in the order submitted; a context manager
    that joins the thread and closes its connection on exit."""

    def __init__(self, db: Database):
        self._db = db
        self._queue: list[Ticket] = []
        self._cond = threading.Condition()
        self._closing = False
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="booklore-commits",
                                        daemon=True)
        self._thread.start()

    def submit(self, jobs: list[Job], durable: bool = True,
               after: list[Callable[[], None]] | None = None, urgent: bool = True,
               before: Callable[[], None] | None = None) -> Ticket:
        """Run `jobs` in one transaction (joined with whatever else is waiting), then the
        `after` callbacks (checkpoints) once it is committed. `before` runs first, outside
        the transaction: reading and building, which need not hold the write lock that a
        reader closing a book may be waiting for. Work nobody waits for
        (`urgent=False`: a move to the history) may wait for company, up to MAX_GROUP
        tickets or MAX_DELAY seconds: many batches of interleaved books share the pages
        of the queue, and one transaction writes each page once."""
        ticket = Ticket(jobs, durable, after or [], urgent, before)
        with self._cond:
            self._queue.append(ticket)
            self._cond.notify()
        return ticket

    def check(self) -> None:
        """Raise the writer's first error, if it had one: nothing more should be sent."""
        if self._failure is not None:
            raise self._failure

    def flush(self) -> None:
        """Wait until everything submitted so far is committed; raises the first error of
        any of it (work handed over without waiting for it included)."""
        self.submit([], durable=False).wait()
        self.check()

    def __enter__(self) -> CommitWriter:
        return self

    def __exit__(self, *exc_info) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join()

    def _run(self) -> None:
        _lower_priority()
        try:
            while True:
                with self._cond:
                    while not self._closing and not self._due():
                        self._cond.wait(self._wait_for())
                    if not self._queue:
                        return
                    group, self._queue = self._queue, []
                self._commit(group)
        finally:
            self._db.close_thread_connection()

    def _due(self) -> bool:
        queue = self._queue
        return bool(queue) and (len(queue) >= MAX_GROUP or any(t.urgent for t in queue)
                                or time.monotonic() - queue[0].submitted >= MAX_DELAY)

    def _wait_for(self) -> float | None:
        if not self._queue:
            return None
        return max(0.0, self._queue[0].submitted + MAX_DELAY - time.monotonic())

    def _commit(self, group: list[Ticket]) -> None:
        if self._failure is not None:  # after a failure nothing more is written
            for ticket in group:
                ticket.settle(None, self._failure)
            return
        values: list[Any] = []
        try:
            for ticket in group:
                if ticket.before is not None:
                    ticket.before()
            with self._db.atomic(durable=any(t.durable for t in group)) as tx:
                for ticket in group:
                    value = None
                    for job in ticket.jobs:
                        value = job(tx)
                    values.append(value)
        except BaseException as exc:  # noqa: BLE001 - handed to every waiting thread
            self._failure = self._failure or exc
            for ticket in group:
                ticket.settle(None, exc)
            return
        for ticket, value in zip(group, values):
            error = None
            try:
                for callback in ticket.after:
                    callback()
            except BaseException as exc:  # noqa: BLE001 - e.g. a test's checkpoint
                error = exc
                self._failure = self._failure or exc
            ticket.settle(value, error)


def _lower_priority() -> None:
    """Run this thread a little behind the others (Linux: a thread's own nice value): it
    has slack, and the thread waiting for the server's answer, or the reader's, has not."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)
    except (AttributeError, OSError):  # not Linux, or not allowed: no harm done
        pass
