"""A damaged database under the plugin: reading goes on being recorded (into the side
database), the reader is told once, the damaged file is not written to again, no call
raises or answers "Internal error", and Settings → Repair database brings everything back
together: what could be saved from the damaged file and what was read meanwhile.

Through the facade as the plugin's hosts create it (`keep_recording=True`), and through
the real plugin in the headless host against the bundled server.
"""

from __future__ import annotations

import json
import re

import pytest

from python_core.clock import iso_utc
from python_core.facade import BookLoreSync
from python_core.store import DB_FILENAME
from python_core.store.side_database import SIDE_FILENAME
from tests.plugin_support import configure, read_book
from tests.reliability.damage import (
    FILE_DAMAGE,
    MID_FILE_DAMAGE,
    PAGE,
    T0,
    digest,
    populated,
    session,
    write_damaged,
)

SETTINGS = ("BookLore Sync", "Settings")


@pytest.fixture
def book(tmp_path):
    path = tmp_path / "a book.epub"
    path.write_bytes(bytes(range(256)) * 400)
    return path


@pytest.fixture(scope="module")
def healthy(tmp_path_factory) -> bytes:
    return populated(tmp_path_factory.mktemp("healthy"))


def new_session(n: int) -> dict:
    return {**session(10_000 + n, book_id=3), "start_time": T0 + 10_000_000 + n * 3600,
            "end_time": T0 + 10_000_000 + n * 3600 + 600}


def every_quick_call(core: BookLoreSync, book) -> list[dict]:
    return [core.queue_counts(), core.view_details(), core.get_settings(),
            core.set_setting("silent_mode", True), core.clear_cache(),
            core.start_reading({"file_path": str(book), "time": T0, "page": 1}),
            core.page_turned({"time": T0 + 30, "page": 2}),
            core.finish_reading({"time": T0 + 60, "page": 2}), core.next_unmatched_book(),
            core.sync_pending(), core.database_status()]


@pytest.mark.parametrize("damage", ["truncated to half", "truncated to one page",
                                    "garbage after the header page", "a text file"])
def test_reading_goes_on_into_the_side_database_and_the_reader_is_told_once(tmp_path, healthy,
                                                                           damage, book):
    folder = tmp_path / "settings"
    path = write_damaged(folder, {**FILE_DAMAGE, **MID_FILE_DAMAGE}[damage](healthy))
    before = digest(path)
    with BookLoreSync(folder, keep_recording=True) as core:
        answers = every_quick_call(core, book)
        assert all(isinstance(a, dict) and "Internal error" not in json.dumps(a)
                   for a in answers)
        assert core.database_status()["state"] == "side"
        assert core.record_session(new_session(1))["saved"]
        notices = core.take_notices()["notices"]
        assert len([n for n in notices if "is damaged" in n or "not a BookLore" in n]) == 1
        assert core.take_notices()["notices"] == []
        # seeded from what could be read (the plugin test below needs, and checks, more)
        assert core.get_settings()["settings"]["min_pages"] in (5, 7)
    assert digest(path) == before  # never written to
    with BookLoreSync(folder, keep_recording=True) as core:  # a restart stays on the side
        assert core.database_status()["state"] == "side"
        assert core.take_notices()["notices"] == []  # told once, not at every start
        assert core.queue_counts()["sessions"] == 2  # the session read above, and one more
    assert digest(path) == before


@pytest.mark.parametrize("damage", list(MID_FILE_DAMAGE))
def test_damage_found_in_the_middle_of_a_call_is_left_for_the_side(tmp_path, healthy, server,
                                                                  damage):
    """The file opens (its first pages are fine) and works until a call reads a broken
    page: a sync draining the queue. That call is done again on the side database, and
    everything after it goes there."""
    folder = tmp_path / "settings"
    path = write_damaged(folder, MID_FILE_DAMAGE[damage](healthy))
    with BookLoreSync(folder, keep_recording=True) as core:
        assert core.set_setting("server_url", server.url)["ok"]  # found nothing amiss yet
        assert core.database_status()["state"] == "ok"
        result = core.sync_pending()  # reads every queued row: hits the damage
        assert result["ok"] and result["status"] in ("nothing", "done"), result
        assert core.database_status()["state"] == "side"
        saved = core.record_session(new_session(2))
        assert saved["ok"] and saved["saved"]
    assert (folder / SIDE_FILENAME).exists() and path.exists()


def test_repair_takes_in_what_was_read_meanwhile(tmp_path, healthy):
    folder = tmp_path / "settings"
    path = write_damaged(folder, FILE_DAMAGE["truncated to half"](healthy))
    damaged_bytes = path.read_bytes()
    with BookLoreSync(folder, keep_recording=True) as core:
        assert core.database_status()["state"] == "side"
        for n in range(3):
            assert core.record_session(new_session(n))["saved"]
        core.set_setting("min_pages", 9)
        repaired = core.repair_database()
        assert repaired["ok"] and repaired["state"] == "repaired", repaired
        assert "Taken in from the side database: 3 reading sessions" in repaired["summary"]
        assert core.database_status() == {"ok": True, "state": "ok", "damaged": False,
                                          "message": None}
        counts = core.queue_counts()
        saved = int(re.search(r"Saved into a new database: (\d+) reading sessions",
                              repaired["summary"]).group(1))
        assert saved > 300 and counts["sessions"] == saved + 3  # half a file's, and the new
        assert core.get_settings()["settings"]["min_pages"] == 9  # the newer value wins
        assert core.record_session(new_session(3))["saved"]  # and it runs on the new file
    assert not (folder / SIDE_FILENAME).exists()
    [kept] = [p for p in folder.iterdir() if p.name.startswith("booklore-sync.damaged-")]
    assert kept.read_bytes() == damaged_bytes
    with BookLoreSync(folder) as core:
        assert core.queue_counts()["sessions"] == counts["sessions"] + 1


def test_a_batch_being_sent_from_the_side_keeps_counting_as_unconfirmed(tmp_path, healthy):
    folder = tmp_path / "settings"
    write_damaged(folder, FILE_DAMAGE["truncated to half"](healthy))
    with BookLoreSync(folder, keep_recording=True) as core:
        assert core.database_status()["state"] == "side"
        assert core.record_session(new_session(7))["saved"]
        with core.db.atomic() as tx:  # as a sync killed mid-request leaves it
            tx.execute("INSERT INTO sending_batches (session_ids, started_at) VALUES ('[1]', 'x')")
        assert core.repair_database()["ok"]
        row = core.db.connection().execute(
            "SELECT id FROM pending_sessions WHERE start_time = ?",
            (iso_utc(new_session(7)["start_time"]),)).fetchone()
        markers = [json.loads(r[0]) for r in core.db.connection().execute(
            "SELECT session_ids FROM sending_batches")]
    assert row is not None and [row[0]] in markers


def test_with_no_usable_folder_every_call_answers_with_the_sentence(tmp_path, book):
    blocker = tmp_path / "settings"
    blocker.write_text("a file where KOReader's settings folder should be")
    with BookLoreSync(blocker, keep_recording=True) as core:
        answers = every_quick_call(core, book)[:-1]
        assert all(not a["ok"] and "is a file, not a folder" in a["message"] for a in answers)
        assert core.take_notices()["notices"][0].startswith("The settings folder cannot be used")
        assert core.take_notices()["notices"] == []
        assert core.database_status()["state"] == "none"
        assert not core.repair_database()["ok"]
    assert blocker.read_text().startswith("a file")


@pytest.mark.host
def test_the_plugin_records_tells_once_and_repairs_from_settings(tmp_path, healthy, server,
                                                                 library):
    from bridge import HeadlessHost
    folder = tmp_path / "settings"
    configure(folder, server.url)
    with BookLoreSync(folder) as core:  # the reader's queue, then the card fails
        for n in range(200):
            assert core.record_session(session(n))["saved"]
    data = (folder / DB_FILENAME).read_bytes()
    (folder / DB_FILENAME).write_bytes(data[: len(data) - 4 * PAGE])  # its tail lost
    damaged = digest(folder / DB_FILENAME)
    with HeadlessHost(folder, online=True) as host:
        host.run_until_idle()
        told = [w["text"] for w in host.screen() if "is damaged" in (w.get("text") or "")]
        assert len(told) == 1 and SIDE_FILENAME in told[0]
        host.dismiss()
        read_book(host, library[0])
        host.run_until_idle()
        assert not [t for t in host.toasts if "Internal error" in t or "Traceback" in t]
        assert len(server.sessions) == 1  # read while damaged, synced from the side file
        entry = host.menu_entry(*SETTINGS, "Repair database")
        assert entry["enabled"]
        host.tap_menu(*SETTINGS, "Repair database")
        assert host.tap_button("Repair")
        host.run_until_idle()
        [summary] = [w["text"] for w in host.screen() if "Saved into a new database" in
                     (w.get("text") or "")]
        assert "The damaged file is kept beside it as booklore-sync.damaged-" in summary
        host.dismiss()
        assert "Repair database" not in [c["text"] for c in host.menu(*SETTINGS)["children"]]
    assert not (folder / SIDE_FILENAME).exists()
    [kept] = [p for p in folder.iterdir() if p.name.startswith("booklore-sync.damaged-")]
    assert digest(kept) == damaged
    with HeadlessHost(folder) as host:  # nothing more to tell
        host.run_until_idle()
        assert not [w for w in host.screen() if "damaged" in (w.get("text") or "")]


def unique_keys(conn, table: str) -> set[tuple[str, ...]]:
    """The column tuples a table's rows are unique on: its primary key (an INTEGER PRIMARY
    KEY has no index of its own) and every unique index."""
    columns = conn.execute(f"PRAGMA table_info({table})").fetchall()
    keys = {tuple(c[1] for c in sorted((c for c in columns if c[5]), key=lambda c: c[5]))}
    for index in conn.execute(f"PRAGMA index_list({table})").fetchall():
        if index[2]:  # unique (a UNIQUE constraint or a non-integer PRIMARY KEY)
            keys.add(tuple(row[2] for row in conn.execute(f"PRAGMA index_info({index[1]})")))
    return keys


def test_each_table_the_side_wins_in_is_merged_on_its_one_natural_key(tmp_path):
    """An upsert names one conflict target: a second unique key would make the merge
    raise where INSERT OR REPLACE silently deleted a second row."""
    from python_core.store import Database
    from python_core.store.side_database import NEWER_WINS
    db = Database(tmp_path / DB_FILENAME)
    try:
        for table, key in NEWER_WINS.items():
            # `id` is never merged (each file numbers its own rows), so it never clashes.
            assert unique_keys(db.connection(), table) - {("id",)} == {key}, table
    finally:
        db.close()


def test_a_book_the_side_database_knows_better_keeps_its_row_and_id(tmp_path):
    """Lessons #2: the repaired file's book row is updated in place, never replaced."""
    from python_core.store import Database
    from python_core.store.side_database import merge_into
    now = iso_utc(T0)
    insert = ("INSERT INTO book_cache (file_path, book_hash, book_id, title, created_at, "
              "updated_at) VALUES (?, ?, ?, ?, ?, ?)")
    target, side = Database(tmp_path / "target.sqlite"), Database(tmp_path / "side.sqlite")
    try:
        with target.atomic() as tx:
            for n in range(5):  # the book's row is not the first: its id is not 1
                tx.execute(insert, (f"/books/{n}.epub", f"{n:032x}", None, f"Book {n}", now, now))
        [(kept_id,)] = target.connection().execute(
            "SELECT id FROM book_cache WHERE file_path = '/books/3.epub'").fetchall()
        with side.atomic() as tx:  # matched while the damaged file was away
            tx.execute(insert, ("/books/3.epub", f"{3:032x}", 42, "Book 3", now, now))
        with target.atomic() as tx:
            assert merge_into(tmp_path / "side.sqlite", tx)["book_cache"] == 1
        rows = target.connection().execute(
            "SELECT id, book_id FROM book_cache WHERE file_path = '/books/3.epub'").fetchall()
        assert [tuple(r) for r in rows] == [(kept_id, 42)]
        assert target.connection().execute("SELECT count(*) FROM book_cache").fetchone()[0] == 5
    finally:
        target.close()
        side.close()
