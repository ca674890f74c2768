"""Progress in the plugin: a long sync or Match Unmatched pass the reader asked for says how
far it has got in a message that updates, page turns go on meanwhile, and the summary
comes at the end; automatic syncs and quick ones show nothing of it."""

import threading

import pytest

from bridge import HeadlessHost
from python_core.facade import BookLoreSync
from tests.plugin_support import MANAGE, configure, read_book, start_server
from tests.test_progress import queue_sessions
from tools.booklore_server import make_sample_library

QUEUED = 5000


@pytest.fixture
def library(tmp_path):
    return make_sample_library(tmp_path / "books")


#: The first batch request of a sync on a new database is the capability probe (an empty
#: batch): the uploads are the requests after it.
PROBE = 1


class HeldRequests:
    """Holds the n-th request of a path (counted from 1) until `release()`."""

    def __init__(self, path_end, *hold_at):
        self.path_end, self.hold_at, self.count = path_end, set(hold_at), 0
        self.reached, self.go = threading.Event(), threading.Event()

    def __call__(self, method, path):
        if path.endswith(self.path_end):
            self.count += 1
            if self.count in self.hold_at:
                self.reached.set()
                self.go.wait(20)
        return None

    def wait(self):
        assert self.reached.wait(20), "the request was never sent"
        self.reached.clear()

    def release(self):
        self.go.set()
        self.go = threading.Event()


def progress_messages(host):
    return [w["text"] for w in host.screen() if w["type"] == "Notification"]


def test_a_long_sync_says_how_far_it_has_got_while_pages_turn(tmp_path, library):
    server, _ = start_server(library)
    held = HeldRequests("/batch", PROBE + 13, PROBE + 37)
    settings = tmp_path / "settings"
    configure(settings, server.url, manual_sync_only=True)
    queue_sessions(settings, library[0], QUEUED)
    try:
        with HeadlessHost(settings, online=True) as host:
            server.set_fault(held)
            host.open_book(library[1].path, title=library[1].title)
            host.tap_menu("BookLore Sync", "Sync Now")
            held.wait()                    # 12 batches of 100 are in
            host.advance(2)
            assert progress_messages(host) == ["Uploading… 1,200 of 5,000"]
            host.swipe_page(3)             # the message takes no input: the pages turn
            assert host.book_state()["page"] == 4
            assert progress_messages(host) == []  # a page turn closes it
            held.release()
            held.wait()                    # 36 batches in
            host.advance(2)
            assert progress_messages(host) == ["Uploading… 3,600 of 5,000"]
            host.advance(2)                # no move: no new message
            assert host.toasts.count("Uploading… 3,600 of 5,000") == 1
            held.release()
            host.run_until_idle(timeout=120)
            assert host.toasts[-1].startswith("Synced: 5000 sessions")
            assert progress_messages(host) == []
            shown = len(host.toasts)
            host.advance(10)               # the poller stopped with the sync
            assert len(host.toasts) == shown
    finally:
        held.go.set()
        server.stop()


def test_a_message_on_top_of_the_book_would_take_the_swipe(tmp_path, library):
    """The other side of the rule above: a modal message is not a progress display."""
    server, _ = start_server(library)
    configure(tmp_path / "settings", server.url)
    try:
        with HeadlessHost(tmp_path / "settings", online=True) as host:
            host.open_book(library[1].path, title=library[1].title)
            host.tap_menu(*MANAGE, "View Details")
            host.swipe_page(2)
            assert host.book_state()["page"] == 1
    finally:
        server.stop()


def test_quick_and_automatic_syncs_show_no_progress(tmp_path, library):
    server, _ = start_server(library)
    held = HeldRequests("/batch", PROBE + 2)
    settings = tmp_path / "settings"
    configure(settings, server.url)
    queue_sessions(settings, library[0], 500)
    try:
        with HeadlessHost(settings, online=True) as host:
            server.set_fault(held)
            read_book(host, library[1])    # the session end syncs by itself
            held.wait()
            host.advance(10)
            assert not [t for t in host.toasts if "…" in t]
            held.release()
            host.run_until_idle(timeout=60)
            read_book(host, library[2], pages=6)
            host.run_until_idle()
            host.tap_menu("BookLore Sync", "Sync Now")  # one session: done at once
            host.run_until_idle()
            host.advance(10)
            assert not [t for t in host.toasts if "…" in t]
    finally:
        held.go.set()
        server.stop()


def test_match_unmatched_says_how_many_books_it_has_asked_about(tmp_path, library):
    server, _ = start_server(library)
    held = HeldRequests(library[2].file_hash, 1)  # its by-hash look-up
    settings = tmp_path / "settings"
    configure(settings, server.url)
    with BookLoreSync(settings) as core:
        for book in library:
            core.record_book({"file_path": str(book.path), "title": book.title})
    try:
        with HeadlessHost(settings, online=True) as host:
            server.set_fault(held)
            host.tap_menu(*MANAGE, "Match Unmatched Books")
            held.wait()
            host.advance(2)
            assert progress_messages(host) == ["Matching books… 2 of 5"]
            held.release()
            host.run_until_idle()
            assert host.toasts[-1] == "Matched 4 book(s); 1 still unmatched"
            assert progress_messages(host) == []
    finally:
        held.go.set()
        server.stop()
