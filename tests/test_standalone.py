"""The plugin in a real KOReader's situation: Debian's standalone `luajit` runs main.lua
with the host's stand-ins but without lupa, so the plugin's own client
(`bookloresync/core.lua`) talks to a real `booklore-sync serve` process, against the local
BookLore server. Kill -9 of the sidecar, the journal, and the bad input of this path."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time

import pytest

from bridge.standalone import StandaloneHost, luajit_available, wait_for
from python_core.sidecar.instance import ADDRESS_FILE
from python_core.sidecar.journal import JOURNAL_FILE
from tests.plugin_support import configure
from tests.sidecar_support import start_serve, stop

pytestmark = pytest.mark.skipif(luajit_available() is not None, reason=str(luajit_available()))

NOT_RUNNING = "BookLore Sync core is not running"


@pytest.fixture
def settings(tmp_path, server):
    folder = tmp_path / "koreader" / "settings"
    configure(folder, server.url)
    return folder


@pytest.fixture
def sidecars(settings):
    """Every sidecar that served the folder (the plugin starts them detached) is ended."""
    seen: set[int] = set()

    def note() -> int | None:
        try:
            pid = json.loads((settings / ADDRESS_FILE).read_text())["pid"]
        except (OSError, ValueError, KeyError):
            return None
        seen.add(pid)
        return pid
    yield note
    note()
    for pid in seen:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture
def host(settings, sidecars):
    with StandaloneHost(settings, online=True, python=sys.executable, core_timeout=1.0) as host:
        yield host
        sidecars()


def read(host, book, pages=10, seconds_per_page=30, settle=False):
    """Open, read, close; `settle`: let the core answer after opening (the first call of a
    KOReader starts the sidecar, which then takes a moment to come up)."""
    host.open_book(book.path, title=book.title, authors="\n".join(book.authors), pages=300)
    if settle:
        host.run_until_idle(30)
    for _ in range(pages):
        host.advance(seconds_per_page)
        host.turn_page()
    host.close_book()


def test_read_close_sync_through_a_sidecar_the_plugin_started_itself(host, server, library,
                                                                     sidecars):
    read(host, library[0], settle=True)
    host.run_until_idle(30)
    assert host.client_state()["connected"] and sidecars() is not None
    wait_for(lambda: len(server.sessions) == 1, timeout=15)
    # The reading took 300 s; waiting for the sidecar to come up moved the clock too.
    assert 300 <= server.sessions[0]["durationSeconds"] < 330
    host.tap_menu("BookLore Sync", "Settings", "Manage Sessions", "View Details")
    assert "Sessions: 0" in host.screen()[-1]["text"]
    assert not any("Error" in line or "error" in line for line in host.logs)


def test_kill_9_of_the_sidecar_then_a_book_read_meanwhile_arrives_exactly_once(
        host, server, library, settings, sidecars):
    read(host, library[0], settle=True)
    host.run_until_idle(30)
    wait_for(lambda: len(server.sessions) == 1, timeout=15)
    os.kill(sidecars(), signal.SIGKILL)
    host.set_reader_setting("bookloresync_python", "/nonexistent/python3")
    read(host, library[1])  # no core: the journal
    assert (settings / JOURNAL_FILE).exists()
    assert host.client_state()["journaling"]
    time.sleep(0.5)
    assert len(server.sessions) == 1
    process = start_serve(settings)
    try:
        host.run_until_idle(30)
        host.dispatch("SyncBooklorePending")
        host.run_until_idle(30)
        wait_for(lambda: len(server.sessions) == 2, timeout=15)
        time.sleep(0.5)
        assert len(server.sessions) == 2 and not (settings / JOURNAL_FILE).exists()
        assert server.sessions[1]["durationSeconds"] == 300
    finally:
        stop(process)


def test_no_python_the_reader_is_told_once_and_nothing_is_lost(settings, server, library,
                                                               sidecars):
    with StandaloneHost(settings, online=True, python="/nonexistent/python3") as host:
        read(host, library[0])
        assert host.request("run_until_idle", 3) is False  # the journal waits for a core
        read(host, library[1])
        told = [t for t in host.toasts if "Python 3.9 or newer not found" in t]
        assert len(told) == 1 and "docs/DEVICES.md" in told[0]
        host.tap_menu("BookLore Sync", "Settings", "Manage Sessions", "View Details")
        details = host.screen()[-1]["text"]
        assert details.startswith(NOT_RUNNING) and "reading event(s) are saved" in details
        host.tap_menu("BookLore Sync", "Sync Now")
        host.advance(1)
        assert host.toasts[-1] == NOT_RUNNING
        assert not any(line.startswith("ERROR") for line in host.logs)
    process = start_serve(settings)  # Python arrives: the journal is ingested at start
    try:
        assert not (settings / JOURNAL_FILE).exists()
        from python_core.facade import BookLoreSync
        core = BookLoreSync(settings)
        assert core.queue_counts()["sessions"] == 2
        core.close()
    finally:
        stop(process)


def test_with_no_core_each_sync_now_answers_at_once(settings, server, library, sidecars):
    """The client's poller sleeps up to RETRY_SECONDS while no core answers; an answer
    queued meanwhile (here "not running" to a Sync Now) must bring the next poll forward,
    not wait for the sleeping one."""
    with StandaloneHost(settings, online=True, python="/nonexistent/python3") as host:
        read(host, library[0])
        host.request("run_until_idle", 3)
        assert any("Python 3.9 or newer not found" in t for t in host.toasts)
        for pause in (0.35, 0.7, 1.05, 1.4):  # different phases of the sleeping poll
            host.advance(pause)
            shown = len(host.toasts)
            host.tap_menu("BookLore Sync", "Sync Now")
            host.advance(0.25)
            assert host.toasts[shown:] == [NOT_RUNNING]


def test_a_stale_address_file_and_garbage_on_its_port_lead_to_a_new_sidecar(
        settings, server, library, sidecars):
    fake = socket.create_server(("127.0.0.1", 0))
    port = fake.getsockname()[1]

    def babble():
        while True:
            try:
                conn, _ = fake.accept()
            except OSError:
                return
            conn.sendall(b"<html>not a core</html>\n")
            conn.close()
    threading.Thread(target=babble, daemon=True).start()
    (settings / ADDRESS_FILE).write_text(json.dumps({"port": port, "token": "x" * 32, "pid": 1}))
    try:
        with StandaloneHost(settings, online=True, python=sys.executable, core_timeout=1.0) as host:
            read(host, library[0])
            host.run_until_idle(30)
            assert host.client_state()["connected"]
            assert sidecars() not in (None, 1)
            wait_for(lambda: len(server.sessions) == 1, timeout=15)
            assert not any(line.startswith("ERROR") for line in host.logs)
    finally:
        fake.close()


def test_a_wrong_token_loses_nothing_and_the_right_one_delivers(settings, server, library,
                                                                sidecars):
    process = start_serve(settings)
    real = (settings / ADDRESS_FILE).read_text()
    (settings / ADDRESS_FILE).write_text(json.dumps({**json.loads(real), "token": "0" * 32}))
    try:
        with StandaloneHost(settings, online=True, python=sys.executable, core_timeout=1.0) as host:
            read(host, library[0])
            assert host.client_state()["journaling"] and not host.client_state()["connected"]
            (settings / ADDRESS_FILE).write_text(real)
            host.run_until_idle(30)
            host.dispatch("SyncBooklorePending")
            host.run_until_idle(30)
            wait_for(lambda: len(server.sessions) == 1, timeout=15)
            assert not any(line.startswith("ERROR") for line in host.logs)
    finally:
        stop(process)


def test_a_hung_sidecar_costs_a_page_turn_at_most_50_ms_and_loses_nothing(
        host, server, library, settings, sidecars):
    host.set_reader_setting("bookloresync_core_timeout", 0.05)  # the rule under test: 50 ms
    read(host, library[0], pages=2, settle=True)
    host.run_until_idle(30)
    pid = sidecars()
    book = library[1]
    host.open_book(book.path, title=book.title, pages=300)
    os.kill(pid, signal.SIGSTOP)
    try:
        slowest = 0.0
        for _ in range(10):
            host.advance(30)
            started = time.monotonic()
            host.turn_page()
            slowest = max(slowest, time.monotonic() - started)
        host.close_book()
        assert host.client_state()["journaling"]
    finally:
        os.kill(pid, signal.SIGCONT)
    assert slowest < 0.2  # one 50 ms wait, then no more while it stays silent; plus the pipe
    host.run_until_idle(30)
    host.dispatch("SyncBooklorePending")
    host.run_until_idle(30)
    wait_for(lambda: len([s for s in server.sessions if s["durationSeconds"] == 300]) == 1,
             timeout=15)
    from python_core.facade import BookLoreSync
    core = BookLoreSync(settings)
    assert core.queue_counts()["sessions"] == 0
    core.close()


def test_two_koreaders_on_one_settings_folder_both_sessions_arrive(settings, server, library,
                                                                  sidecars):
    with StandaloneHost(settings, online=True, python=sys.executable, core_timeout=1.0) as one, \
            StandaloneHost(settings, online=True, python=sys.executable, core_timeout=1.0) as two:
        one.open_book(library[0].path, title=library[0].title, pages=300)
        two.open_book(library[1].path, title=library[1].title, pages=300)
        for _ in range(10):
            one.advance(30)
            one.turn_page()
            two.advance(20)
            two.turn_page()
        one.close_book()
        two.close_book()
        for host in (one, two):
            host.run_until_idle(30)
        wait_for(lambda: len(server.sessions) == 2, timeout=20)
        assert sorted(s["durationSeconds"] for s in server.sessions) == [200, 300]
        sidecars()


def test_an_odd_settings_path_still_starts_the_core(tmp_path, server, library):
    """Quotes, spaces, a dollar sign and non-ASCII in the folder: the launcher's shell line
    quotes them, and the core serves exactly that folder."""
    settings = tmp_path / "it's a \"KOReader\" $HOME ü" / "settings"
    configure(settings, server.url)
    try:
        with StandaloneHost(settings, online=True, python=sys.executable,
                            core_timeout=1.0) as host:
            read(host, library[0], settle=True)
            host.run_until_idle(30)
            assert host.client_state()["connected"]
            wait_for(lambda: len(server.sessions) == 1, timeout=15)
    finally:
        try:
            os.kill(json.loads((settings / ADDRESS_FILE).read_text())["pid"], signal.SIGTERM)
        except (OSError, ValueError, KeyError):
            pass
