"""Benchmark 9: the plugin in a real KOReader's situation, over the sidecar.

The plugin runs in Debian's standalone luajit (bridge/standalone.py, its own
`bookloresync/core.lua`) against a real `booklore-sync serve`; every figure is timed inside
the Lua process with socket.gettime, as KOReader's UI thread would see it:

- a page turn (PageUpdate through main.lua to the core's answer), goal p99 < 5 ms;
- a render of the Manage Sessions menu with a big queue, goal p99 < 5 ms;
- closing a book until the session is durable: in the database (the core answered) and in
  the journal (no core: appended and fsynced), goal median <= 2 ms (the close itself, with
  KOReader's own close work in the stand-ins, is included: an upper bound);
- the sidecar's cold start (spawn to the first answered call) and resident memory, under
  CPython and, when installed, PyPy.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.bench_setup import (
    Sizes,
    configure,
    figure,
    heading,
    latency_line,
    percentile,
    queue_sessions,
    say,
)

REPO = Path(__file__).resolve().parent.parent
ADDRESS = "booklore-sync-sidecar.json"
MENU = ["BookLore Sync", "Settings", "Manage Sessions"]


def run(sizes: Sizes) -> None:
    heading(9, "The plugin over the sidecar (standalone luajit + booklore-sync serve)")
    from bridge.standalone import StandaloneHost, luajit_available
    why = luajit_available()
    if why:
        say(f"skipped: {why}")
        return
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "koreader" / "settings"
        configure(folder, "http://127.0.0.1:9")  # never reached: the host stays offline
        queue_sessions(folder, sizes.menu_rows, 100)
        book = Path(scratch) / "book.epub"
        book.write_bytes(os.urandom(400_000))
        with StandaloneHost(folder, online=False, python=sys.executable) as host:
            try:
                _through_the_core(host, book, sizes)
                _journal_path(host, folder, book, sizes)
            finally:
                _stop(folder)
        _check(folder, sizes)
    for python in _interpreters():
        _cold_start(python, sizes)


def _through_the_core(host, book: Path, sizes: Sizes) -> None:
    host.open_book(book, title="Bench", pages=5000)
    host.run_until_idle(60)
    turns = [t / 1000 for t in host.request("time_page_turns", sizes.closes * 5)]
    say(latency_line("page turn over the sidecar", turns))
    _goal("page turn over the sidecar, p99", percentile(turns, 99), 5.0, "p99 < 5 ms")
    renders = [t / 1000 for t in host.request("time_menu", sizes.closes, MENU)]
    say(latency_line(f"Manage Sessions render, {sizes.menu_rows:,} queued", renders))
    _goal(f"Manage Sessions render over the sidecar, {sizes.menu_rows:,} queued, p99",
          percentile(renders, 99), 5.0, "p99 < 5 ms")
    host.close_book()
    _closes(host, book, sizes, "in the database (core answered)")


def _goal(what: str, seconds: float, limit_ms: float, target: str) -> None:
    figure(9, what, f"{seconds * 1000:.2f} ms", target=target, met=seconds * 1000 < limit_ms
           if "<" in target and "<=" not in target else seconds * 1000 <= limit_ms)


def _check(folder: Path, sizes: Sizes) -> None:
    """What the timed calls did: sessions in the queue, records in the journal."""
    from python_core.facade import BookLoreSync
    with BookLoreSync(folder) as core:
        queued = core.queue_counts()["sessions"] - sizes.menu_rows
        pages = core.db.connection().execute(
            "SELECT max(pages_read) FROM pending_sessions").fetchone()[0]
    journal = folder / "booklore-sync-journal.jsonl"
    lines = len(journal.read_bytes().splitlines()) if journal.exists() else 0
    say(f"check: {queued} sessions reached the database (the longest with {pages} pages "
        f"read: every timed turn was counted), {lines} records wait in the journal")


def _journal_path(host, folder: Path, book: Path, sizes: Sizes) -> None:
    host.set_reader_setting("bookloresync_python", "/nonexistent/python3")
    _stop(folder)
    host.open_book(book, title="Bench", pages=5000)  # the first call finds the core gone
    host.turn_page()
    host.close_book()
    _closes(host, book, sizes, "in the journal (no core, fsynced)")


def _closes(host, book: Path, sizes: Sizes, where: str) -> None:
    """onCloseDocument (the plugin's part: session and marks handed over and durable) and
    the whole close_book (with the stand-ins' own close work, which KOReader does too)."""
    host.request("close_handler_times")
    whole = []
    for _ in range(sizes.closes):
        host.open_book(book, title="Bench", pages=5000)
        host.request("time_close_handler")  # this book's plugin instance
        for _ in range(3):
            host.advance(20)
            host.turn_page()
        whole.append(host.request("time", "close_book") / 1000)
    handler = [t / 1000 for t in host.request("close_handler_times")]
    say(latency_line(f"onCloseDocument -> session {where}", handler))
    _goal(f"close -> session {where}, median", statistics.median(handler), 2.0,
          "median <= 2 ms")
    say(latency_line("  the whole close_book", whole))


def _stop(folder: Path) -> None:
    try:
        os.kill(json.loads((folder / ADDRESS).read_text())["pid"], signal.SIGKILL)
    except (OSError, ValueError, KeyError):
        pass
    time.sleep(0.2)


def _interpreters() -> list[tuple[str, str]]:
    found = [("CPython", sys.executable)]
    pypy = shutil.which("pypy3")
    if pypy:
        found.append(("PyPy", pypy))
    return found


def _cold_start(interpreter: tuple[str, str], sizes: Sizes) -> None:
    name, python = interpreter
    starts, rss = [], []
    for _ in range(max(3, sizes.cold_starts)):
        with tempfile.TemporaryDirectory() as folder:
            seconds, kib = _one_start(python, Path(folder))
            starts.append(seconds)
            rss.append(kib / 1024)
    version = subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                             capture_output=True, text=True).stdout.strip()
    say(f"sidecar cold start, {name} {version}: spawn -> first answered call median "
        f"{statistics.median(starts) * 1000:.0f} ms (min {min(starts) * 1000:.0f}, "
        f"max {max(starts) * 1000:.0f}); resident memory {statistics.median(rss):.1f} MiB")
    figure(9, f"sidecar cold start and memory, {name} {version}",
           f"{statistics.median(starts) * 1000:.0f} ms, {statistics.median(rss):.1f} MiB")


def _one_start(python: str, folder: Path) -> tuple[float, int]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.perf_counter()
    process = subprocess.Popen([python, "-m", "python_core", "--settings-dir", str(folder),
                                "serve", "--idle-exit", "30"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not (folder / ADDRESS).exists():
            time.sleep(0.002)
        address = json.loads((folder / ADDRESS).read_text())
        with socket.create_connection(("127.0.0.1", address["port"]), timeout=10) as sock:
            reader = sock.makefile("rb")
            sock.sendall(json.dumps({"op": "hello", "token": address["token"],
                                     "client": "bench"}).encode() + b"\n")
            reader.readline()
            sock.sendall(b'{"op": "call", "id": 1, "call": "queue_counts", "args": []}\n')
            reader.readline()
            elapsed = time.perf_counter() - started
            kib = next(int(line.split()[1]) for line in open(f"/proc/{process.pid}/status")
                       if line.startswith("VmRSS:"))
        return elapsed, kib
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)
