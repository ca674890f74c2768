"""What readers of the other BookLore plugin expect, over the sidecar: the plugin in
Debian's standalone `luajit` with its own client (`bookloresync/core.lua`) and a real
`booklore-sync serve`, against the local BookLore server. Progress of a long sync, page
bookmarks, "Don't track this book" and "Match Book" from the long-press dialog."""

from __future__ import annotations

import threading
import time

import pytest

from bridge.standalone import luajit_available, wait_for
from python_core.facade import BookLoreSync
from tests import test_standalone as standalone
from tests.small_epub import PASSAGES, write_small_epub
from tests.test_progress import queue_sessions
from tests.test_standalone import read
from tools.booklore_server import partial_md5

pytestmark = pytest.mark.skipif(luajit_available() is not None, reason=str(luajit_available()))


def until_shown(host, path, button, tries=10):
    """Long-press `path` until its dialog has `button`, then tap it. On PyPy a first call
    into a cold path can miss the client's 50 ms deadline for quick calls; the client then
    pauses for 2 s (bookloresync/sidecar/client.lua) and shows no BookLore row, and a
    reader would long-press again. So does the test."""
    for _ in range(tries):
        host.long_press(path)
        rows = host.screen()[-1]["buttons"]
        if any(b["text"] == button for row in rows for b in row):
            return host.tap_button(button)
        host.dismiss()
        time.sleep(0.5)
    raise AssertionError(f"{button} never shown for {path}")


# The configured folder, the sidecars it starts and the host, as there (the server is
# conftest's).
settings = pytest.fixture(standalone.settings.__wrapped__)
sidecars = pytest.fixture(standalone.sidecars.__wrapped__)
host = pytest.fixture(standalone.host.__wrapped__)


def test_a_long_sync_shows_how_far_it_has_got_over_the_sidecar(host, server, library,
                                                                settings):
    held, go = threading.Event(), threading.Event()
    batches = []

    def hold_the_fourth_batch(method, path):
        if path.endswith("/batch"):
            batches.append(path)
            if len(batches) == 1 + 4:  # the first is the capability probe (an empty batch)
                held.set()
                go.wait(20)
        return None
    read(host, library[1], pages=0, settle=True)  # the sidecar is up
    host.run_until_idle(30)
    queue_sessions(settings, library[0], 1000)  # now: no earlier sync can take them
    server.set_fault(hold_the_fourth_batch)
    try:
        host.tap_menu("BookLore Sync", "Sync Now")
        for _ in range(90):  # the client's poller runs on the clock (a deferred call waits)
            if held.wait(0.5):
                break
            host.advance(0.5)
        assert held.is_set(), f"batches sent: {len(batches)}, sessions stored: " \
                              f"{len(server.sessions)}, toasts: {host.toasts[-3:]}"
        shown = []
        for _ in range(10):  # a poll that missed the quick-call deadline: the next one shows it
            host.advance(2)
            shown = [w["text"] for w in host.screen() if w["type"] == "Notification"]
            if shown:
                break
            time.sleep(0.5)
        assert shown == ["Uploading… 300 of 1,000"]
    finally:
        go.set()
    host.run_until_idle(30)
    assert host.toasts[-1].startswith("Synced: 1000 sessions")
    assert not [w for w in host.screen() if w["type"] == "Notification"]


def test_bookmarks_tracking_and_match_book_over_the_sidecar(host, server, library,
                                                            settings, tmp_path):
    epub = write_small_epub(tmp_path / "small.epub")
    book_id = server.add_book("Small Test Book", ["A. Writer"], file_hash=partial_md5(epub))
    with BookLoreSync(settings) as core:
        assert core.set_setting("bookmark_sync", True)["ok"]
    mark = {"datetime": "2026-01-02 09:00:00", "page": PASSAGES["ishmael"][0],
            "chapter": "Chapter Two", "pageno": 7}
    host.open_book(epub, title="Small Test Book", annotations=[mark])
    host.run_until_idle(30)
    host.close_book()
    host.run_until_idle(30)
    wait_for(lambda: len(server.bookmarks) == 1, timeout=15)
    assert server.bookmarks[0]["bookId"] == book_id
    assert server.bookmarks[0]["title"] == "Chapter Two · page 7"

    until_shown(host, library[1].path, "Don't track this book")
    host.tap_button("Don't track")
    before = len(server.sessions)
    read(host, library[1])
    host.run_until_idle(30)
    host.advance(10)
    with BookLoreSync(settings) as core:
        assert core.queue_counts()["sessions"] == 0
    assert len(server.sessions) == before

    time_machine = library[4]  # unknown by fingerprint: matched by the ID typed in
    read(host, time_machine)
    host.run_until_idle(30)
    host.advance(10)  # the look-up's "No match found based on hash" message times out first
    wanted = server.add_book("The Time Machine", ["H. G. Wells"])
    until_shown(host, time_machine.path, "Match Book")
    host.tap_button("Enter BookLore book ID")
    host.type_text(str(wanted))
    host.tap_button("Look up")
    host.run_until_idle(30)
    host.tap_button("The Time Machine – H. G. Wells")
    host.run_until_idle(30)
    wait_for(lambda: any(s["bookId"] == wanted for s in server.sessions), timeout=15)
    assert host.toasts[-1].startswith("Matched “The Time Machine”.")

