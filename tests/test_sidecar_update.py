"""An updated plugin gets an updated core: the running sidecar (detached, so it outlives
KOReader's restart) notices its code on disk changed and starts the new code in place,
once no slow call is running, losing nothing. Real `serve` processes run a copy of
python_core, which the tests then "update"."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from python_core.sidecar.code_watch import PACKAGE, CodeWatch, code_stamp
from python_core.sidecar.instance import LOG_FILE
from tests.sidecar_support import Client, address, empty_settings_folder, stop  # noqa: F401

T0 = 1_767_225_600


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_the_stamp_sees_a_changed_added_or_removed_module_and_ignores_the_rest(tmp_path):
    write(tmp_path / "a.py", "A = 1\n")
    write(tmp_path / "sub" / "b.py", "B = 1\n")
    write(tmp_path / "__pycache__" / "a.cpython-311.pyc", "compiled")
    first = code_stamp(tmp_path)
    assert [entry[0] for entry in first] == ["a.py", os.path.join("sub", "b.py")]
    write(tmp_path / "notes.txt", "not code")
    write(tmp_path / "__pycache__" / "b.cpython-311.pyc", "compiled")
    assert code_stamp(tmp_path) == first
    write(tmp_path / "a.py", "A = 22\n")
    assert code_stamp(tmp_path) != first
    write(tmp_path / "a.py", "A = 1\n")
    os.utime(tmp_path / "a.py", ns=(first[0][2], first[0][2]))
    assert code_stamp(tmp_path) == first
    write(tmp_path / "sub" / "c.py", "")
    assert len(code_stamp(tmp_path)) == 3
    (tmp_path / "sub" / "b.py").unlink()
    assert [entry[0] for entry in code_stamp(tmp_path)] == ["a.py", os.path.join("sub", "c.py")]


def test_a_change_counts_once_it_has_settled(tmp_path):
    write(tmp_path / "a.py", "A = 1\n")
    watch = CodeWatch(tmp_path)
    assert not watch.changed()
    write(tmp_path / "a.py", "A = 2  # the update is being copied\n")
    assert not watch.changed()  # first seen: maybe half copied
    write(tmp_path / "b.py", "B = 2\n")
    assert not watch.changed()  # still moving
    assert watch.changed() and watch.changed()  # the same twice: settled, and it stays so


def test_a_package_deleted_before_the_new_one_is_copied_is_waited_for(tmp_path):
    write(tmp_path / "pkg" / "a.py", "A = 1\n")
    watch = CodeWatch(tmp_path / "pkg")
    shutil.rmtree(tmp_path / "pkg")
    assert not watch.changed() and not watch.changed()
    write(tmp_path / "pkg" / "a.py", "A = 2\n")
    assert not watch.changed() and watch.changed()


def test_the_running_core_s_own_package_is_what_is_watched():
    watched = {entry[0].replace(os.sep, "/") for entry in code_stamp()}
    assert {"__init__.py", "facade/core.py", "sidecar/code_watch.py"} <= watched
    assert PACKAGE == Path(__file__).resolve().parent.parent / "python_core"


# A real sidecar running a copy of the core ------------------------------------------------

@pytest.fixture
def code(tmp_path):
    """A copy of python_core to run and update, with a version of its own."""
    root = tmp_path / "code"
    shutil.copytree(PACKAGE, root / "python_core",
                    ignore=shutil.ignore_patterns("__pycache__"))
    set_version(root, "9.0.0")
    return root


def set_version(root: Path, version: str) -> None:
    init = root / "python_core" / "__init__.py"
    text = init.read_text()
    start = text.index("__version__ = ")
    end = text.index("\n", start)
    init.write_text(f'{text[:start]}__version__ = "{version}"{text[end:]}')


@pytest.fixture
def serve_copy(settings, code):
    """`python -m python_core serve` started in the copy's folder (so the copy is what it
    imports); waits for its address file. Every process is killed at the end."""
    processes = []

    def start() -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        process = subprocess.Popen(
            [sys.executable, "-m", "python_core", "--settings-dir", str(settings), "serve",
             "--idle-exit", "60"], cwd=code, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(process)
        wait_until(lambda: read_address(settings).get("pid") == process.pid, "published")
        return process
    yield start
    for process in processes:
        stop(process, signal.SIGKILL)


def wait_until(condition, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not {what} within {timeout} s")
        time.sleep(0.05)


def read_address(settings) -> dict:
    try:
        return address(settings)
    except (OSError, ValueError):
        return {}


def record_a_session(client: Client, book: str, t: int) -> None:
    client.call("start_reading", {"file_path": book, "title": "Novel", "time": t, "page": 1})
    for i in range(1, 6):
        client.call("page_turned", {"time": t + 30 * i, "page": 1 + i})
    assert client.call("finish_reading", {"time": t + 155, "page": 6})["saved"] is True


def test_an_update_on_disk_restarts_the_sidecar_in_place_with_the_new_code(
        tmp_path, settings, code, serve_copy):
    book = tmp_path / "novel.epub"
    book.write_bytes(b"novel " * 500)
    process = serve_copy()
    old = Client(settings, client="ko-1")
    assert old.welcome["version"] == "9.0.0"
    record_a_session(old, str(book), T0)

    set_version(code, "9.0.1")  # the reader unzipped a new bundle over the old one
    write(code / "python_core" / "new_module.py", '"""Only in the new version."""\n')
    wait_until(lambda: read_address(settings).get("version") == "9.0.1", "restarted")

    assert process.poll() is None and address(settings)["pid"] == process.pid  # in place
    with pytest.raises(ConnectionError):
        old.call("queue_counts")  # the old core closed its connections before it went
    new = Client(settings, client="ko-1")
    assert new.welcome["ok"] and new.welcome["version"] == "9.0.1"
    assert new.call("queue_counts")["sessions"] == 1  # nothing lost
    record_a_session(new, str(book), T0 + 3600)
    assert new.call("queue_counts")["sessions"] == 2
    log = (settings / LOG_FILE).read_text()
    assert "the core on disk was updated: restarting with the new code" in log
    assert log.count("serving ") == 2


class StalledServer:
    """Accepts HTTP connections and answers nothing until released: a slow call on it
    runs for as long as the test wants."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.accepted = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        sock, _ = self.listener.accept()
        self.accepted.set()
        self.release.wait(60)
        sock.close()
        self.listener.close()


def test_a_running_slow_call_is_let_finish_and_answered_before_the_restart(
        settings, code, serve_copy):
    from tests.plugin_support import configure
    stalled = StalledServer()
    configure(settings, stalled.url)
    process = serve_copy()
    client = Client(settings, client="ko-1")
    client.send({"op": "call", "id": 1, "call": "test_connection", "args": [{}]})
    assert stalled.accepted.wait(10)

    set_version(code, "9.0.1")
    wait_until(lambda: "restarting when the running call ends" in (
        settings / LOG_FILE).read_text(), "seen")  # the update has settled: seen twice
    time.sleep(2.5)  # and at least one more check
    assert read_address(settings)["version"] == "9.0.0"  # still waiting for the call

    stalled.release.set()
    answer = client.result(1)  # the slow call's answer still reaches its KOReader
    assert answer["ok"] is False or "Server:" in answer.get("text", "")
    wait_until(lambda: read_address(settings).get("version") == "9.0.1", "restarted")
    assert address(settings)["pid"] == process.pid
    log = (settings / LOG_FILE).read_text()
    assert log.count("restarting when the running call ends") == 1  # said once, not per check
