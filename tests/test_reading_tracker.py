"""The session in progress: page turns, idle gaps, and recovery after a crash."""

import json

import pytest

from python_core.facade import BookLoreSync

T0 = 1_767_225_600


@pytest.fixture
def book(tmp_path):
    path = tmp_path / "novel.epub"
    path.write_bytes(b"novel " * 500)
    return path


def open_book(core, book, t=T0, page=10, progress=10.0):
    return core.start_reading({"file_path": str(book), "title": "Novel", "time": t,
                               "page": page, "progress": progress,
                               "identifiers": "urn:isbn:978-0-441-01359-3\nuuid:abc"})


def turn(core, t, page, progress=None):
    return core.page_turned({"time": t, "page": page, "progress": progress})


def pending(core):
    return [dict(r) for r in core.db.connection().execute(
        "SELECT * FROM pending_sessions ORDER BY id")]


def test_open_read_close_queues_one_session(core, book):
    opened = open_book(core, book)
    assert opened["tracking"] and opened["isbn13"] == "9780441013593"
    for i in range(1, 11):
        turn(core, T0 + 30 * i, 10 + i, 10.0 + i * 0.5)
    result = core.finish_reading({"time": T0 + 300, "page": 20, "progress": 15.0})
    assert result["ok"] and result["saved"]
    [row] = pending(core)
    assert (row["start_time"], row["end_time"]) == ("2026-01-01T00:00:00Z",
                                                    "2026-01-01T00:05:00Z")
    assert row["duration_seconds"] == 300 and row["pages_read"] == 10
    assert (row["start_progress"], row["end_progress"]) == (10.0, 15.0)
    assert (row["start_location"], row["end_location"]) == ("10", "20")


def test_no_page_turned_is_not_saved(core, book):
    open_book(core, book)
    result = core.finish_reading({"time": T0 + 600, "page": 10})
    assert not result["saved"] and result["message"] == "Session not saved: criteria not met"
    assert pending(core) == []


def test_idle_gap_splits_into_two_sessions_at_the_last_turn(core, book):
    open_book(core, book)
    turn(core, T0 + 60, 11)
    turn(core, T0 + 120, 12)
    closed = turn(core, T0 + 120 + 3 * 3600, 13)["closed"]
    assert closed["saved"]
    turn(core, T0 + 120 + 3 * 3600 + 60, 14)
    core.finish_reading({"time": T0 + 120 + 3 * 3600 + 90, "page": 14})
    rows = pending(core)
    assert [r["duration_seconds"] for r in rows] == [120, 90]
    assert rows[0]["end_time"] == "2026-01-01T00:02:00Z"


def test_book_left_open_ends_at_the_last_page_turn(core, book):
    open_book(core, book)
    turn(core, T0 + 60, 11)
    turn(core, T0 + 200, 12)
    core.finish_reading({"time": T0 + 9 * 3600, "page": 12})
    [row] = pending(core)
    assert row["duration_seconds"] == 200


def test_open_session_is_saved_at_most_once_a_minute(core, book):
    open_book(core, book)
    conn = core.db.connection()

    def stored():
        core.reading.wait_for_saves()  # page-turn saves are written on their own thread
        return json.loads(conn.execute("SELECT data FROM open_session").fetchone()[0])
    turn(core, T0 + 20, 11)
    assert stored()["pages_read"] == 0
    turn(core, T0 + 61, 12)
    assert stored()["pages_read"] == 2 and stored()["last_activity_time"] == T0 + 61


def test_crash_then_restart_recovers_the_session_at_its_last_saved_activity(tmp_path, book):
    first = BookLoreSync(tmp_path / "settings")
    open_book(first, book)
    for i in range(1, 6):
        turn(first, T0 + 40 * i, 10 + i)  # saved at T0+80 (>=60 s) and T0+160 (>=60 s later)
    first.reading.wait_for_saves()  # the last save has landed...
    first.db.close()  # ...and then the process dies: no finish_reading
    second = BookLoreSync(tmp_path / "settings")
    result = second.recover_reading()
    assert result["recovered"] and result["saved"]
    [row] = pending(second)
    assert row["end_time"] == "2026-01-01T00:02:40Z" and row["pages_read"] == 4
    assert second.recover_reading()["recovered"] is False
    second.close()


def test_tracking_off_records_nothing(core, book):
    core.set_setting("tracking_enabled", False)
    assert open_book(core, book)["tracking"] is False
    turn(core, T0 + 60, 11)
    result = core.finish_reading({"time": T0 + 600, "page": 11})
    assert not result["saved"] and result["message"] is None
    assert pending(core) == []


def test_finish_without_an_open_session_is_harmless(core):
    result = core.finish_reading({"time": T0})
    assert result["ok"] and not result["saved"]


def open_state(core):
    return core.db.connection().execute("SELECT count(*) FROM open_session").fetchone()[0]


def test_close_queues_the_session_and_drops_the_open_state_in_one_commit(core, book):
    open_book(core, book)
    for i in range(1, 11):
        turn(core, T0 + 30 * i, 10 + i)
    commits = []
    core.db.connection().set_trace_callback(
        lambda sql: commits.append(sql) if sql.strip().upper() == "COMMIT" else None)
    assert core.finish_reading({"time": T0 + 300, "page": 20})["saved"]
    assert len(commits) == 1
    assert len(pending(core)) == 1 and open_state(core) == 0


def test_a_session_that_cannot_be_recorded_keeps_its_open_state_and_writes_nothing(
        core, book, monkeypatch):
    from python_core.store import session_queue
    open_book(core, book)
    for i in range(1, 11):
        turn(core, T0 + 30 * i, 10 + i)
    files_before = core.db.connection().execute("SELECT * FROM book_cache").fetchall()

    def broken(tx, row):
        tx.execute("UPDATE book_cache SET title = 'half-written'")
        raise OSError("disk gone")
    monkeypatch.setattr(session_queue, "insert", broken)
    result = core.finish_reading({"time": T0 + 300, "page": 20})
    assert result["ok"] is False
    assert open_state(core) == 1  # the next start finishes it
    assert core.db.connection().execute("SELECT * FROM book_cache").fetchall() == files_before


def test_a_page_turn_does_not_wait_for_a_sync_holding_the_write_lock(core, book):
    """The minute's save is handed to its own thread: the turn returns while another
    connection (a sync committing) holds the lock, and the save lands once it is free."""
    import sqlite3
    open_book(core, book)
    blocker = sqlite3.connect(core.db.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        turn(core, T0 + 61, 11)  # would sit in SQLite's busy handler if it wrote here
        saved = core.db.connection().execute("SELECT data FROM open_session").fetchone()[0]
        assert json.loads(saved)["pages_read"] == 0  # not written yet: the lock is taken
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    core.reading.wait_for_saves()
    saved = core.db.connection().execute("SELECT data FROM open_session").fetchone()[0]
    assert json.loads(saved)["pages_read"] == 1


def test_a_close_right_after_a_save_leaves_no_open_session_behind(core, book):
    open_book(core, book)
    for i in range(1, 11):
        turn(core, T0 + 61 * i, 10 + i)  # a save handed over on every turn
    assert core.finish_reading({"time": T0 + 700, "page": 21})["saved"]
    core.reading.wait_for_saves()
    assert open_state(core) == 0 and len(pending(core)) == 1
