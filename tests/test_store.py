"""The store layer on a real SQLite file: schema, migrations, durability, typed settings."""

import os
import sqlite3
import stat
import threading

import pytest

from python_core.errors import StoreError
from python_core.store import (
    Database,
    book_cache,
    config_tables,
    item_queues,
    schema,
    session_queue,
)
from python_core.store import db as db_module

HASH_A = "a" * 32
HASH_B = "b" * 32
NOW = "2026-11-21T10:00:00Z"


@pytest.fixture
def db(tmp_path):
    database = Database.in_settings_dir(tmp_path)
    yield database
    database.close()


def session_row(book_hash=HASH_A, start="2026-11-20T10:00:00Z", book_id=None, **extra):
    row = {"book_id": book_id, "book_hash": book_hash, "book_type": "EPUB", "title": "T",
           "start_time": start, "end_time": "2026-11-20T10:30:00Z", "duration_seconds": 1800,
           "start_progress": 10.0, "end_progress": 12.5, "start_location": "10",
           "end_location": "14", "pages_read": 4, "created_at": NOW}
    row.update(extra)
    return row


def test_database_file_is_created_owner_only(tmp_path):
    Database.in_settings_dir(tmp_path).close()
    mode = stat.S_IMODE(os.stat(tmp_path / "booklore-sync.sqlite").st_mode)
    assert mode == 0o600


def test_wal_with_full_sync_so_a_commit_survives_power_loss(db):
    conn = db.connection()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_schema_version_recorded(db):
    assert db.connection().execute("PRAGMA user_version").fetchone()[0] == schema.LATEST_VERSION


def test_seed_queries_run_unchanged(db):
    with db.atomic() as tx:
        session_queue.insert(tx, session_row())
    conn = db.connection()
    rows = conn.execute(
        "SELECT id, retry_count, book_id, duration_seconds FROM pending_sessions;").fetchall()
    assert [tuple(r) for r in rows] == [(1, 0, None, 1800)]
    rows = conn.execute("SELECT id, book_hash, duration_seconds, retry_count, created_at "
                        "FROM pending_sessions;").fetchall()
    assert [tuple(r) for r in rows] == [(1, HASH_A, 1800, 0, NOW)]


def test_reopening_keeps_data_and_does_not_migrate_again(tmp_path):
    first = Database.in_settings_dir(tmp_path)
    with first.atomic() as tx:
        session_queue.insert(tx, session_row())
    first.close()
    second = Database.in_settings_dir(tmp_path)
    assert item_queues.counts(second.connection())["sessions"] == 1
    assert not list(tmp_path.glob("*.bkp.*"))
    second.close()


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "booklore-sync.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {schema.LATEST_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer BookLore Sync"):
        Database(path)


def test_failed_migration_leaves_version_and_tables_unchanged(tmp_path, monkeypatch):
    path = tmp_path / "booklore-sync.sqlite"
    Database(path).close()  # an existing database at today's schema
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS + [
        schema.Migration("broken", ["CREATE TABLE extra (x)", "THIS IS NOT SQL"])])
    monkeypatch.setattr(schema, "LATEST_VERSION", len(schema.MIGRATIONS))
    with pytest.raises(sqlite3.OperationalError):
        Database(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST_VERSION - 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "extra" not in tables and "pending_sessions" in tables
    conn.close()


def test_a_new_database_is_built_in_one_transaction_or_not_at_all(tmp_path, monkeypatch):
    path = tmp_path / "booklore-sync.sqlite"
    commits = []
    real_connect = sqlite3.connect

    def counting(*args, **kwargs):
        conn = real_connect(*args, **kwargs)
        conn.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
        return conn
    monkeypatch.setattr(db_module.sqlite3, "connect", counting)
    Database(path).close()
    assert len(commits) == 1  # every migration, one fsync
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS + [
        schema.Migration("broken", ["CREATE TABLE extra (x)", "THIS IS NOT SQL"])])
    monkeypatch.setattr(schema, "LATEST_VERSION", len(schema.MIGRATIONS))
    fresh = tmp_path / "other" / "booklore-sync.sqlite"
    fresh.parent.mkdir()
    with pytest.raises(sqlite3.OperationalError):
        Database(fresh)
    conn = real_connect(fresh)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0] == 0
    conn.close()


def test_migrating_existing_data_writes_a_backup_first(tmp_path, monkeypatch):
    Database.in_settings_dir(tmp_path).close()
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS + [
        schema.Migration("add column", ["ALTER TABLE book_cache ADD COLUMN series TEXT"])])
    monkeypatch.setattr(schema, "LATEST_VERSION", len(schema.MIGRATIONS))
    Database.in_settings_dir(tmp_path).close()
    backup = tmp_path / f"booklore-sync.sqlite.bkp.v{schema.LATEST_VERSION - 1}"
    assert backup.exists()
    assert sqlite3.connect(backup).execute("PRAGMA user_version").fetchone()[0] == \
        schema.LATEST_VERSION - 1


def test_a_migration_can_move_data_with_python(tmp_path, monkeypatch):
    with Database.in_settings_dir(tmp_path) as db:
        with db.atomic() as tx:
            session_queue.insert(tx, session_row())

    def upper_case_types(conn):
        for row in conn.execute("SELECT id, book_type FROM pending_sessions").fetchall():
            conn.execute("UPDATE pending_sessions SET book_type = ? WHERE id = ?",
                         (row["book_type"].lower(), row["id"]))

    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS + [
        schema.Migration("lower-case book types", upper_case_types)])
    monkeypatch.setattr(schema, "LATEST_VERSION", len(schema.MIGRATIONS))
    with Database.in_settings_dir(tmp_path) as db:
        conn = db.connection()
        assert conn.execute("SELECT book_type FROM pending_sessions").fetchone()[0] == "epub"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST_VERSION


def test_a_failed_commit_rolls_back_and_the_next_transaction_works(tmp_path, monkeypatch):
    """Without WAL a reader's shared lock makes COMMIT fail; the connection must not stay
    inside the dead transaction (review-2026-12.md §3)."""
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_SECONDS", 0.2)
    with Database.in_settings_dir(tmp_path) as db:
        db.connection().execute("PRAGMA journal_mode=DELETE").fetchall()  # read: PyPy
        reader = sqlite3.connect(db.path, isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM pending_sessions").fetchone()  # SHARED lock held
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            with db.atomic() as tx:
                session_queue.insert(tx, session_row())
        assert not db.connection().in_transaction
        reader.execute("ROLLBACK")
        reader.close()
        with db.atomic() as tx:
            session_queue.insert(tx, session_row())
        assert item_queues.counts(db.connection())["sessions"] == 1


def test_atomic_rolls_back_on_error(db):
    with pytest.raises(RuntimeError):
        with db.atomic() as tx:
            session_queue.insert(tx, session_row())
            raise RuntimeError("boom")
    assert item_queues.counts(db.connection())["sessions"] == 0


def test_nested_atomic_joins_the_outer_transaction(db):
    with pytest.raises(RuntimeError):
        with db.atomic():
            with db.atomic() as inner:
                session_queue.insert(inner, session_row())
            raise RuntimeError("outer fails")
    assert item_queues.counts(db.connection())["sessions"] == 0


def test_empty_or_short_hash_is_refused_by_the_schema(db):
    with pytest.raises(sqlite3.IntegrityError):
        with db.atomic() as tx:
            session_queue.insert(tx, session_row(book_hash=""))


def test_same_session_twice_is_queued_once(db):
    with db.atomic() as tx:
        assert session_queue.insert(tx, session_row())
        assert not session_queue.insert(tx, session_row())


def test_session_already_uploaded_is_not_queued_again(db):
    with db.atomic() as tx:
        session_queue.insert(tx, session_row(book_id=7))
        session_queue.move_to_history(tx, [1], NOW)
        assert not session_queue.insert(tx, session_row(book_id=7))
    assert item_queues.counts(db.connection())["sessions"] == 0


def test_move_to_history_is_copy_and_delete_together(db):
    with db.atomic() as tx:
        for minute in range(3):
            session_queue.insert(tx, session_row(start=f"2026-11-20T10:0{minute}:00Z", book_id=1))
    with db.atomic() as tx:
        assert session_queue.move_to_history(tx, [1, 2], NOW) == 2
    conn = db.connection()
    assert [r[0] for r in conn.execute("SELECT pending_id FROM historical_sessions")] == [1, 2]
    assert [r[0] for r in conn.execute("SELECT id FROM pending_sessions")] == [3]


def test_stale_sending_rows_are_released_as_unconfirmed(db):
    with db.atomic() as tx:
        session_queue.insert(tx, session_row())
        session_queue.insert(tx, session_row(start="2026-11-20T12:00:00Z"))
        session_queue.mark_sending(tx, [1], NOW)
    with db.atomic() as tx:
        assert session_queue.release_stale_sends(tx) == 1
    conn = db.connection()
    rows = conn.execute("SELECT unconfirmed_sends FROM pending_sessions ORDER BY id").fetchall()
    assert [r[0] for r in rows] == [1, 0]
    assert conn.execute("SELECT count(*) FROM sending_batches").fetchone()[0] == 0


def test_every_end_of_an_attempt_removes_its_sending_marker(db):
    with db.atomic() as tx:
        for minute in range(3):
            session_queue.insert(tx, session_row(start=f"2026-11-20T10:0{minute}:00Z"))
        session_queue.mark_sending(tx, [1], NOW)
        session_queue.mark_sending(tx, [2], NOW)
        session_queue.mark_sending(tx, [3], NOW)
        session_queue.move_to_history(tx, [1], NOW)
        session_queue.record_failure(tx, [2], "500", unconfirmed=False)
        session_queue.release(tx, [3])
    assert db.connection().execute("SELECT count(*) FROM sending_batches").fetchone()[0] == 0


def test_clear_cache_leaves_every_queue_and_history(db, tmp_path):
    with db.atomic() as tx:
        book_cache.remember_file(tx, {"file_path": str(tmp_path / "a.epub"), "book_hash": HASH_A,
                                      "book_id": 5}, NOW)
        session_queue.insert(tx, session_row(book_id=5))
        session_queue.insert(tx, session_row(start="2026-11-19T10:00:00Z", book_id=5))
        session_queue.move_to_history(tx, [2], NOW)
        item_queues.queue_rating(tx, HASH_A, 5, 8, NOW)
    with db.atomic() as tx:
        assert book_cache.clear(tx) == 1
    conn = db.connection()
    assert item_queues.counts(conn) == {"sessions": 1, "annotations": 0, "ratings": 1}
    assert conn.execute("SELECT count(*) FROM historical_sessions").fetchone()[0] == 1
    assert book_cache.counts(conn) == {"total": 0, "matched": 0, "unmatched": 0}


def test_clear_pending_of_one_kind_keeps_the_others(db):
    with db.atomic() as tx:
        session_queue.insert(tx, session_row())
        item_queues.queue_rating(tx, HASH_A, None, 8, NOW)
    with db.atomic() as tx:
        assert item_queues.clear(tx, ["sessions"]) == {"sessions": 1}
    assert item_queues.counts(db.connection()) == {"sessions": 0, "annotations": 0, "ratings": 1}


def test_book_cache_upsert_keeps_its_row_id(db, tmp_path):
    entry = {"file_path": str(tmp_path / "a.epub"), "book_hash": HASH_A, "title": "Old"}
    with db.atomic() as tx:
        book_cache.remember_file(tx, entry, NOW)
        book_cache.set_book_id(tx, HASH_A, 9, "hash", NOW)
        book_cache.remember_file(tx, {**entry, "title": "New"}, NOW)
    rows = db.connection().execute("SELECT id, title, book_id FROM book_cache").fetchall()
    assert [tuple(r) for r in rows] == [(1, "New", 9)]


def test_moved_file_takes_over_its_old_row(db, tmp_path):
    old, new = tmp_path / "old.epub", tmp_path / "moved" / "new.epub"
    with db.atomic() as tx:
        book_cache.remember_file(tx, {"file_path": str(old), "book_hash": HASH_A, "book_id": 3},
                                 NOW)
        book_cache.remember_file(tx, {"file_path": str(new), "book_hash": HASH_A}, NOW)
    rows = db.connection().execute("SELECT id, file_path, book_id FROM book_cache").fetchall()
    assert [tuple(r) for r in rows] == [(1, str(new), 3)]


def test_a_copy_that_still_exists_gets_its_own_row_sharing_the_match(db, tmp_path):
    first, second = tmp_path / "a.epub", tmp_path / "b.epub"
    first.write_bytes(b"x")
    with db.atomic() as tx:
        book_cache.remember_file(tx, {"file_path": str(first), "book_hash": HASH_A, "book_id": 3},
                                 NOW)
        book_cache.remember_file(tx, {"file_path": str(second), "book_hash": HASH_A}, NOW)
    conn = db.connection()
    assert [r[0] for r in conn.execute("SELECT book_id FROM book_cache ORDER BY id")] == [3, 3]
    assert book_cache.counts(conn) == {"total": 1, "matched": 1, "unmatched": 0}


def test_assign_book_id_fills_every_queue_for_that_fingerprint(db):
    with db.atomic() as tx:
        session_queue.insert(tx, session_row())
        session_queue.insert(tx, session_row(book_hash=HASH_B))
        item_queues.queue_rating(tx, HASH_A, None, 6, NOW)
        item_queues.assign_book_id(tx, HASH_A, 42)
    conn = db.connection()
    assert item_queues.unresolved_hashes(conn) == [HASH_B]
    assert conn.execute("SELECT book_id FROM pending_ratings").fetchone()[0] == 42


def test_newer_rating_replaces_the_queued_one_in_place(db):
    with db.atomic() as tx:
        item_queues.queue_rating(tx, HASH_A, None, 6, NOW)
        item_queues.queue_rating(tx, HASH_A, None, 8, NOW)
    rows = db.connection().execute("SELECT id, rating FROM pending_ratings").fetchall()
    assert [tuple(r) for r in rows] == [(1, 8)]


@pytest.mark.parametrize("value", ["012345", "pässwörd ✓", "", "true", "1.0"])
def test_settings_read_back_with_their_type(db, value):
    with db.atomic() as tx:
        config_tables.set_setting(tx, "password", value)
        config_tables.set_setting(tx, "min_duration", 45)
        config_tables.set_setting(tx, "silent_mode", True)
        config_tables.set_setting(tx, "read_timeout", 12.5)
    conn = db.connection()
    assert config_tables.get_setting(conn, "password") == value
    assert config_tables.get_setting(conn, "min_duration") == 45
    assert config_tables.get_setting(conn, "silent_mode") is True
    assert config_tables.get_setting(conn, "read_timeout") == 12.5


def test_writers_on_two_threads_both_succeed(db):
    errors = []

    def write(offset):
        try:
            for i in range(50):
                with db.atomic() as tx:
                    session_queue.insert(tx, session_row(start=f"2026-01-01T00:{offset + i:02d}:00Z"
                                                         if offset + i < 60 else
                                                         f"2026-01-02T00:{offset + i - 60:02d}:00Z"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
    threads = [threading.Thread(target=write, args=(n,)) for n in (0, 50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert item_queues.counts(db.connection())["sessions"] == 100


def _hold_write_lock(path):
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_a_writer_waits_for_the_lock_and_takes_it_once_it_is_free(db):
    """Waiting for the write lock polls every half millisecond instead of SQLite's
    growing sleeps; the connection's busy timeout is what it was afterwards."""
    holder = _hold_write_lock(db.path)
    released = threading.Timer(0.05, lambda: holder.execute("COMMIT"))
    released.start()
    try:
        with db.atomic() as tx:
            tx.execute("INSERT INTO settings (key, type, value) VALUES ('waited', 'str', '1')")
    finally:
        released.join()
        holder.close()
    assert db.connection().execute("SELECT value FROM settings WHERE key = 'waited'").fetchone()
    assert db.connection().execute("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_a_writer_gives_up_after_the_busy_timeout(db):
    db.connection().execute("PRAGMA busy_timeout=50")
    holder = _hold_write_lock(db.path)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            with db.atomic():
                pass
    finally:
        holder.close()
    assert not db.connection().in_transaction
    assert db.connection().execute("PRAGMA busy_timeout").fetchone()[0] == 50
