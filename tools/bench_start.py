"""Benchmark 6: cold start of host + plugin + core in a fresh process, and resident memory.

Each run is a new interpreter: the child times its own imports, the HeadlessHost start
(LuaJIT runtime, KOReader modules, plugin loading, the core opening or creating its
database, the file manager on screen) and the first render of the plugin's menu, and
reports VmRSS / VmHWM. The parent times the whole process from spawn to that first menu.
The floor is a bare interpreter (same venv, so the same site start-up) measured the same
way; runs alternate between the two so that load on the machine hits both alike. The
figure is the ratio of the medians (target: at most 4x).
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.bench_setup import Sizes, figure, heading, say

REPO = Path(__file__).resolve().parent.parent

_CHILD = r"""
import json, sys, time
started = time.perf_counter()
modules_before = len(sys.modules)
from bridge import HeadlessHost
imported = time.perf_counter()
host = HeadlessHost(sys.argv[1])
ready = time.perf_counter()
labels = [e["text"] for e in host.menu("BookLore Sync")["children"]]
drawn = time.perf_counter()
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024
print(json.dumps({"imports": imported - started, "host": ready - imported,
                  "menu": drawn - ready, "labels": labels,
                  "rss": status("VmRSS:"), "peak": status("VmHWM:"),
                  "modules": len(sys.modules) - modules_before}), flush=True)
host.close()
"""

_BARE = r"""
import json
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024
print(json.dumps({"rss": status("VmRSS:"), "peak": status("VmHWM:")}), flush=True)
"""


def spawn(code: str, *args: str) -> tuple[float, dict]:
    """Wall time from spawn to the child's report line, and the report."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code, *args], cwd=REPO,
                             stdout=subprocess.PIPE, text=True)
    line = child.stdout.readline()
    wall = time.perf_counter() - started
    child.stdout.read()
    child.wait(timeout=60)
    return wall, json.loads(line)


def run(sizes: Sizes) -> None:
    heading(6, "Cold start of host + plugin + core to the first menu, and resident memory")
    work = Path(tempfile.mkdtemp(prefix="bench-start-"))
    bare, fresh, again = [], [], []
    try:
        spawn(_CHILD, str(work / "warm-up"))  # page cache and .pyc files, as on a used device
        for i in range(sizes.cold_starts):
            bare.append(spawn(_BARE))
            fresh.append(spawn(_CHILD, str(work / f"new{i}")))
            again.append(spawn(_CHILD, str(work / "new0")))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = statistics.median
    bare_wall = med(w for w, _ in bare)
    for label, runs in (("existing settings folder", again),
                        ("new settings folder (database created)", fresh)):
        wall, reports = med(w for w, _ in runs), [r for _, r in runs]
        say(f"{label}: spawn to first menu {wall * 1000:.0f} ms = {wall / bare_wall:.2f}x a bare "
            f"interpreter ({bare_wall * 1000:.0f} ms; target <= 4x); in the child: imports "
            f"{med(r['imports'] for r in reports) * 1000:.0f} ms, host/plugin/core start "
            f"{med(r['host'] for r in reports) * 1000:.0f} ms, first menu "
            f"{med(r['menu'] for r in reports) * 1000:.1f} ms (median of {len(runs)})")
        ratio = wall / bare_wall
        figure(6, f"cold start to the first menu, {label}", f"{wall * 1000:.0f} ms",
               f"bare interpreter {bare_wall * 1000:.0f} ms", ratio, "<= 4x", ratio <= 4)
    report = again[0][1]
    say(f"menu after start: {report['labels']}; {report['modules']} modules imported")
    say(f"resident memory: VmRSS {med(r['rss'] for _, r in again):.1f} MiB, peak VmHWM "
        f"{med(r['peak'] for _, r in again):.1f} MiB (target < 60 MB); a bare interpreter: "
        f"{med(r['rss'] for _, r in bare):.1f} MiB")
    rss, bare_rss = med(r["rss"] for _, r in again), med(r["rss"] for _, r in bare)
    figure(6, "resident memory after start", f"{rss:.1f} MiB",
           f"bare interpreter {bare_rss:.1f} MiB", rss / bare_rss, "< 60 MB", rss < 60)
