"""Kill during sync: a child process runs a real sync against the tools server in this
process and is SIGKILLed at a seeded point: between two steps (the engine's checkpoints),
inside an open transaction (after a store function's SQL, before COMMIT), or after a
random delay that can land anywhere, SQLite's own commit included. A third of the trials
kill a second sync on the same file before looking.

After each trial: the file passes `PRAGMA integrity_check`, every recorded session is in
exactly one of pending/historical, the next sync is not blocked by the dead one's lease,
finishes and drains the queue, and every extra copy on the server is counted locally as an
unconfirmed send of that session. Run twice: with the KOReader account only, and with the
BookLore account as well, where every session must be on the server exactly once (what a
dead sync may have sent is read back before anything is sent again).
"""

from __future__ import annotations

import collections
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from python_core.facade import BookLoreSync
from python_core.reading.sessions import iso_utc
from python_core.store import DB_FILENAME
from tests.reliability.support import (
    assert_each_session_in_exactly_one_table,
    integrity,
    open_raw,
    server_copies,
    session_event,
    settings_for,
    start_server,
)
from tools.booklore_server import Fault

TRIALS = 80
SEED = 7_2026
BOOKS = 6
SESSIONS = 320
REPO = Path(__file__).resolve().parents[2]
MID_TX = ("mark_sending", "move_to_history", "record_failure", "release_stale_sends",
          "clear_doubt")


@pytest.fixture(scope="module")
def server():
    server, book_ids = start_server(BOOKS)
    yield server, book_ids
    server.set_fault(None)
    server.stop()


@pytest.fixture(scope="module", params=["koreader", "booklore"],
                ids=["koreader-account", "with-booklore-account"])
def template(request, server, tmp_path_factory):
    """A closed database with SESSIONS queued sessions, half of them not yet resolved; with
    the BookLore account as well in the second run."""
    server, book_ids = server
    folder = tmp_path_factory.mktemp("template")
    core = BookLoreSync(folder)
    for key, value in settings_for(server, request.param == "booklore").items():
        assert core.set_setting(key, value)["ok"]
    rng, recorded = random.Random(SEED), set()
    for serial in range(SESSIONS):
        event = session_event(rng, list(book_ids), serial, book_ids)
        assert core.record_session(event)["saved"]
        recorded.add((event["book_hash"], iso_utc(event["start_time"])))
    core.close()  # the last connection checkpoints the WAL into the main file
    return folder / DB_FILENAME, recorded, request.param == "booklore"


def run_child(settings_dir: Path, mode: str, n: int, delay: float | None) -> str:
    """Start a sync in a child process and make sure it ends by SIGKILL; returns its output."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.sync_child", str(settings_dir), mode, str(n)],
        cwd=REPO, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    guard = threading.Timer(30, child.kill)  # a hung child fails the trial, not the suite
    guard.start()
    lines = [child.stdout.readline().strip()]
    assert lines[0] == "ready", lines
    if delay is not None:
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
    for line in child.stdout:
        lines.append(line.strip())
        if line.startswith("done"):
            child.send_signal(signal.SIGKILL)
    guard.cancel()
    assert child.wait() == -signal.SIGKILL, lines
    child.stdout.close()
    return " | ".join(lines[1:]) or "killed after a delay"


def kill_point(rng: random.Random) -> tuple[str, int, float | None]:
    """Ranges fitted to a sync of this size (~15 checkpoints, ~35 ms on the build VM)."""
    kind = rng.choice(("checkpoint", "mid_tx", "delay"))
    if kind == "checkpoint":
        return "checkpoint", rng.randrange(1, 15), None
    if kind == "mid_tx":
        name = rng.choice(MID_TX)
        calls = {"mark_sending": 6, "move_to_history": 5, "record_failure": 2}.get(name, 1)
        return f"mid_tx:{name}", rng.randrange(1, calls + 1), None
    return "delay", 0, rng.uniform(0.0, 0.035)


def test_sigkill_anywhere_in_a_sync_loses_nothing(server, template, tmp_path, capsys):
    server, book_ids = server
    template_file, recorded, exactly_once = template
    rng = random.Random(SEED)
    outcomes = collections.Counter()
    duplicates = 0
    for trial in range(TRIALS):
        settings_dir = tmp_path / f"trial{trial}"
        settings_dir.mkdir()
        shutil.copy(template_file, settings_dir / DB_FILENAME)
        server.reset_state()
        server.set_fault(seeded_faults(random.Random(SEED + trial)))
        for _ in range(2 if trial % 3 == 0 else 1):
            said = run_child(settings_dir, *kill_point(rng))
            outcomes["finished before the kill" if "done" in said else said.split("#")[0]] += 1
        server.set_fault(None)
        copies = check_after_kill(settings_dir, recorded, server, book_ids, trial, exactly_once)
        duplicates += copies
    account = "with the BookLore account" if exactly_once else "KOReader account only"
    with capsys.disabled():
        print(f"\nkill during sync ({account}): {TRIALS} trials, {duplicates} duplicates and 0 "
              f"lost on the server, kills by point {dict(sorted(outcomes.items()))}")
    assert (duplicates == 0) if exactly_once else (duplicates > 0)
    assert sum(outcomes.values()) - outcomes["finished before the kill"] >= 50
    assert any(point.startswith("killed at mid_tx") for point in outcomes)


def seeded_faults(rng: random.Random):
    """Some answers lost or failed, so kills also land in the failure paths."""
    weights = {Fault.NONE: 0.75, Fault.LOST_RESPONSE: 0.15, Fault.ERROR_500: 0.10}
    return lambda method, path: rng.choices(list(weights), list(weights.values()))[0]


def check_after_kill(settings_dir: Path, recorded, server, book_ids, trial: int,
                     exactly_once: bool) -> int:
    """Every invariant after one trial; returns the extra copies on the server."""
    conn = open_raw(settings_dir)
    assert integrity(conn) == "ok", trial
    assert_each_session_in_exactly_one_table(conn, recorded)
    conn.close()
    core = BookLoreSync(settings_dir)
    report = core.sync_pending()
    assert report["status"] in ("done", "nothing"), (trial, report)  # never "busy"
    assert core.queue_counts()["sessions"] == 0, (trial, report)
    core.close()
    conn = open_raw(settings_dir)
    assert integrity(conn) == "ok"
    assert_each_session_in_exactly_one_table(conn, recorded)
    unconfirmed = {(book_ids[r["book_hash"]], r["start_time"]): r["unconfirmed_sends"]
                   for r in conn.execute("SELECT * FROM historical_sessions")}
    conn.close()
    copies = server_copies(server)
    assert set(copies) == set(unconfirmed), "a session never reached the server"
    doubled = {key: n for key, n in copies.items() if n - 1 > unconfirmed[key]}
    assert not doubled, f"trial {trial}: {len(doubled)} uncounted duplicates, e.g. " \
                        f"{sorted(doubled.items())[:3]}"
    if exactly_once:
        twice = sorted(key for key, n in copies.items() if n > 1)
        assert not twice, f"trial {trial}: {len(twice)} sessions stored twice, e.g. {twice[:3]}"
    return sum(n - 1 for n in copies.values())
