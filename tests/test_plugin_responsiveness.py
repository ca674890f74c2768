"""The Lua thread never waits on the network: a long sync runs on the worker while page
turns, menus and session ends are handled at once."""

import threading

import pytest

from bridge import HeadlessHost
from python_core.facade import BookLoreSync
from python_core.store import session_queue
from tests.plugin_support import MANAGE, configure, labels, start_server
from tools.booklore_server import make_sample_library

QUEUED = 5000


@pytest.fixture
def library(tmp_path):
    return make_sample_library(tmp_path / "books")


def queue_directly(settings, book, count):
    """A big backlog, written in one transaction (recording them one by one is not the
    point of this test)."""
    core = BookLoreSync(settings)
    with core.db.atomic() as tx:
        for n in range(count):
            session_queue.insert(tx, {
                "book_hash": book.file_hash, "book_type": "EPUB",
                "start_time": f"2025-{1 + n // 500:02d}-{1 + n % 500 // 20:02d}T"
                              f"{n % 20:02d}:00:00Z",
                "end_time": "2026-01-01T00:00:00Z", "duration_seconds": 600,
                "created_at": "2026-01-01T00:00:00Z"})
    core.close()


def test_page_turns_and_menus_are_handled_while_a_5000_session_sync_runs(tmp_path, library):
    server, _ = start_server(library)
    gate, first_request = threading.Event(), threading.Event()

    def hold_first_request(method, path):
        first_request.set()
        gate.wait(20)
        return None
    settings = tmp_path / "settings"
    configure(settings, server.url, manual_sync_only=True)
    queue_directly(settings, library[0], QUEUED)
    try:
        with HeadlessHost(settings, online=True) as host:
            server.set_fault(hold_first_request)
            host.open_book(library[1].path, title=library[1].title)
            host.dispatch("SyncBooklorePending")
            assert first_request.wait(10), "the sync never reached the server"
            started = host.now()
            for _ in range(10):
                host.turn_page()
            assert host.book_state()["page"] == 11
            assert "Sync Pending Now (5000s, 0a, 0r)" in labels(host, *MANAGE)
            host.advance(60)
            host.close_book()
            assert host.now() == started + 60  # nothing waited: only advance moved time
            with pytest.raises(TimeoutError):
                host.run_until_idle(timeout=0.2)  # the sync is still held at the server
            gate.set()
            server.set_fault(None)
            host.run_until_idle(timeout=120)
            assert host.toasts[-1].startswith("Synced: 500")
    finally:
        gate.set()
        server.stop()
    starts = [(s["bookId"], s["startTime"]) for s in server.sessions]
    assert len(starts) == len(set(starts)) >= QUEUED
