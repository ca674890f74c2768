"""Benchmark 1: drain a large queue through the real core, against the physical floor.

The floor is the same payloads (the batches the core sends) POSTed directly with one
keep-alive `requests.Session`: JSON encoding, HTTP and the server's work, with no
database, no bookkeeping and no fsync. The core adds, per batch, a "sending" commit before
the request and a move-to-history commit after it (each one fsync, WAL + FULL).
"""

from __future__ import annotations

import collections
import json
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import requests

from python_core.facade import BookLoreSync
from python_core.reading import sessions
from python_core.server.client import BookLoreClient, md5_hex
from python_core.store import DB_FILENAME, config_tables
from python_core.sync import session_upload
from python_core.sync.session_upload import BATCH_LIMIT
from tools.bench_setup import (
    KOREADER,
    Sizes,
    configure,
    figure,
    heading,
    queue_sessions,
    say,
    start_server,
    stopwatch,
)


def run(sizes: Sizes) -> None:
    heading(1, f"Drain {sizes.drain_sessions:,} queued sessions over {sizes.drain_books} books")
    server = start_server(sizes.drain_books)
    work = Path(tempfile.mkdtemp(prefix="bench-drain-"))
    try:
        seed, contiguous = work / "seed", work / "contiguous"
        for folder, interleaved in ((seed, True), (contiguous, False)):
            configure(folder, server.url)
            queue_sessions(folder, sizes.drain_sessions, sizes.drain_books, interleaved=interleaved)
        payloads = batch_payloads(seed)
        repeat = range(sizes.repeats)
        runs = {
            "core": [drain(server, seed, work / f"batched{i}") for i in repeat],
            "floor": [post_directly(server, payloads) for _ in repeat],
            "durable floor": [post_directly(server, payloads, work / f"d{i}") for i in repeat],
            "contiguous": [drain(server, contiguous, work / f"contiguous{i}") for i in repeat],
        }
        single = drain(server, seed, work / "singly", batch=False)
        report(runs, single, len(payloads))
        say("where the core's time goes (one more drain, instrumented): "
            + breakdown(server, seed, work / "instrumented", len(payloads)))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def batch_payloads(seed: Path) -> list[dict]:
    """The batches the core will send: per book in queue order, chunks of BATCH_LIMIT."""
    core = BookLoreSync(seed)
    rows = core.db.connection().execute("SELECT * FROM pending_sessions ORDER BY id").fetchall()
    decimals = core.settings()["progress_decimals"]
    core.close()
    by_book: dict[int, list] = {}
    for row in rows:
        by_book.setdefault(row["book_id"], []).append(row)
    payloads = []
    for book_id, book_rows in by_book.items():
        for start in range(0, len(book_rows), BATCH_LIMIT):
            chunk = book_rows[start:start + BATCH_LIMIT]
            payloads.append({"bookId": book_id, "bookType": "EPUB",
                             "sessions": [sessions.upload_item(r, decimals) for r in chunk]})
    return payloads


def drain(server, seed: Path, folder: Path, batch: bool = True) -> dict:
    """Copy the seeded queue and sync it once through the facade; wall time and requests."""
    folder.mkdir()
    shutil.copy(seed / DB_FILENAME, folder / DB_FILENAME)
    core = BookLoreSync(folder)
    if not batch:  # a server remembered as having no batch endpoint: one POST per session
        with core.db.atomic() as tx:
            config_tables.set_batch_capability(tx, server.url, False, "2026-11-21T00:00:00Z")
    server.reset_state()
    with stopwatch() as elapsed:
        result = core.sync_pending()
    left = core.queue_counts()["sessions"]
    core.close()
    return {"seconds": elapsed(), "requests": len(server.request_log),
            "synced": result["synced"]["sessions"], "left": left}


def post_directly(server, payloads: list[dict], durable: Path | None = None) -> dict:
    """The floor. With `durable`, also the least bookkeeping that survives a power cut:
    one single-row WAL + FULL commit before and one after each request."""
    server.reset_state()
    journal = durable and _scratch_journal(durable)
    headers = {"x-auth-user": KOREADER[0], "x-auth-key": md5_hex(KOREADER[1]),
               "Content-Type": "application/json", "Accept": "application/json"}
    url = server.url + "/api/v1/reading-sessions/batch"
    with requests.Session() as http, stopwatch() as elapsed:
        for number, payload in enumerate(payloads):
            if journal:
                _commit(journal, number, "sending")
            answer = http.post(url, data=json.dumps(payload).encode(), headers=headers)
            answer.raise_for_status()
            if journal:
                _commit(journal, number, "done")
    if journal:
        journal.close()
    return {"seconds": elapsed(), "requests": len(payloads)}


def _scratch_journal(folder: Path) -> sqlite3.Connection:
    folder.mkdir()
    conn = sqlite3.connect(folder / "journal.sqlite", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE batch (number INTEGER PRIMARY KEY, state TEXT)")
    return conn


def _commit(conn: sqlite3.Connection, number: int, state: str) -> None:
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO batch VALUES (?, ?) ON CONFLICT DO UPDATE SET state = excluded.state",
                 (number, state))
    conn.execute("COMMIT")


#: (class, method, label) timed by `breakdown`; a name that no longer exists is skipped.
_TIMED = ((BookLoreClient, "post_session_batch", "HTTP in the client"),
          (session_upload.SessionUploader, "_mark_sending", "'sending' commit"),
          (session_upload.SessionUploader, "_succeeded", "move-to-history commit"),
          (session_upload.SessionUploader, "_prepare", "building 100 items"))


def breakdown(server, seed: Path, folder: Path, batches: int) -> str:
    spent: collections.Counter = collections.Counter()
    originals = []
    for owner, name, label in _TIMED:
        if hasattr(owner, name):
            originals.append((owner, name, getattr(owner, name)))
            setattr(owner, name, _timed(getattr(owner, name), label, spent))
    try:
        total = drain(server, seed, folder)["seconds"]
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
    parts = [f"{label} {seconds / batches * 1000:.2f}" for label, seconds in spent.items()]
    rest = total - sum(spent.values())
    return f"per batch (ms): {', '.join(parts)}, everything else {rest / batches * 1000:.2f}"


def _timed(function, label: str, spent: collections.Counter):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - started
    return wrapper


def report(runs: dict, single: dict, batches: int) -> None:
    wall = {name: statistics.median(r["seconds"] for r in results) for name, results in runs.items()}
    first = runs["core"][0]
    say(f"core (facade.sync_pending): {first['requests']} requests for {first['synced']:,} "
        f"sessions ({batches} expected: 1 per {BATCH_LIMIT} sessions per book), "
        f"{first['left']} left; wall {wall['core'] * 1000:.0f} ms (median of {len(runs['core'])})")
    say(f"floor (same {batches} payloads, one keep-alive requests.Session, no bookkeeping): "
        f"{wall['floor'] * 1000:.0f} ms")
    say(f"durable floor (the same + one 1-row WAL/FULL commit before and after each request): "
        f"{wall['durable floor'] * 1000:.0f} ms")
    say(f"core with each book's sessions in consecutive rows: {wall['contiguous'] * 1000:.0f} ms")
    say(f"one session per request through the core: {single['requests']:,} requests, "
        f"{single['seconds'] * 1000:.0f} ms, {single['synced']:,} synced")
    say(f"ratio core / floor: {wall['core'] / wall['floor']:.2f}x (target <= 1.5x); "
        f"/ durable floor: {wall['core'] / wall['durable floor']:.2f}x; consecutive rows / floor: "
        f"{wall['contiguous'] / wall['floor']:.2f}x")
    say(f"ratio one-per-request / batched: {single['seconds'] / wall['core']:.1f}x")
    ratio = wall["core"] / wall["floor"]
    figure(1, f"drain {first['synced']:,} sessions", f"{wall['core'] * 1000:.0f} ms, "
           f"{first['requests']} requests", f"HTTP floor {wall['floor'] * 1000:.0f} ms", ratio,
           "<= 1.1x (issue 15 item 4, another change)", ratio <= 1.1)
    batching = single["seconds"] / wall["core"]
    figure(1, "one session per request instead", f"{single['seconds'] * 1000:.0f} ms",
           "batched drain", batching, "10-20x faster batched (the seeds)", batching >= 10)
