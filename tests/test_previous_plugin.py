"""Switching from the previous BookLore plugin: its `booklore-sync.sqlite` (schema 21,
built from other-plugin-db.md) is kept byte for byte, its queues, cache and settings are
taken over in one go, the reader is told once, and nothing it uploaded is sent again."""

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from python_core.annotations import close_capture
from python_core.errors import StoreError
from python_core.facade import BookLoreSync
from python_core.history.previous_settings import our_settings
from python_core.store import Database
from tests import previous_plugin_fixture as previous
from tests.plugin_support import MANAGE, start_server

KEPT = "booklore-sync.previous-plugin.sqlite"


@pytest.fixture
def settings_dir(tmp_path):
    folder = tmp_path / "settings"
    folder.mkdir()
    previous.build(folder / "booklore-sync.sqlite")
    return folder


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows(core, sql, *args):
    return [tuple(row) for row in core.db.connection().execute(sql, args)]


def test_the_file_is_kept_byte_for_byte_under_a_clear_name(settings_dir):
    original = settings_dir / "booklore-sync.sqlite"
    before, mtime = digest(original), original.stat().st_mtime_ns
    with BookLoreSync(settings_dir):
        pass
    kept = settings_dir / KEPT
    assert digest(kept) == before and kept.stat().st_mtime_ns == mtime
    assert kept.stat().st_mode & 0o077 == 0
    assert digest(original) != before
    assert not [p.name for p in settings_dir.iterdir() if "adopt" in p.name]


def test_queued_sessions_keep_their_retry_counts_and_find_their_book(settings_dir):
    with BookLoreSync(settings_dir) as core:
        pending = rows(core, "SELECT book_hash, book_id, start_time, retry_count, pages_read "
                             "FROM pending_sessions ORDER BY start_time")
    assert pending == [
        (previous.HASH_A, 7, "2026-01-02T20:00:00Z", 3, 3),
        (previous.HASH_A, 7, "2026-01-03T20:00:00Z", 0, 3),
        (previous.HASH_A, 7, "2026-01-04T08:00:00Z", 0, 3),
        (previous.HASH_B, None, "2026-01-05T21:00:00Z", 0, 3)]


def test_uploaded_sessions_join_the_history_and_staged_ones_stay_behind(settings_dir):
    with BookLoreSync(settings_dir) as core:
        history = rows(core, "SELECT start_time, book_id FROM historical_sessions "
                             "ORDER BY start_time")
    assert history == [("2025-12-31T19:00:00Z", 7), ("2026-01-01T19:00:00Z", 7)]


def test_ratings_annotations_and_their_dedup_logs_are_taken_over(settings_dir):
    with BookLoreSync(settings_dir) as core:
        ratings = rows(core, "SELECT book_hash, book_id, rating, retry_count FROM pending_ratings "
                             "ORDER BY id")
        uploaded_rating = rows(core, "SELECT book_hash, rating FROM uploaded_ratings")
        notes = rows(core, "SELECT kind, destination, note, cfi, color, retry_count "
                           "FROM pending_annotations ORDER BY created")
        logged = rows(core, "SELECT created, kind, server_id FROM uploaded_annotations")
    assert ratings == [(previous.HASH_A, 7, 8, 2), (previous.HASH_B, None, 6, 0)]
    assert uploaded_rating == [(previous.HASH_HISTORY, 10)]
    assert notes == [
        ("highlight", "book", None, "epubcfi(/6/6!/4/4,/1:0,/1:9)", "#FFFF33", 1),
        ("note", "booklore", "Fear is the mind-killer", "epubcfi(/6/6!/4/4,/1:0,/1:9)",
         "#FFFF33", 1)]
    assert logged == [("2026-01-01 19:10:00", "highlight", 55)]


def test_book_cache_and_settings_are_taken_over_through_our_rules(settings_dir):
    with BookLoreSync(settings_dir) as core:
        cache = rows(core, "SELECT file_path, book_id, match_source FROM book_cache ORDER BY id")
        values = core.settings()
    assert [row[:2] for row in cache] == [
        ("/mnt/onboard/Books/Dune.epub", 7), ("/mnt/onboard/Books/Dune (copy).epub", 7),
        ("/mnt/onboard/Books/Unmatched.epub", None), (f"historical://{previous.HASH_HISTORY}", 9)]
    assert {row[2] for row in cache} == {"previous plugin"}
    assert {key: values[key] for key in (
        "server_url", "username", "koreader_key", "booklore_username", "booklore_password",
        "detection_mode", "min_duration", "min_pages", "manual_sync_only", "silent_mode",
        "notes_destination", "progress_decimals")} == {
        "server_url": "http://127.0.0.1:1", "username": "reader-ko",
        "koreader_key": hashlib.md5(b"012345").hexdigest(),  # their password, only as its key
        "booklore_username": "reader", "booklore_password": "secret-pass",
        "detection_mode": "pages", "min_duration": 45, "min_pages": 7,
        "manual_sync_only": True, "silent_mode": True, "notes_destination": "booklore",
        "progress_decimals": 2}


def test_the_reader_is_told_once_what_was_and_was_not_taken_over(settings_dir):
    with BookLoreSync(settings_dir) as core:
        [told] = core.take_notices()["notices"]
        assert core.take_notices()["notices"] == []
    assert told.startswith("Imported 4 sessions, 2 ratings and 2 annotations from the "
                           "previous BookLore plugin, with its 4 books, 2 uploaded sessions "
                           "and 11 settings. Its database is kept as " + KEPT + ".")
    assert ("Not taken over (they stay in that file): 1 queued session without a book "
            "fingerprint or valid times, 1 annotation, 1 bookmark and 1 setting.") in told
    assert "1 session it had read from KOReader's statistics" in told
    with BookLoreSync(settings_dir) as again:
        assert again.take_notices()["notices"] == []
        assert again.queue_counts()["sessions"] == 4


def test_sync_uploads_the_queue_and_never_what_was_uploaded_before(tmp_path, library):
    server, ids = start_server(library)
    try:
        folder = tmp_path / "settings"
        folder.mkdir()
        settings = {**previous.SETTINGS, "server_url": server.url, "manual_sync_only": "false",
                    "sync_mode": "automatic"}
        path = previous.build(folder / "booklore-sync.sqlite", settings=settings)
        with sqlite3.connect(path) as conn:  # point book 7 at a book the server has
            for table in ("pending_sessions", "book_cache", "pending_ratings",
                          "pending_annotations"):
                conn.execute(f"UPDATE {table} SET book_id = ? WHERE book_id = 7", (ids[0],))
        conn.close()
        with BookLoreSync(folder) as core:
            report = core.sync_pending(online=True)
            left = core.queue_counts()
        stored = sorted(s["startTime"] for s in server.sessions)
    finally:
        server.stop()
    assert report["ok"], report
    assert stored == ["2026-01-02T20:00:00Z", "2026-01-03T20:00:00Z", "2026-01-04T08:00:00Z"]
    assert left["sessions"] == 1  # the unmatched book's session waits for a match
    assert report["synced"] == {"sessions": 3, "annotations": 2, "ratings": 1}


def test_an_annotation_it_uploaded_is_not_uploaded_again_but_a_later_edit_is(settings_dir):
    entry = {"datetime": "2026-01-01 19:10:00", "drawer": "lighten", "text": "old words",
             "pos0": "/body/DocFragment[3]/body/p[1]/text().0",
             "pos1": "/body/DocFragment[3]/body/p[1]/text().9"}
    event = {"reason": "close", "book_hash": previous.HASH_A, "annotations": [entry]}
    with BookLoreSync(settings_dir) as core:
        current = core.settings()
        first = close_capture.capture(core.db, current, event, "2026-02-01T10:00:00Z")
        again = close_capture.capture(core.db, current, event, "2026-02-01T10:00:00Z")
        edited = {**event, "annotations": [{**entry, "text": "new words"}]}
        changed = close_capture.capture(core.db, current, edited, "2026-02-01T10:00:00Z")
    assert (first["annotations"], again["annotations"], changed["annotations"]) == (0, 0, 1)


def test_a_journal_left_by_a_crash_is_kept_and_rolled_back_only_in_a_scratch_copy(tmp_path):
    source = previous.build(tmp_path / "source.sqlite")
    conn = previous.connect(source)
    conn.execute("PRAGMA cache_size = 1")  # spill the uncommitted change into the main file
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO pending_sessions (book_hash, start_time, end_time, "
                     "duration_seconds, book_title) VALUES (?, ?, 'x', 1, ?)",
                     [(previous.HASH_A, f"2026-02-{n % 28 + 1:02d}T{n % 24:02d}:00:00Z",
                       "x" * 2000) for n in range(300)])
    folder = tmp_path / "settings"
    folder.mkdir()
    shutil.copyfile(source, folder / "booklore-sync.sqlite")  # the power cut, as it left it
    shutil.copyfile(f"{source}-journal", folder / "booklore-sync.sqlite-journal")
    conn.rollback()
    conn.close()
    torn = digest(folder / "booklore-sync.sqlite")
    with BookLoreSync(folder) as core:
        assert core.queue_counts()["sessions"] == 4
    assert digest(folder / KEPT) == torn
    assert (folder / f"{KEPT}-journal").stat().st_size > 0
    assert not (folder / "booklore-sync.sqlite-journal").exists()


def test_an_interrupted_adoption_leaves_the_file_and_the_next_start_finishes_it(
        settings_dir, monkeypatch):
    original = settings_dir / "booklore-sync.sqlite"
    before = digest(original)
    real_replace = os.replace

    def power_cut(source, target):
        if str(target) == str(original):
            raise OSError(28, "No space left on device")
        return real_replace(source, target)

    monkeypatch.setattr(os, "replace", power_cut)
    with pytest.raises(StoreError, match="left as it was"):
        BookLoreSync(settings_dir)
    assert digest(original) == before
    assert sorted(p.name for p in settings_dir.iterdir()) == [
        "booklore-sync.previous-plugin.sqlite", "booklore-sync.sqlite",
        "booklore-sync.sqlite-journal"]
    monkeypatch.setattr(os, "replace", real_replace)
    with BookLoreSync(settings_dir) as core:
        assert core.queue_counts()["sessions"] == 4
    assert sorted(p.name for p in settings_dir.iterdir()) == [
        "booklore-sync.previous-plugin.sqlite", "booklore-sync.sqlite"]


def test_a_second_previous_file_is_kept_beside_the_first_never_over_it(settings_dir, tmp_path):
    (settings_dir / KEPT).write_bytes(b"an older copy the reader kept")
    with BookLoreSync(settings_dir):
        pass
    assert (settings_dir / KEPT).read_bytes() == b"an older copy the reader kept"
    assert (settings_dir / "booklore-sync.previous-plugin-2.sqlite").exists()


@pytest.mark.parametrize("content", [b"not a database at all" * 100, None])
def test_a_database_we_do_not_know_is_left_untouched_and_reported(tmp_path, content):
    folder = tmp_path / "settings"
    folder.mkdir()
    path = folder / "booklore-sync.sqlite"
    if content is None:
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE books (title TEXT)")
        conn.close()
    else:
        path.write_bytes(content)
    before, mtime = digest(path), path.stat().st_mtime_ns
    with pytest.raises(StoreError, match="is not a BookLore Sync database.*left untouched"):
        BookLoreSync(folder)
    assert (digest(path), path.stat().st_mtime_ns) == (before, mtime)
    assert sorted(p.name for p in folder.iterdir()) == ["booklore-sync.sqlite"]


def test_the_command_line_says_so_in_one_sentence(tmp_path):
    folder = tmp_path / "settings"
    folder.mkdir()
    (folder / "booklore-sync.sqlite").write_bytes(b"junk" * 1000)
    done = subprocess.run([sys.executable, "-m", "python_core.cli", "--settings-dir",
                           str(folder), "status"], capture_output=True, text=True)
    assert done.returncode == 4 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "left untouched" in done.stderr


def test_the_command_line_tells_the_notice_once(settings_dir):
    command = [sys.executable, "-m", "python_core.cli", "--settings-dir", str(settings_dir),
               "status"]
    first = subprocess.run(command, capture_output=True, text=True)
    second = subprocess.run(command, capture_output=True, text=True)
    assert first.returncode == 0 and "from the previous BookLore plugin" in first.stderr
    assert "Sessions: 4" in first.stdout
    assert second.stderr == ""


def test_the_store_alone_refuses_the_previous_plugins_file(settings_dir):
    with pytest.raises(StoreError, match="previous BookLore plugin"):
        Database(settings_dir / "booklore-sync.sqlite")


def test_settings_mapping_reads_sync_mode_and_refuses_what_ours_cannot_hold():
    values, refused = our_settings([{"key": "sync_mode", "value": "manual"},
                                    {"key": "min_duration", "value": "thirty"},
                                    {"key": "notes_destination", "value": "both"},
                                    {"key": "server_url", "value": "ftp://nope"}])
    assert values == {"manual_sync_only": True, "notes_destination": "both"}
    assert sorted(refused) == ["min_duration", "server_url"]


@pytest.mark.host
def test_the_plugin_shows_what_it_took_over_once(settings_dir):
    from bridge import HeadlessHost
    with HeadlessHost(settings_dir) as host:
        host.run_until_idle()
        [shown] = [w["text"] for w in host.screen() if "previous BookLore plugin" in
                   (w.get("text") or "")]
        assert shown.startswith("Imported 4 sessions")
        entries = [child["text"] for child in host.menu(*MANAGE)["children"]]
        assert "Sync Pending Now (4s, 2a, 2r)" in entries
    with HeadlessHost(settings_dir) as host:
        host.run_until_idle()
        assert not [w for w in host.screen() if "previous BookLore plugin" in (w.get("text") or "")]
