"""``BookLoreServer``: the public face of the development server, for tests and demos.

It owns the state, the authenticator and the HTTP listener thread. Everything a test
reads back (``sessions``, ``ratings``, ``request_log`` ...) is a snapshot copy taken
under the state lock, so it can be inspected while requests are in flight.
"""

from __future__ import annotations

import copy
import os
import threading
import time

from .auth import Authenticator
from .faults import Fault
from .handler import BookLoreHTTPServer
from .state import BOOK_TYPES, LibraryState

#: What ``/api/v1/healthcheck`` reports as ``data.version`` for each flavour.
VERSIONS = {"fork": "v2.1.0-koreader-plugin", "upstream": "v2.3.0"}


class BookLoreServer:
    """A BookLore-compatible HTTP server. ``flavour`` is "fork" (PR #2298 head, all
    endpoints) or "upstream" (develop: no by-hash, search or batch endpoints)."""

    def __init__(self, flavour="fork", host="127.0.0.1", port=0):
        if flavour not in VERSIONS:
            raise ValueError(f"flavour must be one of {sorted(VERSIONS)}, not {flavour!r}")
        self.flavour = flavour
        self.version = VERSIONS[flavour]
        self.host, self.port = host, port
        self.state = LibraryState()
        self.auth = Authenticator(self.state, self.clock)
        self.clock_offset = 0.0
        self.stall_seconds = 30.0
        self.echo_requests = False
        self.stopping = threading.Event()
        self._fault = None
        self._httpd = None
        self._thread = None

    # -- lifecycle -----------------------------------------------------------------
    def start(self):
        self.stopping.clear()
        self._httpd = BookLoreHTTPServer((self.host, self.port), self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={
            "poll_interval": 0.05}, name="booklore-server", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Return quickly even with stalled or idle keep-alive connections open."""
        if self._httpd is None:
            return
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    # -- set-up --------------------------------------------------------------------
    def add_user(self, username, password, koreader=None, admin=False):
        """A BookLore account, with ``koreader=(username, password)`` linked if given."""
        return self.state.add_user(username, password, koreader, admin)

    def add_book(self, title, authors=(), file_hash=None, isbn13=None, isbn10=None,
                 book_type="EPUB", file_name=None, file_size_kb=None, alternative_formats=()):
        """A book whose primary file has ``current_hash == file_hash``; returns its id.
        ``file_size_kb`` is what the server lists (bytes // 1024); ``alternative_formats``
        are further files of the book as ``(file_name, size_kb, book_type)``."""
        if book_type not in BOOK_TYPES or any(kind not in BOOK_TYPES
                                              for _n, _s, kind in alternative_formats):
            raise ValueError(f"book_type must be one of {BOOK_TYPES}")
        return self.state.add_book(
            title=title, authors=list(authors), file_hash=file_hash, isbn13=isbn13,
            isbn10=isbn10, book_type=book_type, file_name=file_name, file_size_kb=file_size_kb,
            alternative_formats=alternative_formats)

    def add_sample_library(self, books):
        """Register ``SampleBook``s from ``make_sample_library``; returns their ids."""
        return [self.add_book(title=b.title, authors=b.authors, file_hash=b.file_hash,
                              isbn13=b.isbn13, book_type=b.book_type,
                              file_name=os.path.basename(b.path),
                              file_size_kb=os.path.getsize(b.path) // 1024)
                for b in books]

    def set_fault(self, fault_for_request):
        """``fn(method, path) -> Fault | None``, asked once per request; None clears it."""
        self._fault = fault_for_request

    def reset_state(self):
        """Drop stored sessions, ratings, annotations, notes, bookmarks, the request log
        and login-failure counters; keep users, books and issued tokens."""
        self.state.reset_records()

    def clear_request_log(self):
        """Forget the requests seen so far; keep everything stored."""
        with self.state.lock:
            self.state.request_log.clear()

    # -- clock and token lifetime ---------------------------------------------------
    def clock(self):
        """Epoch seconds as the server sees them; tests move time with ``clock_offset``."""
        return time.time() + self.clock_offset

    @property
    def access_token_lifetime(self):
        return self.auth.access_token_lifetime

    @access_token_lifetime.setter
    def access_token_lifetime(self, seconds):
        self.auth.access_token_lifetime = seconds

    # -- what clients stored -------------------------------------------------------
    @property
    def sessions(self):
        return self.state.snapshot("sessions")

    @property
    def annotations(self):
        return self.state.snapshot("annotations")

    @property
    def notes_v2(self):
        return self.state.snapshot("notes_v2")

    @property
    def notes_v1(self):
        return self.state.snapshot("notes_v1")

    @property
    def bookmarks(self):
        return self.state.snapshot("bookmarks")

    @property
    def ratings(self):
        with self.state.lock:
            return dict(self.state.ratings)

    @property
    def request_log(self):
        with self.state.lock:
            return copy.copy(self.state.request_log)

    # -- used by the HTTP handler --------------------------------------------------
    def fault_for(self, method, path):
        fault = self._fault(method, path) if self._fault else None
        return fault or Fault.NONE

    def record_request(self, method, path, status):
        with self.state.lock:
            self.state.request_log.append((method, path, status))
