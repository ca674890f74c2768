"""The same plugin scenarios in both hosts: in-process (HeadlessHost, the core inside Python
through lupa) and as in a real KOReader (StandaloneHost: standalone luajit, the plugin's own
core client, a real `booklore-sync serve`). The same main.lua, the same answers."""

from __future__ import annotations

import json
import os
import signal
import sys

import pytest

from bridge.standalone import StandaloneHost, luajit_available
from python_core.sidecar.instance import ADDRESS_FILE
from tests.plugin_support import MANAGE, configure

SERVER_MENU = ("BookLore Sync", "Settings", "Server and accounts")


@pytest.fixture(params=["in-process", "sidecar"])
def make_host(request, tmp_path, server):
    """A host factory over a configured settings folder; the sidecar it may start is ended."""
    settings = tmp_path / "koreader" / "settings"
    configure(settings, server.url)
    if request.param == "in-process":
        pytest.importorskip("lupa", reason="the in-process host needs lupa")
        from bridge import HeadlessHost
        yield lambda online: HeadlessHost(settings, online=online)
        return
    why = luajit_available()
    if why:
        pytest.skip(why)
    yield lambda online: StandaloneHost(settings, online=online, python=sys.executable,
                                core_timeout=1.0)
    try:
        os.kill(json.loads((settings / ADDRESS_FILE).read_text())["pid"], signal.SIGTERM)
    except (OSError, ValueError, KeyError):
        pass


def read(host, book, pages=10):
    host.open_book(book.path, title=book.title, authors="\n".join(book.authors), pages=300)
    host.run_until_idle(30)  # the sidecar host starts its core at the first call
    for _ in range(pages):
        host.advance(30)
        host.turn_page()
    host.close_book()


def test_a_book_read_online_is_uploaded(make_host, server, library):
    with make_host(True) as host:
        read(host, library[0])
        host.run_until_idle(30)
        assert [s["durationSeconds"] // 10 for s in server.sessions] == [30]
        labels = [c["text"] for c in host.menu(*MANAGE)["children"]]
        assert labels[0] == "Sync Pending Now"


def test_offline_reading_waits_in_the_queue_and_shows_in_manage_sessions(make_host, server,
                                                                         library):
    with make_host(False) as host:
        read(host, library[0])
        read(host, library[1])
        host.run_until_idle(30)
        labels = [c["text"] for c in host.menu(*MANAGE)["children"]]
        assert labels[0] == "Sync Pending Now (2s, 0a, 0r)"
        host.tap_menu(*MANAGE, "View Details")
        details = host.screen()[-1]["text"]
        assert "Sessions: 2" in details and "Unmatched: 2" in details
        assert server.sessions == []


def test_test_connection_reports_the_server_and_the_core(make_host, server):
    with make_host(True) as host:
        host.menu("BookLore Sync")
        host.run_until_idle(30)
        host.tap_menu(*SERVER_MENU, "Test Connection")
        host.run_until_idle(30)
        text = [w for w in host.screen() if w["type"] == "InfoMessage"][-1]["text"]
        assert text.startswith("Server: reachable") and "BookLore account: OK" in text
        assert "Core: BookLore Sync 0.1.0" in text


def test_tracking_off_by_gesture_records_nothing(make_host, server, library):
    with make_host(False) as host:
        host.menu("BookLore Sync")
        host.run_until_idle(30)
        host.dispatch("BookloreToggleTracking")
        assert host.toasts[-1] == "Session tracking off"
        read(host, library[0])
        host.run_until_idle(30)
        assert host.menu(*MANAGE)["children"][0]["text"] == "Sync Pending Now"
