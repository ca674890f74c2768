"""tools/bench --quick runs end to end and prints every section (no timing is asserted:
the figures belong in docs/PERFORMANCE.md, not in a pass/fail)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "tools" / "bench"
SECTIONS = ("Drain", "Enqueue latency", "Manage Sessions menu", "Page turns and closes while",
            "Fingerprint of", "Cold start", "Match Unmatched Books", "Import a three-year",
            "The plugin over the sidecar")


def test_bench_is_an_executable_script():
    assert os.access(BENCH, os.X_OK)
    assert BENCH.read_text().startswith("#!/usr/bin/env python3\n")


@pytest.mark.host
def test_quick_bench_prints_every_section_with_figures():
    done = subprocess.run([sys.executable, str(BENCH), "--quick"], capture_output=True,
                          text=True, timeout=180, cwd=REPO)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    headings = re.findall(r"^== (\d)\. (.*)$", out, re.MULTILINE)
    assert [int(n) for n, _ in headings] == [1, 2, 3, 4, 5, 6, 7, 8, 9], out
    for (_, title), expected in zip(headings, SECTIONS, strict=True):
        assert title.startswith(expected), title
    for figure in ("ratio core / floor", "requests for", "median", "p99", "labels:",
                   "ratio core / reading floor", "spawn to first menu", "x a bare interpreter", "VmRSS", "by-hash requests for",
                   "ratio to the 10 s floor", "growth ratio", "sidecar cold start",
                   "every timed turn was counted",
                   "== Summary", "| # | what | figure | floor | ratio | target | met? |",
                   "bench finished"):
        assert figure in out, figure
    assert "Traceback" not in done.stderr
    summary = out[out.index("== Summary"):]
    rows = [line for line in summary.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert {int(row.split("|")[1]) for row in rows} == {1, 2, 3, 4, 5, 6, 7, 8, 9}
