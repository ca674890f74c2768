"""Benchmark 7: Match Unmatched Books with a big unmatched cache (issue 5).

The book cache holds N unmatched fingerprints, half of them known to the server. The
plugin's Match Unmatched Books runs the automatic pass on the core's worker (one by-hash
request per book over one keep-alive connection), then uploads what became uploadable;
meanwhile the reader keeps turning pages. Figures: wall time, requests, connections, and
page-turn latency while it runs.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import time
from pathlib import Path

from bridge import HeadlessHost
from python_core.facade import BookLoreSync
from python_core.store import book_cache
from tools.bench_host import MANAGE, _turns
from tools.bench_setup import (
    KOREADER,
    Sizes,
    book_hash,
    configure,
    figure,
    heading,
    latency_line,
    ms,
    percentile,
    say,
)
from tools.booklore_server import BookLoreServer, make_sample_library

NOW = "2026-01-01T00:00:00Z"


def run(sizes: Sizes) -> None:
    count = sizes.unmatched_books
    heading(7, f"Match Unmatched Books with {count:,} unmatched books")
    work = Path(tempfile.mkdtemp(prefix="bench-matching-"))
    server = _server(count)
    try:
        settings = work / "settings"
        configure(settings, server.url, manual_sync_only=True)
        _unmatched_cache(settings, count)
        book = make_sample_library(work / "books")[0]
        with HeadlessHost(settings, online=True) as host:
            host.open_book(book.path, title=book.title, pages=100_000)
            host.run_until_idle()  # its own lookup at open: not part of the figure
            unmatched = int(host.menu(*MANAGE)["children"][2]["text"].split("(")[1][:-1])
            server.reset_state()
            with _ConnectionCount() as connections:
                started = time.perf_counter()
                host.tap_menu(*MANAGE, "Match Unmatched Books")
                turns = []
                while _lookups(server) < unmatched and time.perf_counter() - started < 300:
                    turns += _turns(host, 10)  # the reader goes on reading meanwhile
                host.run_until_idle(timeout=300)
                wall = time.perf_counter() - started
            said = host.toasts[-1].splitlines()[0]
            label = host.menu(*MANAGE)["children"][2]["text"]
        lookups = _lookups(server)
        say(f"{lookups:,} by-hash requests for {unmatched:,} unmatched books (the {count:,} "
            "in the cache and the open one; 1 per book expected), "
            f"{connections.opened} connection(s) opened, in {wall:.2f} s "
            f"({wall / max(1, lookups) * 1000:.2f} ms per book, the upload of what matched "
            f"included)")
        say(f"the plugin said: {said!r}; the menu now shows {label!r}")
        say(latency_line("page turn while matching runs", turns))
        floor = _direct_lookups(server, lookups)
        say(f"floor: the same {lookups:,} by-hash GETs from one keep-alive requests.Session, "
            f"nothing stored: {floor:.2f} s")
        figure(7, f"Match Unmatched Books, {unmatched:,} unmatched", f"{wall:.2f} s, "
               f"{lookups:,} requests, {connections.opened} connection(s)",
               f"same GETs directly: {floor:.2f} s", wall / floor,
               "1 request per book, 1 connection", lookups == unmatched and connections.opened == 1)
        figure(7, "page turn while matching runs", f"p99 {ms(percentile(turns, 99))}, "
               f"max {ms(max(turns))}", "", None, "max < 50 ms, p99 < 10 ms",
               max(turns) < 0.050 and percentile(turns, 99) < 0.010)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


class _ConnectionCount(logging.Handler):
    """Counts urllib3's "Starting new HTTP connection" records: keep-alive means one."""

    def __enter__(self) -> "_ConnectionCount":
        self.opened = 0
        self._disabled = logging.root.manager.disable
        logging.disable(logging.NOTSET)
        self._logger = logging.getLogger("urllib3.connectionpool")
        self._level = self._logger.level
        self._logger.setLevel(logging.DEBUG)
        self._logger.addHandler(self)
        return self

    def __exit__(self, *exc_info) -> None:
        self._logger.removeHandler(self)
        self._logger.setLevel(self._level)
        logging.disable(self._disabled)

    def emit(self, record: logging.LogRecord) -> None:
        if "Starting new HTTP" in record.getMessage():
            self.opened += 1


def _server(count: int) -> BookLoreServer:
    server = BookLoreServer(flavour="fork").start()
    server.add_user("bench", "bench-bl-pass", koreader=KOREADER)
    for n in range(1, count + 1, 2):  # every other book is in the library
        server.add_book(f"Book {n}", ["Author"], file_hash=book_hash(n))
    return server


def _unmatched_cache(settings: Path, count: int) -> None:
    core = BookLoreSync(settings)
    with core.db.atomic() as tx:
        for n in range(1, count + 1):
            book_cache.remember_file(tx, {"file_path": f"/books/{n}.epub",
                                          "book_hash": book_hash(n), "title": f"Book {n}"}, NOW)
    core.close()


def _direct_lookups(server, count: int) -> float:
    """The floor: what the lookups cost without the core (no store, no client checks)."""
    import requests  # the bench's own floor; the core reaches requests only in its transport
    headers = {"x-auth-user": KOREADER[0],
               "x-auth-key": hashlib.md5(KOREADER[1].encode()).hexdigest()}
    with requests.Session() as session:
        started = time.perf_counter()
        for n in range(1, count + 1):
            session.get(f"{server.url}/api/koreader/books/by-hash/{book_hash(n)}",
                        headers=headers, timeout=10)
        return time.perf_counter() - started


def _lookups(server) -> int:
    return sum(1 for _method, path, _status in server.request_log if "/by-hash/" in path)
