"""The use-case facade: plain results, never exceptions, settings that keep their types."""

import hashlib

import pytest

from python_core.facade import BookLoreSync

T0 = 1_767_225_600


@pytest.fixture
def book(tmp_path):
    path = tmp_path / "Émile – «test».epub"
    path.write_bytes(b"epub bytes " * 300)
    return path


def read(core, book, **extra):
    data = {"file_path": str(book), "title": "Title with 'quotes'; DROP TABLE x;--",
            "authors": ["A", "B"], "start_time": T0, "end_time": T0 + 300, "pages_read": 10,
            "start_progress": 12.3456789, "end_progress": 15.5, "start_location": 41,
            "end_location": 48}
    data.update(extra)
    return core.record_session(data)


def test_valid_session_is_queued_with_its_fingerprint_and_times(core, book):
    result = read(core, book)
    assert result["ok"] and result["saved"]
    row = core.db.connection().execute("SELECT * FROM pending_sessions").fetchone()
    assert row["book_hash"] == result["book_hash"] and len(row["book_hash"]) == 32
    assert (row["start_time"], row["end_time"]) == ("2026-01-01T00:00:00Z",
                                                     "2026-01-01T00:05:00Z")
    assert row["duration_seconds"] == 300 and row["start_progress"] == 12.3456789
    assert (row["start_location"], row["end_location"]) == ("41", "48")
    assert row["book_type"] == "EPUB" and row["title"].startswith("Title with 'quotes'")


def test_session_also_registers_the_book_in_the_cache(core, book):
    read(core, book)
    details = core.view_details()
    assert details["cache"] == {"total": 1, "matched": 0, "unmatched": 1}
    assert "Unmatched: 1" in details["text"] and "Sessions: 1" in details["text"]


def test_too_short_session_is_discarded_with_the_known_text(core, book):
    result = read(core, book, end_time=T0 + 10)
    assert result["ok"] and not result["saved"]
    assert result["message"] == "Session not saved: criteria not met"
    assert core.queue_counts()["sessions"] == 0


def test_silent_mode_discards_without_a_message(core, book):
    core.set_setting("silent_mode", True)
    assert read(core, book, end_time=T0 + 10)["message"] is None


def test_tracking_off_saves_nothing_and_says_nothing(core, book):
    core.set_setting("tracking_enabled", False)
    result = read(core, book)
    assert not result["saved"] and result["message"] is None
    assert core.queue_counts()["sessions"] == 0


def test_vanished_book_file_gives_a_clear_message_and_no_row(core, tmp_path):
    result = read(core, tmp_path / "gone.epub")
    assert not result["ok"] and result["message"].startswith("Book file not found")
    assert core.queue_counts()["sessions"] == 0


def test_same_session_recorded_twice_is_queued_once(core, book):
    assert read(core, book)["saved"]
    second = read(core, book)
    assert second["ok"] and not second["saved"] and second["reason"] == "already recorded"


def test_book_id_known_from_the_cache_is_used(core, book):
    opened = core.record_book({"file_path": str(book)})
    core.db.connection().execute("UPDATE book_cache SET book_id = 99")
    assert read(core, book)["book_id"] == 99
    assert opened["book_id"] is None


def test_settings_survive_reopening_with_their_types(tmp_path):
    first = BookLoreSync(tmp_path)
    first.set_setting("password", "012345")
    first.set_setting("min_duration", "45")
    first.set_setting("manual_sync_only", True)
    first.close()
    second = BookLoreSync(tmp_path)
    values = second.settings()
    assert values["koreader_key"] == hashlib.md5(b"012345").hexdigest()
    assert values["min_duration"] == 45
    assert values["manual_sync_only"] is True
    assert second.get_settings()["settings"]["password"] == "(set)"
    second.close()


def test_bad_setting_is_a_result_not_an_exception(core):
    result = core.set_setting("server_url", "books.example.org")
    assert not result["ok"] and "must start with http" in result["message"]


def test_changing_the_booklore_password_forgets_a_refused_login(core):
    from python_core.server.token_store import DatabaseTokenStore
    core.set_setting("server_url", "https://b.example.org")
    core.set_setting("booklore_username", "reader")
    store = DatabaseTokenStore(core.db, "https://b.example.org", "reader")
    store.block_login("Invalid credentials")
    assert store.login_blocked()
    core.set_setting("booklore_password", "new")
    assert store.login_blocked() is None


def test_unexpected_error_is_logged_and_returned(core, monkeypatch, caplog):
    from python_core.store import item_queues
    monkeypatch.setattr(item_queues, "counts", lambda conn: 1 / 0)
    result = core.queue_counts()
    assert result == {"ok": False, "message": "Internal error in queue_counts: ZeroDivisionError"}
    assert "Traceback" in caplog.text


def test_queue_counts_for_labels(core, book):
    read(core, book)
    counts = core.queue_counts()
    assert (counts["sessions"], counts["annotations"], counts["ratings"]) == (1, 0, 0)
    assert counts["cache"]["unmatched"] == 1
