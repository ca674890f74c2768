"""Benchmark 8: `booklore-sync import` of a three-year KOReader history (issue 12).

A statistics file with N books and M page visits (25-visit sittings of 30-120 s pages, a
few hours apart, three years long) and a sidecar per book with a rating and three
highlights; the import runs in a child process into a fresh queue, then again (everything
already known). Figures: wall time against the 10 s floor, and the child's peak resident
memory against a run on a tenth of the visits: streamed means it barely grows.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.bench_setup import T0, Sizes, book_hash, figure, heading, say
from tools.koreader_files import add_book, statistics_db

FLOOR_SECONDS = 10.0
THREE_YEARS = 3 * 365 * 86400
SIDECAR = """-- /mnt/onboard/Books/Book {n}.epub
return {{
    ["annotations"] = {{
{highlights}    }},
    ["doc_path"] = "/mnt/onboard/Books/Book {n}.epub",
    ["partial_md5_checksum"] = "{md5}",
    ["summary"] = {{
        ["rating"] = {stars},
        ["status"] = "reading",
    }},
}}
"""
HIGHLIGHT = """        [{i}] = {{
            ["chapter"] = "Chapter {i}",
            ["color"] = "yellow",
            ["datetime"] = "2025-0{i}-01 20:00:00",
            ["drawer"] = "lighten",
            ["pos0"] = "/body/DocFragment[{i}]/body/p[3]/text().0",
            ["pos1"] = "/body/DocFragment[{i}]/body/p[3]/text().40",
            ["text"] = "Words the reader thought worth keeping, number {i}.",
        }},
"""


def run(sizes: Sizes) -> None:
    books, visits = sizes.history_books, sizes.history_visits
    heading(8, f"Import a three-year history: {books:,} books, {visits:,} page visits")
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        work = Path(folder)
        small = _device(work / "small", max(1, books // 10), visits // 10)
        full = _device(work / "full", books, visits)
        first = _child(full)
        again = _child(full)
        baseline = _child(small)
    say(f"first import: {first['seconds']:.2f} s for {first['visits']:,} visits -> "
        f"{first['sessions']:,} sessions, {first['ratings']} ratings, "
        f"{first['annotations']:,} highlights; ratio to the {FLOOR_SECONDS:.0f} s floor "
        f"{first['seconds'] / FLOOR_SECONDS:.2f}")
    say(f"second import (all known): {again['seconds']:.2f} s, {again['sessions']} sessions added")
    say(f"peak memory (VmHWM): {first['peak_mib']:.0f} MiB for {first['visits']:,} visits, "
        f"{baseline['peak_mib']:.0f} MiB for {baseline['visits']:,}; "
        f"growth ratio {first['peak_mib'] / baseline['peak_mib']:.2f} for 10x the visits")
    ratio = first["seconds"] / FLOOR_SECONDS
    figure(8, f"import of {first['visits']:,} page visits", f"{first['seconds']:.2f} s",
           f"{FLOOR_SECONDS:.0f} s", ratio, "within the floor", ratio <= 1)


def _device(root: Path, books: int, visits: int) -> Path:
    """KOReader's settings folder with the statistics, and sidecars beside their books."""
    settings = root / ".adds" / "koreader" / "settings"
    settings.mkdir(parents=True)
    conn = statistics_db(settings / "statistics.sqlite3")
    rng = random.Random(12)
    per_book = visits // books
    rows = []
    for n in range(1, books + 1):
        book = add_book(conn, f"Book {n}", book_hash(n), pages=per_book + 10)
        at, page = T0 - THREE_YEARS + rng.randrange(86400), 1
        for visit in range(per_book):
            if visit % 25 == 0:
                at += THREE_YEARS // (per_book // 25 + 1)
            seconds = rng.randrange(30, 121)
            rows.append((book, page, at, seconds, per_book + 10))
            at, page = at + seconds, page + 1
        if len(rows) > 200_000:
            conn.executemany("INSERT INTO page_stat_data VALUES (?, ?, ?, ?, ?)", rows)
            rows = []
        _sidecar(root / "Books", n)
    conn.executemany("INSERT INTO page_stat_data VALUES (?, ?, ?, ?, ?)", rows)
    conn.commit()
    conn.close()
    return settings


def _sidecar(folder: Path, n: int) -> None:
    sdr = folder / f"Book {n}.sdr"
    sdr.mkdir(parents=True)
    highlights = "".join(HIGHLIGHT.format(i=i) for i in range(1, 4))
    (sdr / "metadata.epub.lua").write_text(
        SIDECAR.format(n=n, md5=book_hash(n), stars=n % 5 + 1, highlights=highlights))


def _child(settings: Path) -> dict:
    """One import in its own process: wall time, what it queued, its peak memory."""
    code = ("import json, sys, time\n"
            "from python_core.facade import BookLoreSync\n"
            "started = time.perf_counter()\n"
            "with BookLoreSync(sys.argv[1]) as core:\n"
            "    report = core.import_history(books=[sys.argv[2]])\n"
            "report['seconds'] = time.perf_counter() - started\n"
            "report['peak_kib'] = int(next(line.split()[1] for line in open('/proc/self/status')"
            " if line.startswith('VmHWM')))\n"
            "print(json.dumps({k: report[k] for k in ('totals', 'seconds', 'peak_kib',"
            " 'visits_read', 'ok')}))\n")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, str(settings), str(settings.parent.parent.parent / "Books")],
                          capture_output=True, text=True, cwd=Path(__file__).parent.parent,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})
    if done.returncode != 0:
        raise RuntimeError(f"import child failed after {time.perf_counter() - started:.1f} s: "
                           f"{done.stderr[-500:]}")
    found = json.loads(done.stdout)
    return {**found["totals"], "seconds": found["seconds"], "visits": found["visits_read"],
            "peak_mib": found["peak_kib"] / 1024}
