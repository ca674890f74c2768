"""A total deadline for one request: connect, headers and body together.

Socket timeouts bound each read, not the answer: a server (or a broken proxy) that sends
one byte every half second never trips a 30 s read timeout and keeps a sync running for
ever. So every request gets a `Deadline`; the transport's connections `attach` their
socket to the deadline of the request they carry, and one watchdog thread per process
shuts attached sockets down when their deadline passes. The blocked read then returns at
once, and the transport reports the request as sent without an answer (`ResponseLost`),
because by then the server may well have stored it.

No HTTP library is imported here; `transport.py` wires this into its connections.
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Deadline:
    """The moment one request must be over by; `expired` once the watchdog stopped it."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self.finished = False
        #: A request started on an attached connection: from then on it may have been sent.
        self.sending = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def attach(self, sock: socket.socket | None, sending: bool = False) -> None:
        """Put a connection's socket under this deadline (a second attach is harmless)."""
        with self._lock:
            if self.expired:  # too late: nothing more goes out on this socket
                if sock is not None:
                    _shut(sock)
                return
            self.sending = self.sending or sending
            if sock is not None and not any(sock is kept for kept in self._sockets):
                self._sockets.append(sock)

    def finish(self) -> bool:
        """The request is over; True when it ended in time (the watchdog did not act)."""
        with self._lock:
            self.finished = True
            self._sockets.clear()
            return not self.expired

    def expire(self) -> None:
        with self._lock:
            if self.finished:
                return
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    # The plain socket's shutdown, also for a TLS socket: ssl.SSLSocket.shutdown would
    # drop its SSL object under the thread that is reading with it.
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by the other side or by the request itself


class _Watchdog:
    """One daemon thread for all deadlines, started on first use."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: Deadline) -> None:
        with self._cond:
            heapq.heappush(self._heap, (deadline.at, next(self._order), deadline))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="booklore-deadlines",
                                                daemon=True)
                self._thread.start()
            if self._heap[0][2] is deadline:
                # Only a deadline earlier than all others changes when the watchdog must
                # wake; waking it for every request of a drain costs each a thread switch.
                self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                while self._heap and (self._heap[0][2].finished or self._heap[0][0] <= now):
                    _at, _order, deadline = heapq.heappop(self._heap)
                    deadline.expire()
                wait = self._heap[0][0] - now if self._heap else None
                self._cond.wait(wait)


_WATCHDOG = _Watchdog()
_current = threading.local()


@contextmanager
def request_deadline(seconds: float) -> Iterator[Deadline]:
    """Run one request of this thread under a deadline of `seconds`."""
    deadline = Deadline(seconds)
    _current.deadline = deadline
    _WATCHDOG.watch(deadline)
    try:
        yield deadline
    finally:
        _current.deadline = None
        deadline.finish()


def attach_current(sock: socket.socket | None, sending: bool = False) -> None:
    """Called by a connection as it carries a request: when it has just connected, and
    when the request starts on a socket that is already connected. `sending` says the
    request's bytes may go out from now on."""
    deadline = getattr(_current, "deadline", None)
    if deadline is not None:
        deadline.attach(sock, sending)
