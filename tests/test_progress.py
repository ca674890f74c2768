"""Progress of long work: the steps a sync and a Match Unmatched pass tell, what the plugin
reads meanwhile (`work_progress`), and the terminal's bar (`booklore-sync sync` / `match`)."""

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

from python_core.facade import BookLoreSync
from python_core.progress import ProgressBoard, StageCounter, Step, fan_out
from python_core.store import session_queue
from tests.plugin_support import configure

T0 = 1_767_225_600
REPO = Path(__file__).resolve().parent.parent


def queue_sessions(settings, book, count, book_id=None):
    with BookLoreSync(settings) as core, core.db.atomic() as tx:
        for n in range(count):
            session_queue.insert(tx, {
                "book_hash": book.file_hash, "book_id": book_id, "book_type": "EPUB",
                "start_time": f"2025-{1 + n // 500:02d}-{1 + n % 500 // 20:02d}T"
                              f"{n % 20:02d}:00:00Z",
                "end_time": "2026-01-01T00:00:00Z", "duration_seconds": 600,
                "created_at": "2026-01-01T00:00:00Z"})


def test_a_step_reads_as_the_reader_sees_it():
    assert Step("sync", "Uploading", 1200, 4800).text == "Uploading… 1,200 of 4,800"


def test_a_stage_tells_only_moves_and_nothing_for_an_empty_stage():
    told = []
    counter = StageCounter(told.append, "sync", "Uploading", 3)
    for done in (0, 1, 1, 2, 7):
        counter.at(done)
    counter.finish()
    assert [step.done for step in told] == [0, 1, 2, 3]
    StageCounter(told.append, "sync", "Looking up books", 0).finish()
    assert len(told) == 4


def test_fan_out_tells_every_listener_and_skips_none():
    first, second = [], []
    tell = fan_out(first.append, None, second.append)
    tell(Step("match", "Matching books", 1, 2))
    assert len(first) == len(second) == 1


def test_the_board_shows_a_job_only_while_it_runs_and_the_outer_job_keeps_its_name():
    board = ProgressBoard()
    assert board.current() == {"active": False}
    with board.running("match"):
        assert board.current() == {"active": True, "job": "match"}
        with board.running("sync"):  # the sync after a match
            board(Step("sync", "Uploading", 5, 10))
            assert board.current()["job"] == "match"
        assert board.current()["text"] == "Uploading… 5 of 10"  # inner end leaves it
    assert board.current() == {"active": False}
    try:
        with board.running("sync"):
            raise RuntimeError("the work failed")
    except RuntimeError:
        pass
    assert board.current() == {"active": False}


def test_a_sync_tells_its_look_ups_then_its_uploads_in_batches(tmp_path, server, library):
    settings = tmp_path / "settings"
    configure(settings, server.url)
    queue_sessions(settings, library[0], 250)
    told = []
    with BookLoreSync(settings) as core:
        report = core.sync_pending(progress=told.append)
        assert core.work_progress() == {"ok": True, "active": False}
    assert report["synced"]["sessions"] == 250
    assert [(s.stage, s.done, s.total) for s in told] == [
        ("Looking up books", 0, 1), ("Looking up books", 1, 1),
        ("Uploading", 0, 250), ("Uploading", 100, 250), ("Uploading", 200, 250),
        ("Uploading", 250, 250)]


def test_the_plugin_reads_how_far_a_running_sync_has_got(tmp_path, server, library):
    settings = tmp_path / "settings"
    configure(settings, server.url)
    queue_sessions(settings, library[0], 350)
    batches, hold, held = [], threading.Event(), threading.Event()

    def hold_the_third_batch(method, path):
        if path.endswith("/batch"):
            batches.append(path)
            if len(batches) == 1 + 3:  # the first is the capability probe (an empty batch)
                held.set()
                hold.wait(20)
        return None
    server.set_fault(hold_the_third_batch)
    with BookLoreSync(settings) as core:
        worker = threading.Thread(target=core.sync_pending)
        worker.start()
        try:
            assert held.wait(20)
            seen = core.work_progress()
        finally:
            hold.set()
            worker.join(30)
        after = core.work_progress()
    assert seen == {"ok": True, "active": True, "job": "sync", "stage": "Uploading",
                    "done": 200, "total": 350, "text": "Uploading… 200 of 350"}
    assert after == {"ok": True, "active": False}


def test_match_unmatched_tells_each_book_it_asked_about(tmp_path, server, library):
    settings = tmp_path / "settings"
    configure(settings, server.url)
    with BookLoreSync(settings) as core:
        for book in library:
            core.record_book({"file_path": str(book.path), "title": book.title})
        told = []
        result = core.match_unmatched(progress=told.append)
    assert result["matched"] == 4
    assert [(s.job, s.stage, s.done, s.total) for s in told] == [
        ("match", "Matching books", n, 5) for n in range(6)]


def run_cli(args, settings, tty):
    """`booklore-sync` as a real process; stderr on a pseudo-terminal when `tty`."""
    command = [sys.executable, "-m", "python_core.cli", "--settings-dir", str(settings), *args]
    if not tty:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=REPO)
        return done.returncode, done.stdout, done.stderr
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=follower, text=True,
                               cwd=REPO)
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal's far end closed: the process is done with it
            break
        if not chunk:
            break
        drawn += chunk
    out = process.stdout.read()
    process.wait(60)
    os.close(leader)
    return process.returncode, out, drawn.decode("utf-8", "replace")


def test_the_terminal_shows_a_bar_and_a_script_gets_none(tmp_path, server, library):
    settings = tmp_path / "settings"
    configure(settings, server.url)
    queue_sessions(settings, library[0], 150)
    code, out, terminal = run_cli(["sync"], settings, tty=True)
    assert code == 0 and out.startswith("Synced: 150 sessions")
    assert "Uploading: 100%" in terminal and "150/150" in terminal
    assert "Looking up books: 100%" in terminal

    queue_sessions(settings, library[1], 120)
    code, out, err = run_cli(["sync"], settings, tty=False)  # cron, a pipe, a log
    assert code == 0 and out.startswith("Synced: 120 sessions") and err == ""

    queue_sessions(settings, library[2], 110)
    code, out, terminal = run_cli(["sync", "--json"], settings, tty=True)
    assert code == 0 and '"sessions": 110' in out
    assert "Uploading" not in terminal and "%" not in terminal


def test_match_on_a_terminal_shows_its_bar(tmp_path, server, library):
    settings = tmp_path / "settings"
    configure(settings, server.url)
    with BookLoreSync(settings) as core:
        for book in library:
            core.record_book({"file_path": str(book.path), "title": book.title})
    code, out, terminal = run_cli(["match"], settings, tty=True)
    assert code == 0 and out.startswith("Matched 4 book(s); 1 still unmatched")
    assert "Matching books: 100%" in terminal and "5/5" in terminal
