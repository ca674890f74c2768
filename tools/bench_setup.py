"""Shared pieces of tools/bench: sizes, statistics, printing, a seeded session queue and
the local server with many books. Nothing here asserts; the bench only measures."""

from __future__ import annotations

import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from python_core.facade import BookLoreSync
from python_core.store import session_queue
from tools.booklore_server import BookLoreServer

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
KOREADER = ("bench-ko", "bench-pass")


@dataclass(frozen=True)
class Sizes:
    drain_sessions: int
    drain_books: int
    closes: int
    menu_rows: int
    turn_sync_sessions: int
    files: int
    cold_starts: int
    repeats: int
    unmatched_books: int
    history_books: int
    history_visits: int


FULL = Sizes(drain_sessions=10_000, drain_books=100, closes=300, menu_rows=100_000,
             turn_sync_sessions=10_000, files=1_000, cold_starts=15, repeats=3,
             unmatched_books=1_000, history_books=500, history_visits=1_000_000)
QUICK = Sizes(drain_sessions=600, drain_books=6, closes=20, menu_rows=5_000,
              turn_sync_sessions=600, files=60, cold_starts=2, repeats=1,
              unmatched_books=60, history_books=50, history_visits=20_000)


def book_hash(n: int) -> str:
    return f"{n:032x}"


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def latency_line(label: str, samples: list[float]) -> str:
    return (f"{label}: median {ms(statistics.median(samples))}, p99 {ms(percentile(samples, 99))}, "
            f"max {ms(max(samples))} (n={len(samples)})")


@dataclass(frozen=True)
class Figure:
    """One line of the summary: a measured figure against its floor and its target."""
    section: int
    what: str
    figure: str
    floor: str
    ratio: float | None
    target: str
    met: bool | None


#: Every figure the sections report in this run, in order; printed at the end.
FIGURES: list[Figure] = []


def figure(section: int, what: str, value: str, floor: str = "", ratio: float | None = None,
           target: str = "", met: bool | None = None) -> None:
    FIGURES.append(Figure(section, what, value, floor, ratio, target, met))


def print_summary() -> None:
    """The run's figures as one Markdown table (pasted into docs/PERFORMANCE.md)."""
    print("\n== Summary: each figure against its floor and its target\n")
    print("| # | what | figure | floor | ratio | target | met? |")
    print("|---|---|---|---|---|---|---|")
    for f in FIGURES:
        ratio = f"{f.ratio:.2f}x" if f.ratio is not None else ""
        met = "" if f.met is None else ("yes" if f.met else "**no**")
        print(f"| {f.section} | {f.what} | {f.figure} | {f.floor} | {ratio} | {f.target} | {met} |")


def heading(number: int, title: str) -> None:
    print(f"\n== {number}. {title}", flush=True)


def say(text: str) -> None:
    print(f"   {text}", flush=True)


@contextmanager
def stopwatch():
    """`with stopwatch() as elapsed: ...` then `elapsed()` is the block's wall time."""
    started = time.perf_counter()
    finished: list[float] = []
    yield lambda: (finished[0] if finished else time.perf_counter()) - started
    finished.append(time.perf_counter())


def start_server(books: int) -> BookLoreServer:
    """The fork flavour with the bench account and `books` books (ids 1..books)."""
    server = BookLoreServer(flavour="fork").start()
    server.add_user("bench", "bench-bl-pass", koreader=KOREADER)
    for n in range(1, books + 1):
        server.add_book(f"Book {n}", ["Author"], file_hash=book_hash(n))
    return server


def configure(settings_dir: Path, server_url: str, **extra) -> None:
    core = BookLoreSync(settings_dir)
    values = {"server_url": server_url, "username": KOREADER[0], "password": KOREADER[1],
              **extra}
    for key, value in values.items():
        assert core.set_setting(key, value)["ok"], key
    core.close()


def queue_sessions(settings_dir: Path, count: int, books: int, resolved: bool = True,
                   interleaved: bool = True) -> None:
    """`count` valid sessions spread evenly over `books` books, in one transaction.

    Interleaved (the default, and the worst case for the sync's page writes): consecutive
    rows belong to different books, as when a reader alternates between many books.
    Otherwise each book's sessions are consecutive rows."""
    core = BookLoreSync(settings_dir)
    per_book = max(1, count // books)
    with core.db.atomic() as tx:
        for i in range(count):
            book = i % books + 1 if interleaved else min(books, i // per_book + 1)
            start = T0 + i * 600
            session_queue.insert(tx, {
                "book_id": book if resolved else None, "book_hash": book_hash(book),
                "book_type": "EPUB", "title": f"Book {book}", "start_time": iso(start),
                "end_time": iso(start + 420), "duration_seconds": 420,
                "start_progress": (i % 90) * 1.0, "end_progress": (i % 90) + 0.75,
                "start_location": str(i % 300), "end_location": str(i % 300 + 6),
                "pages_read": 6, "created_at": iso(start + 420)})
    core.close()
