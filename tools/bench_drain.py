"""Benchmark 1: drain a large queue through the real core, against the physical floor.

The floor is the same payloads (the batches the core sends) POSTed directly with one
keep-alive `requests.Session`: JSON encoding, HTTP and the server's work, with no
database, no bookkeeping and no fsync. The core adds, per batch, a "sending" mark before
the request and a durable move to the history after it, both on its commit thread while
the next request is on the wire, and builds its items in SQLite.

Measured twice: with the tools server in a process of its own (as a real server is: the
target is judged here) and, as before, in the bench's own process, where it shares the
interpreter lock with the client. Core and floor runs alternate, and the ratio is the
median of each pair's, so a machine that slows down meanwhile (other work on its two
cores) slows both sides of a pair alike. The queue is seeded as after a first sync: the
server is known to have the batch endpoint.
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
from python_core.server.client import md5_hex
from python_core.store import DB_FILENAME, config_tables
from python_core.sync import commit_writer, marked_ahead, session_upload
from python_core.sync.session_upload import BATCH_LIMIT
from tools.bench_server import ServerProcess
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

LARGER = 5  # the scaling run drains this many times the sessions


def run(sizes: Sizes) -> None:
    heading(1, f"Drain {sizes.drain_sessions:,} queued sessions over {sizes.drain_books} books")
    work = Path(tempfile.mkdtemp(prefix="bench-drain-"))
    repeats = max(sizes.repeats * 2 + 1, 1)
    own = ServerProcess(sizes.drain_books)
    try:
        seed = seeded(work / "seed", own.url, sizes.drain_sessions, sizes.drain_books)
        payloads = batch_payloads(seed)
        paired = alternate(own, seed, payloads, work / "own", repeats)
        larger = seeded(work / "larger", own.url, sizes.drain_sessions * LARGER,
                        sizes.drain_books)
        scaled = alternate(own, larger, batch_payloads(larger), work / "larger-runs",
                           max(repeats // 2, 1))
        say("where the core's time goes (one more drain, instrumented): "
            + breakdown(own, seed, work / "instrumented", len(payloads)))
    finally:
        own.stop()
    server = start_server(sizes.drain_books)
    try:
        seed_here = seeded(work / "seed-here", server.url, sizes.drain_sessions,
                           sizes.drain_books)
        here = alternate(server, seed_here, payloads, work / "here", repeats)
        contiguous = seeded(work / "contiguous", server.url, sizes.drain_sessions,
                            sizes.drain_books, interleaved=False)
        consecutive = drain(server, contiguous, work / "contiguous-run")
        durable = post_directly(server, payloads, work / "durable")
        single = drain(server, seed_here, work / "singly", batch=False)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(paired, here, scaled, consecutive, durable, single, len(payloads))


def seeded(folder: Path, url: str, count: int, books: int, interleaved: bool = True) -> Path:
    configure(folder, url)
    queue_sessions(folder, count, books, interleaved=interleaved)
    core = BookLoreSync(folder)
    with core.db.atomic() as tx:  # as after the first sync: the server has the batch
        config_tables.set_batch_capability(tx, url, True, "2026-11-21T00:00:00Z")
    core.close()
    return folder


def alternate(server, seed: Path, payloads: list[dict], folder: Path, repeats: int) -> dict:
    """Core, floor, core, floor...: each run's wall time and the median of the pairs' ratios."""
    folder.mkdir()
    cores, floors = [], []
    for number in range(repeats):
        cores.append(drain(server, seed, folder / f"core{number}"))
        floors.append(post_directly(server, payloads))
    ratios = [c["seconds"] / f["seconds"] for c, f in zip(cores, floors)]
    return {"core": cores, "floor": floors, "ratio": statistics.median(ratios),
            "ratios": ratios, "sessions": cores[0]["synced"]}


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
    return {"seconds": elapsed(), "requests": result["requests"],
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


def breakdown(server, seed: Path, folder: Path, batches: int) -> str:
    """Time on the phase's thread in the request and waiting for marks, and the commit
    thread's busy time (which overlaps the requests)."""
    spent: collections.Counter = collections.Counter()
    timed = ((session_upload.SessionUploader, "_send", "request (on the wire)"),
             (marked_ahead.MarkedAhead, "_take", "waiting for a mark"),
             (commit_writer.CommitWriter, "_commit", "commit thread busy (overlapped)"))
    originals = [(owner, name, getattr(owner, name)) for owner, name, _label in timed]
    for owner, name, label in timed:
        setattr(owner, name, _timed(getattr(owner, name), label, spent))
    try:
        total = drain(server, seed, folder)["seconds"]
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
    parts = [f"{label} {seconds / batches * 1000:.2f}" for label, seconds in spent.items()]
    return f"per batch (ms): {', '.join(parts)}; wall {total / batches * 1000:.2f}"


def _timed(function, label: str, spent: collections.Counter):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - started
    return wrapper


def _median_ms(runs: list[dict]) -> float:
    return statistics.median(r["seconds"] for r in runs) * 1000


def report(own: dict, here: dict, scaled: dict, consecutive: dict, durable: dict,
           single: dict, batches: int) -> None:
    first = own["core"][0]
    say(f"core (facade.sync_pending): {first['requests']} requests for {first['synced']:,} "
        f"sessions ({batches} expected: 1 per {BATCH_LIMIT} sessions per book), "
        f"{first['left']} left")
    say(f"server in its own process: core {_median_ms(own['core']):.0f} ms, floor (same "
        f"{batches} payloads, one keep-alive requests.Session, no bookkeeping) "
        f"{_median_ms(own['floor']):.0f} ms; ratio core / floor {own['ratio']:.2f}x (median of "
        f"{len(own['ratios'])} alternating pairs: "
        f"{', '.join(f'{r:.2f}' for r in own['ratios'])})")
    say(f"server in the bench's process (one interpreter lock for both): core "
        f"{_median_ms(here['core']):.0f} ms, floor {_median_ms(here['floor']):.0f} ms; "
        f"ratio {here['ratio']:.2f}x")
    per_session = {name: (_median_ms(runs["core"]) / runs["sessions"],
                          _median_ms(runs["floor"]) / runs["sessions"])
                   for name, runs in (("small", own), ("large", scaled))}
    growth = per_session["large"][0] / per_session["small"][0]
    # The same growth measured against the floor of the same moment: the machine's speed
    # drifts (other work on its two cores) more than the drain's cost does.
    relative = scaled["ratio"] / own["ratio"]
    say(f"{scaled['sessions']:,} sessions (server in its own process): core "
        f"{_median_ms(scaled['core']):.0f} ms, floor {_median_ms(scaled['floor']):.0f} ms, "
        f"ratio {scaled['ratio']:.2f}x; core per session {per_session['small'][0] * 1000:.1f} "
        f"us at {own['sessions']:,}, {per_session['large'][0] * 1000:.1f} us at "
        f"{scaled['sessions']:,}: x{growth:.2f} (floor x"
        f"{per_session['large'][1] / per_session['small'][1]:.2f}); ratio to the floor "
        f"x{relative:.2f}")
    say(f"durable floor (one 1-row WAL/FULL commit before and after each request, "
        f"in-process server): {durable['seconds'] * 1000:.0f} ms")
    say(f"core with each book's sessions in consecutive rows (in-process server): "
        f"{consecutive['seconds'] * 1000:.0f} ms")
    say(f"one session per request through the core: {single['requests']:,} requests, "
        f"{single['seconds'] * 1000:.0f} ms, {single['synced']:,} synced")
    batching = single["seconds"] / (_median_ms(here["core"]) / 1000)
    say(f"ratio one-per-request / batched: {batching:.1f}x")
    figure(1, f"drain {first['synced']:,} sessions, server in its own process",
           f"{_median_ms(own['core']):.0f} ms, {first['requests']} requests",
           f"HTTP floor {_median_ms(own['floor']):.0f} ms", own["ratio"],
           "<= 1.1x (issue 15 item 4)", own["ratio"] <= 1.1)
    figure(1, "the same, server in the bench's process",
           f"{_median_ms(here['core']):.0f} ms", f"HTTP floor {_median_ms(here['floor']):.0f} ms",
           here["ratio"], "(shares the interpreter lock with the client)", None)
    figure(1, f"drain cost per session, {scaled['sessions']:,} vs {own['sessions']:,}",
           f"{per_session['large'][0] * 1000:.1f} vs {per_session['small'][0] * 1000:.1f} us"
           f" (x{growth:.2f}; against each one's floor x{relative:.2f})",
           "the smaller drain", relative, "must not grow (issue 15 item 4)", relative <= 1.05)
    figure(1, "one session per request instead", f"{single['seconds'] * 1000:.0f} ms",
           "batched drain", batching, "10-20x faster batched (the seeds)", batching >= 10)
