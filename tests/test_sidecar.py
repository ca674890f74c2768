"""`booklore-sync serve` as a real second process: the protocol, one instance per folder,
signals and kill -9, the journal ingested exactly once, and two KOReaders on one folder."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import stat
import time

import pytest

from python_core.facade import BookLoreSync
from python_core.sidecar.instance import ADDRESS_FILE
from python_core.sidecar.journal import JOURNAL_FILE, REJECTED_FILE
from tests.sidecar_support import Client, address, empty_settings_folder, start_serve, stop  # noqa: F401

T0 = 1_767_225_600


@pytest.fixture
def book(tmp_path):
    path = tmp_path / "novel.epub"
    path.write_bytes(b"novel " * 500)
    return str(path)


@pytest.fixture
def serve(settings):
    processes = []

    def start(*extra, **kwargs):
        processes.append(start_serve(settings, *extra, **kwargs))
        return processes[-1]
    yield start
    for process in processes:
        stop(process, signal.SIGKILL)


def wait_for_saved_open_session(settings, pages_read: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conn = sqlite3.connect(settings / "booklore-sync.sqlite")
        try:
            rows = conn.execute("SELECT data FROM open_session").fetchall()
        finally:
            conn.close()
        if any(json.loads(data)["pages_read"] >= pages_read for (data,) in rows):
            return
        time.sleep(0.01)
    raise AssertionError(f"no open session with {pages_read} pages saved within {timeout} s")


def pending(settings) -> list[dict]:
    core = BookLoreSync(settings)
    try:
        return [dict(r) for r in core.db.connection().execute(
            "SELECT * FROM pending_sessions ORDER BY id")]
    finally:
        core.close()


def read(client, book, t=T0, pages=10, record_prefix="r"):
    """Open, turn `pages` pages 30 s apart, close: each call with a record id."""
    client.call("start_reading", {"file_path": book, "title": "Novel", "time": t, "page": 1},
                record=f"{record_prefix}-start")
    for i in range(1, pages + 1):
        client.call("page_turned", {"time": t + 30 * i, "page": 1 + i}, record=f"{record_prefix}-{i}")
    return client.call("finish_reading", {"time": t + 30 * pages + 5, "page": 1 + pages},
                       record=f"{record_prefix}-finish")


def journal_line(record_id, call, event, client="ko-1"):
    return json.dumps({"id": record_id, "client": client, "call": call, "args": [event],
                       "at": T0}) + "\n"


def test_serve_publishes_an_owner_only_address_and_serves_quick_calls(settings, serve, book):
    serve()
    mode = stat.S_IMODE(os.stat(settings / ADDRESS_FILE).st_mode)
    assert mode == 0o600 and address(settings)["port"] > 0
    client = Client(settings)
    assert client.welcome["ok"] and client.welcome["version"]
    assert read(client, book)["saved"] is True
    assert client.call("queue_counts")["sessions"] == 1
    assert client.call("no_such_call") == {"ok": False,
                                           "message": "core.no_such_call is not a call of this core"}
    client.close()
    [row] = pending(settings)
    assert row["pages_read"] == 10


def test_slow_calls_answer_later_on_the_same_connection(settings, serve, server):
    from tests.plugin_support import configure
    configure(settings, server.url)
    serve()
    client = Client(settings)
    result = client.call("test_connection", {})
    assert result["ok"] and "Server: reachable" in result["text"]
    assert "Core: BookLore Sync" in result["text"] and "sidecar process" in result["text"]
    assert client.call("sync_pending", {"online": True})["status"] == "nothing"
    client.close()


def test_a_wrong_token_is_refused(settings, serve):
    serve()
    client = Client(settings, token="0" * 32)
    assert client.welcome == {"op": "hello", "ok": False, "message": "wrong token"}
    with pytest.raises((ConnectionError, OSError)):
        client.call("queue_counts")


@pytest.mark.parametrize("garbage", [b"\xff\xfe not utf-8\n", b"<html>hello</html>\n",
                                     b"[1, 2]\n", b'{"op": "call", "id": 1}\n'])
def test_garbage_gets_an_error_and_the_sidecar_keeps_serving(settings, serve, garbage):
    serve()
    sock = socket.create_connection(("127.0.0.1", address(settings)["port"]), timeout=5)
    hello = {"op": "hello", "token": address(settings)["token"], "client": "x"}
    if garbage.startswith(b'{"op": "call"'):
        sock.sendall(json.dumps(hello).encode() + b"\n")
    sock.sendall(garbage)
    answers = sock.makefile("rb").read().decode().splitlines()
    assert json.loads(answers[-1])["op"] == "error"
    sock.close()
    assert Client(settings).call("queue_counts")["ok"] is True


def test_a_second_serve_says_so_and_exits_0(settings, serve):
    first = serve()
    second = start_serve(settings, wait=False)
    assert second.wait(20) == 0
    assert f"already running for {settings} (pid {first.pid})" in second.stderr.read()
    stop(second)
    assert Client(settings).welcome["ok"]


def test_kill_9_leaves_a_stale_address_and_a_new_serve_takes_over(settings, serve):
    first = serve()
    stale = address(settings)
    stop(first, signal.SIGKILL)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", stale["port"]), timeout=2)
    serve()
    assert address(settings)["token"] != stale["token"]
    assert Client(settings).welcome["ok"]


def test_sigterm_and_sigint_exit_cleanly_and_remove_the_address(settings, serve):
    for sig in (signal.SIGTERM, signal.SIGINT):
        process = serve()
        Client(settings).call("queue_counts")
        assert stop(process, sig) == 0
        assert not (settings / ADDRESS_FILE).exists()


def test_it_exits_by_itself_when_no_koreader_stays_connected(settings):
    process = start_serve(settings, "--idle-exit", "1")
    Client(settings).close()
    assert process.wait(10) == 0
    stop(process)
    assert not (settings / ADDRESS_FILE).exists()


def test_the_journal_is_ingested_at_start_exactly_once_and_bad_lines_are_kept(settings, serve,
                                                                               book):
    lines = [journal_line("ko-1:1", "start_reading", {"file_path": book, "time": T0, "page": 1})]
    lines += [journal_line(f"ko-1:{1 + i}", "page_turned", {"time": T0 + 30 * i, "page": 1 + i})
              for i in range(1, 11)]
    lines += ["this is not json\n",
              journal_line("ko-1:90", "clear_cache", {}),  # not a call the journal carries
              journal_line("ko-1:99", "finish_reading", {"time": T0 + 400, "page": 11})]
    (settings / JOURNAL_FILE).write_text("".join(lines) + '{"id": "torn')
    serve()
    assert not (settings / JOURNAL_FILE).exists()
    [row] = pending(settings)
    assert row["pages_read"] == 10 and row["duration_seconds"] == 400
    rejected = (settings / REJECTED_FILE).read_text().splitlines()
    assert rejected == ["this is not json", lines[-2].strip(), '{"id": "torn']
    # The same records again (a journal the plugin wrote before it learnt they arrived).
    (settings / JOURNAL_FILE).write_text(lines[0] + lines[-1])
    client = Client(settings, client="ko-1")
    assert client.ingest() == {"ok": True, "applied": 0, "replayed": 2, "rejected": 0}
    assert len(pending(settings)) == 1


def test_a_call_whose_answer_was_lost_is_applied_once(settings, serve, book):
    serve()
    client = Client(settings, client="ko-1")
    read(client, book, record_prefix="lost")
    (settings / JOURNAL_FILE).write_text(journal_line("lost-finish", "finish_reading",
                                                      {"time": T0 + 999, "page": 11}))
    assert client.ingest()["replayed"] == 1
    assert len(pending(settings)) == 1


def test_a_session_goes_on_across_a_kill_9_of_the_sidecar(settings, serve, book):
    first = serve()
    client = Client(settings, client="ko-1")
    client.call("start_reading", {"file_path": book, "time": T0, "page": 1}, record="a")
    for i in range(1, 4):  # saved as open at the start and after 60 s
        client.call("page_turned", {"time": T0 + 30 * i, "page": 1 + i})
    # The 60 s save is written on the core's own writer thread, a moment after the turn's
    # answer (page turns never wait for the disk); the kill comes once it has landed.
    wait_for_saved_open_session(settings, pages_read=2)
    stop(first, signal.SIGKILL)
    lines = [journal_line(f"j{i}", "page_turned", {"time": T0 + 30 * i, "page": 1 + i})
             for i in range(4, 8)]
    lines.append(journal_line("jf", "finish_reading", {"time": T0 + 240, "page": 8}))
    (settings / JOURNAL_FILE).write_text("".join(lines))
    serve()
    [row] = pending(settings)
    assert row["duration_seconds"] == 240 and row["pages_read"] >= 6


def test_two_koreaders_on_one_folder_each_keep_their_own_session(settings, serve, book,
                                                                 tmp_path):
    other = tmp_path / "other.epub"
    other.write_bytes(b"other " * 500)
    serve()
    one, two = Client(settings, client="ko-1"), Client(settings, client="ko-2")
    one.call("start_reading", {"file_path": book, "time": T0, "page": 1}, record="1s")
    two.call("start_reading", {"file_path": str(other), "time": T0 + 5, "page": 50}, record="2s")
    for i in range(1, 11):
        one.call("page_turned", {"time": T0 + 30 * i, "page": 1 + i})
        two.call("page_turned", {"time": T0 + 5 + 20 * i, "page": 50 + i})
    assert one.call("finish_reading", {"time": T0 + 330, "page": 11}, record="1f")["saved"]
    assert two.call("finish_reading", {"time": T0 + 225, "page": 60}, record="2f")["saved"]
    rows = pending(settings)
    assert sorted((r["duration_seconds"], r["pages_read"]) for r in rows) == [(220, 10), (330, 10)]


def test_a_koreader_that_left_with_a_book_open_has_its_session_ended(settings, serve, book):
    serve()
    gone = Client(settings, client="ko-old")
    gone.call("start_reading", {"file_path": book, "time": T0, "page": 1}, record="s")
    for i in range(1, 11):
        gone.call("page_turned", {"time": T0 + 30 * i, "page": 1 + i})
    gone.close()
    time.sleep(0.2)
    Client(settings, client="ko-new").call("queue_counts")
    [row] = pending(settings)
    assert row["duration_seconds"] == 300 and row["pages_read"] == 10
