"""Benchmarks 2-4: the real plugin (main.lua) in the headless host with the real core.

2. enqueue latency: the plugin's onCloseDocument handler, timed inside Lua, and the whole
   host.close_book() call (the session row is committed when either returns), against one
   durable 1-row commit.
3. Manage Sessions labels with a huge queue: the five label/greying functions in Lua, the
   host's whole menu() call, against the core's queue_counts() alone.
4. page turns, and now and then a close, while a big sync runs on the core's worker
   thread, against the same turns with no sync.
"""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from bridge import HeadlessHost
from python_core.facade import BookLoreSync
from python_core.store import DB_FILENAME
from tools.bench_setup import (
    Sizes,
    configure,
    figure,
    heading,
    latency_line,
    ms,
    percentile,
    queue_sessions,
    say,
    start_server,
)
from tools.booklore_server import make_sample_library

MANAGE = ("BookLore Sync", "Settings", "Manage Sessions")

_TIME_CLOSE = r"""
local clock, record = ...
local plugin = require("pluginloader"):getPluginInstance("bookloresync")
local handler = plugin.onCloseDocument
plugin.onCloseDocument = function(self, ...)
    local started = clock()
    local result = handler(self, ...)
    record(clock() - started)
    return result
end
"""

_TIME_LABELS = r"""
local clock, rounds = ...
local Manage = require("bookloresync/manage")
local plugin = require("pluginloader"):getPluginInstance("bookloresync")
local items = Manage.items(plugin, require("bookloresync/core"))
local samples = {}
for round = 1, rounds do
    Manage.invalidate()
    local started = clock()
    for _, item in ipairs(items) do
        local _ = item.text_func and item.text_func() or item.text
        _ = item.enabled_func and item.enabled_func()
    end
    samples[round] = clock() - started
end
return samples
"""


def _workdir(name: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))


def _rows(settings: Path) -> int:
    conn = sqlite3.connect(settings / DB_FILENAME)
    try:
        return conn.execute("SELECT count(*) FROM pending_sessions").fetchone()[0]
    finally:
        conn.close()


def run_enqueue(sizes: Sizes) -> None:
    heading(2, "Enqueue latency: onCloseDocument in Lua to a committed row")
    work = _workdir("enqueue")
    try:
        book = make_sample_library(work / "books")[0]
        settings = work / "settings"
        configure(settings, "", manual_sync_only=True)
        handler, whole = [], []
        with HeadlessHost(settings) as host:
            for _ in range(sizes.closes):
                host.open_book(book.path, title=book.title, page=1)
                for _ in range(3):
                    host.advance(20)
                    host.turn_page()
                host.lua.execute(_TIME_CLOSE, time.perf_counter, handler.append)
                started = time.perf_counter()
                host.close_book()
                whole.append(time.perf_counter() - started)
                host.advance(60)
        floor = durable_commits(work / "floor.sqlite", sizes.closes)
        say(latency_line("onCloseDocument handler (Lua -> core -> COMMIT)", handler))
        say(latency_line("host.close_book() (document close, all plugins, UI settle)", whole))
        say(latency_line("floor: one 1-row commit, WAL + synchronous=FULL, same folder", floor))
        say(f"rows committed: {_rows(settings)} of {sizes.closes} sessions (each close queues the "
            "session and drops the open-session row in one transaction: 1 fsync)")
        median, p99 = statistics.median(handler), percentile(handler, 99)
        figure(2, "close → durable row (onCloseDocument)", f"median {ms(median)}, p99 {ms(p99)}",
               f"one durable commit: median {ms(statistics.median(floor))}, "
               f"p99 {ms(percentile(floor, 99))}", median / statistics.median(floor),
               "median <= 2 ms, p99 <= 10 ms", median <= 0.002 and p99 <= 0.010)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def durable_commits(path: Path, count: int) -> list[float]:
    """The floor of a durable enqueue: one small row committed with the core's pragmas."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, data TEXT)")
        samples = []
        for n in range(count):
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t (data) VALUES (?)", (f"session {n}",))
            conn.execute("COMMIT")
            samples.append(time.perf_counter() - started)
        return samples
    finally:
        conn.close()


def run_menu(sizes: Sizes) -> None:
    heading(3, f"Manage Sessions menu with {sizes.menu_rows:,} queued sessions")
    work = _workdir("menu")
    try:
        settings = work / "settings"
        configure(settings, "", manual_sync_only=True)
        queue_sessions(settings, sizes.menu_rows, books=100, resolved=False)
        with HeadlessHost(settings) as host:
            labels = [entry["text"] for entry in host.menu(*MANAGE)["children"]]
            lua = list(host.lua.execute(_TIME_LABELS, time.perf_counter, 50).values())
            whole = []
            for _ in range(50):
                host.lua.execute('require("bookloresync/manage").invalidate()')
                started = time.perf_counter()
                host.menu(*MANAGE)
                whole.append(time.perf_counter() - started)
        facade = BookLoreSync(settings)
        counts = []
        for _ in range(50):
            started = time.perf_counter()
            facade.queue_counts()
            counts.append(time.perf_counter() - started)
        facade.close()
        say(f"labels: {labels}")
        say(latency_line("all five labels and greyed states in Lua (counts fetched once)", lua)
            + " (target < 5 ms)")
        say(latency_line("host.menu() of the page (labels + host's menu walk + conversion)", whole))
        say(latency_line("core queue_counts() alone (3 count(*) + cache counts)", counts))
        median = statistics.median(lua)
        figure(3, f"Manage Sessions labels, {sizes.menu_rows:,} queued rows", f"median {ms(median)}",
               f"queue_counts() alone: {ms(statistics.median(counts))}",
               median / statistics.median(counts), "< 5 ms", median < 0.005)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_page_turns(sizes: Sizes) -> None:
    count = sizes.turn_sync_sessions
    heading(4, f"Page turns and closes while a {count:,}-session sync runs")
    books = max(1, count // 100)
    server = start_server(books)
    work = _workdir("turns")
    try:
        book = make_sample_library(work / "books")[1]
        settings = work / "settings"
        configure(settings, server.url, manual_sync_only=True)
        queue_sessions(settings, count, books)
        closes = []
        with HeadlessHost(settings, online=True) as host:
            host.open_book(book.path, title=book.title, pages=100_000)
            idle = _turns(host, 600)
            host.dispatch("SyncBooklorePending")
            started = time.perf_counter()
            during = []
            while _stored(server) < count and time.perf_counter() - started < 300:
                during += _turns(host, 20)
                if len(during) % 40 == 0:  # now and then the reader closes and reopens
                    host.lua.execute(_TIME_CLOSE, time.perf_counter, closes.append)
                    host.close_book()
                    host.open_book(book.path, title=book.title, pages=100_000)
            sync_seconds = time.perf_counter() - started
            host.run_until_idle(timeout=120)
            summary = host.toasts[-1].splitlines()[0] if host.toasts else "no toast"
        say(latency_line("page turn, no sync running", idle))
        say(latency_line("page turn while the sync runs", during))
        if closes:
            say(latency_line("onCloseDocument while the sync runs (waits for its write lock)",
                             closes))
        say(f"turns over 2 ms during the sync: {sum(t > 0.002 for t in during)}")
        say(f"sync: {_stored(server):,} sessions stored by the server in {sync_seconds:.2f} s "
            f"while {len(during)} turns were handled; the plugin said: {summary!r}")
        p99, worst = percentile(during, 99), max(during)
        figure(4, f"page turn while a {count:,}-session sync runs", f"p99 {ms(p99)}, max {ms(worst)}",
               f"no sync: p99 {ms(percentile(idle, 99))}, max {ms(max(idle))}",
               p99 / percentile(idle, 99), "max < 50 ms, p99 < 10 ms",
               worst < 0.050 and p99 < 0.010)
        if closes:
            figure(4, "close → durable row while the sync runs",
                   f"median {ms(statistics.median(closes))}, max {ms(max(closes))} "
                   f"(n={len(closes)})", "section 2 (no sync)", None, "", None)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


#: Real time between two measured turns. A reader turns a page every few seconds; the bench
#: turns 500 a second (each 5 s of reading on the virtual clock) to sample many turns while
#: a sync runs, but not back to back: then the open session would be saved (every 12th
#: turn, a minute of virtual reading) hundreds of times a second, a load no reader makes.
TURN_GAP_SECONDS = 0.002


def _turns(host: HeadlessHost, n: int) -> list[float]:
    """n page turns, 5 s of reading apart (so the tracker saves its state every 12 turns,
    on its own thread)."""
    samples = []
    for _ in range(n):
        host.advance(5)
        started = time.perf_counter()
        host.turn_page()
        samples.append(time.perf_counter() - started)
        time.sleep(TURN_GAP_SECONDS)
    return samples


def _stored(server) -> int:
    with server.state.lock:
        return len(server.state.records["sessions"])
