"""Reading sessions from KOReader events and the automatic sync triggers, through the real
plugin and core, against the bundled BookLore-compatible server."""

import threading

import pytest

from bridge import HeadlessHost
from python_core.books.fingerprint import partial_md5
from python_core.facade import BookLoreSync
from tests.plugin_support import MANAGE, configure, labels, read_book, turn_pages

T0 = 1_767_225_600.0


@pytest.fixture
def settings(tmp_path, server):
    configure(tmp_path / "settings", server.url)
    return tmp_path / "settings"


@pytest.fixture
def host(settings):
    with HeadlessHost(settings) as host:
        yield host


def pending(settings):
    core = BookLoreSync(settings)
    rows = [dict(r) for r in core.db.connection().execute(
        "SELECT * FROM pending_sessions ORDER BY id")]
    core.close()
    return rows


def sync_count(host):
    return sum(1 for line in host.logs if "BookLoreSync: sync " in line)


def test_open_read_ten_pages_close_then_upload_when_online(host, settings, server, library):
    host.open_book(library[0].path, title=library[0].title, pages=200, page=20)
    turn_pages(host, 10, 30)
    host.close_book()
    [row] = pending(settings)
    assert (row["start_time"], row["end_time"]) == ("2026-01-01T00:00:00Z",
                                                    "2026-01-01T00:05:00Z")
    assert row["duration_seconds"] == 300 and row["pages_read"] == 10
    assert (row["start_progress"], row["end_progress"]) == (10.0, 15.0)
    assert (row["start_location"], row["end_location"]) == ("20", "30")
    assert row["book_type"] == "EPUB" and row["book_id"] is None
    # KOReader's own checksum (the host computes it independently) is the core's fingerprint.
    assert row["book_hash"] == partial_md5(library[0].path) == library[0].file_hash
    host.set_online(True)  # NetworkConnected: the waiting sync runs by itself
    host.run_until_idle()
    [uploaded] = server.sessions
    assert uploaded["startTime"] == "2026-01-01T00:00:00Z"
    assert (uploaded["startProgress"], uploaded["endProgress"]) == (10.0, 15.0)
    assert (uploaded["startLocation"], uploaded["endLocation"]) == ("20", "30")
    assert pending(settings) == []


def test_suspend_and_resume_split_one_evening_into_two_sessions(host, settings, library):
    host.open_book(library[1].path, title=library[1].title)
    turn_pages(host, 5, 60)
    host.suspend()
    host.advance(3600)
    host.resume()
    turn_pages(host, 5, 60)
    host.close_book()
    rows = pending(settings)
    assert [r["duration_seconds"] for r in rows] == [300, 300]
    assert rows[1]["start_time"] == "2026-01-01T01:05:00Z"
    assert rows[1]["start_location"] == rows[0]["end_location"] == "6"


@pytest.mark.parametrize("seconds, pages", [(20, 3), (600, 0)])
def test_too_short_or_no_page_turned_is_not_saved(host, settings, library, seconds, pages):
    host.open_book(library[0].path)
    host.advance(seconds)
    for _ in range(pages):
        host.turn_page()
    host.close_book()
    assert pending(settings) == []
    assert host.toasts[-1] == "Session not saved: criteria not met"


def test_pages_mode_thresholds(host, settings, library):
    host.tap_menu("BookLore Sync", "Settings", "Session tracking", "Detection mode", "Pages read")
    read_book(host, library[0], pages=4, seconds_per_page=5)
    assert pending(settings) == []
    read_book(host, library[0], pages=5, seconds_per_page=5)
    assert [r["pages_read"] for r in pending(settings)] == [5]


def test_book_left_open_ends_at_the_last_page_turn(host, settings, library):
    host.open_book(library[0].path)
    turn_pages(host, 4)
    host.advance(8 * 3600)
    host.close_book()
    [row] = pending(settings)
    assert row["duration_seconds"] == 120


def test_clock_set_back_during_a_session_is_not_saved(host, settings, library):
    host.open_book(library[0].path)
    turn_pages(host, 5)
    host.jump_wall_clock(-2 * 3600)  # e.g. the device's clock corrected by NTP
    host.advance(30)
    host.close_book()
    assert pending(settings) == []
    assert host.toasts[-1] == "Session not saved: criteria not met"


def test_clock_set_forward_during_a_session_ends_it_at_the_last_page_turn(host, settings,
                                                                          library):
    host.open_book(library[0].path)
    turn_pages(host, 5)
    host.jump_wall_clock(3 * 86400)
    host.close_book()
    [row] = pending(settings)
    assert row["duration_seconds"] == 150


def test_tracking_off_saves_nothing_and_says_nothing(host, settings, library):
    host.dispatch("booklore_toggle_tracking")
    read_book(host, library[0])
    assert pending(settings) == []
    assert "Session not saved: criteria not met" not in host.toasts


def test_crash_then_restart_recovers_the_session(settings, library):
    host = HeadlessHost(settings)
    host.open_book(library[2].path)
    turn_pages(host, 12, 30)
    host.crash()  # no CloseDocument: the battery died
    assert pending(settings) == []
    with HeadlessHost(settings) as restarted:
        [row] = pending(settings)
        assert row["end_time"] == "2026-01-01T00:06:00Z"  # last save: 360 s in
        assert row["pages_read"] == 12
        assert "Sync Pending Now (1s, 0a, 0r)" in labels(restarted, *MANAGE)


def test_book_known_only_by_isbn_is_matched_at_open(settings, server, library):
    isbn_only = server.add_book("Dune", ["Frank Herbert"], file_hash=None,
                                isbn13="9780441013593")
    with HeadlessHost(settings, online=True) as host:
        host.open_book(library[4].path, title="Dune", identifiers="urn:isbn:978-0-441-01359-3")
        host.run_until_idle()
        assert labels(host, *MANAGE)["Match Unmatched Books"] is False  # greyed: all matched
    core = BookLoreSync(settings)
    row = core.db.connection().execute("SELECT book_id, match_source FROM book_cache").fetchone()
    assert tuple(row) == (isbn_only, "isbn")
    core.close()


def test_isbn_shared_by_two_books_is_not_a_match(settings, server, library):
    server.add_book("Pride and Prejudice (another edition)", ["Jane Austen"], file_hash=None,
                    isbn13=library[0].isbn13)  # the sample library has that ISBN already
    with HeadlessHost(settings, online=True) as host:
        host.open_book(library[4].path, identifiers=f"ISBN:{library[0].isbn13}")
        host.run_until_idle()
        assert host.toasts[-1].startswith("No match found based on hash or ISBN.")


def test_unknown_book_is_reported_once(settings, library):
    with HeadlessHost(settings, online=True) as host:
        for _ in range(2):
            host.open_book(library[4].path)
            host.run_until_idle()
            host.close_book()
        told = [t for t in host.toasts if t.startswith("No match found based on hash")]
        assert told == ["No match found based on hash.\n"
                        "Does this book exist in your BookLore library?"]


def test_resume_sync_after_15_seconds_and_at_most_once_in_5_minutes(settings):
    with HeadlessHost(settings, online=True) as host:
        host.suspend()
        host.resume()
        host.advance(14)
        host.run_until_idle()
        assert sync_count(host) == 0
        host.advance(1)
        host.run_until_idle()
        assert sync_count(host) == 1
        host.suspend()
        host.advance(60)
        host.resume()
        host.advance(30)
        host.run_until_idle()
        assert sync_count(host) == 1
        host.suspend()
        host.advance(300)
        host.resume()
        host.advance(15)
        host.run_until_idle()
        assert sync_count(host) == 2


def test_manual_sync_only_queues_until_sync_now(host, settings, server, library):
    host.tap_menu("BookLore Sync", "Settings", "Manual Sync Only")
    host.set_online(True)
    read_book(host, library[0])
    host.run_until_idle()
    assert server.sessions == [] and len(pending(settings)) == 1
    host.tap_menu("BookLore Sync", "Sync Now")
    host.run_until_idle()
    assert len(server.sessions) == 1 and host.toasts[-1] == "Synced: 1 session\nFailed: 0"


def test_dispatcher_sync_during_a_running_sync_uploads_nothing_twice(settings, server, library):
    gate, held = threading.Event(), threading.Event()

    def hold_first_batch(method, path):
        if path.endswith("/batch") and not held.is_set():
            held.set()
            gate.wait(10)
        return None
    configure(settings, server.url, manual_sync_only=True)
    try:
        with HeadlessHost(settings, online=True) as host:
            for book in library[:3]:
                read_book(host, book)
            server.set_fault(hold_first_batch)
            host.dispatch("SyncBooklorePending")
            assert held.wait(10)
            host.dispatch("SyncBooklorePending")
            gate.set()
            host.run_until_idle()
            assert host.toasts[-2:] == ["Synced: 3 sessions\nFailed: 0", "Nothing to sync"]
    finally:
        gate.set()
    assert len(server.sessions) == 3


def test_week_offline_reaches_booklore_exactly_once_without_user_action(settings, server,
                                                                        library):
    expected = 0
    with HeadlessHost(settings) as host:
        for day in range(7):
            for book in library[day % 3: day % 3 + 2]:  # two books an evening
                read_book(host, book, pages=6 + day, seconds_per_page=45)
                expected += 1 if book is not library[4] else 0
            host.suspend()
            host.advance(20 * 3600)
            host.resume()
        host.set_online(True)
        host.run_until_idle(timeout=60)
    starts = [(s["bookId"], s["startTime"]) for s in server.sessions]
    assert len(starts) == len(set(starts)) == expected


def test_automatic_sync_speaks_up_only_when_the_reader_must_act(settings, server, library):
    configure(settings, server.url, password="wrong")
    with HeadlessHost(settings, online=True) as host:
        read_book(host, library[0])
        host.run_until_idle()
        assert host.toasts[-1] == (
            "Synced: 0\nFailed: 0\nBook lookup refused: Server refused access (403): Forbidden. "
            "Check the KOReader account under Settings → Server and accounts.")
        assert len(pending(settings)) == 1
    configure(settings, server.url, password="wrong", silent_mode=True)
    with HeadlessHost(settings, online=True) as host:
        read_book(host, library[1])
        host.run_until_idle()
        assert not any("refused" in toast for toast in host.toasts)
