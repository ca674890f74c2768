"""Page bookmarks from KOReader to BookLore's bookmarks (booklore-api.md §2.14), through the
real plugin and core in the headless host, against the bundled server: off by default,
placed by CFI like the highlights, counted with the annotations in the seed's labels, a
409 at the same place taken as already there."""

import sqlite3

import pytest

from python_core.annotations.items import bookmark_item, bookmark_title, is_bookmark
from python_core.facade import BookLoreSync
from tests import test_plugin_annotations as annotated
from tests.plugin_support import MANAGE, labels
from tests.small_epub import PASSAGES, text_at
from tests.test_plugin_annotations import HIGHLIGHTS, close_book, pending

ISHMAEL = PASSAGES["ishmael"][0]
# The small EPUB, the server that has it, the configured folder and the host, as there.
epub = pytest.fixture(annotated.epub.__wrapped__)
server = pytest.fixture(annotated.server.__wrapped__)
settings = pytest.fixture(annotated.settings.__wrapped__)
host = pytest.fixture(annotated.host.__wrapped__)
BOOK = {"book_hash": "b" * 32, "book_id": None}


def bookmark(created, page=ISHMAEL, **fields):
    """A KOReader page bookmark as ui.annotation keeps it: no drawer, the page's xpointer."""
    return {"datetime": created, "page": page, "text": "in Chapter Two",
            "chapter": "Chapter Two", "pageno": 7, **fields}


def turn_bookmarks_on(settings):
    with BookLoreSync(settings) as core:
        assert core.set_setting("bookmark_sync", True)["ok"]


def test_an_entry_without_a_drawer_is_a_bookmark_with_its_place_and_a_title():
    item = bookmark_item(bookmark("2026-01-02 09:00:00"), BOOK, "now")
    assert is_bookmark(bookmark("x")) and not is_bookmark(HIGHLIGHTS[0])
    assert (item["kind"], item["pos0"], item["page"]) == ("bookmark", ISHMAEL, "7")
    assert bookmark_title(item) == "Chapter Two · page 7"
    assert bookmark_title({**item, "note": "Come back here"}) == "Come back here"
    assert bookmark_title({**item, "chapter": None, "page": None}) == "Bookmark"


@pytest.mark.parametrize("entry", [
    bookmark(None), bookmark("2026-01-02 09:00:00", page=12),  # no time; a PDF page number
    HIGHLIGHTS[0],
])
def test_what_is_not_a_placeable_bookmark_gives_none(entry):
    assert bookmark_item(entry, BOOK, "now") is None


def test_bookmarks_are_off_by_default(host, settings, epub, server):
    close_book(host, epub, annotations=[bookmark("2026-01-02 09:00:00")])
    assert pending(settings, "pending_annotations") == []
    assert host.menu("BookLore Sync", "Settings", "Ratings and annotations",
                     "Sync bookmarks (EPUB)")["checked"] is False


def test_a_bookmark_reaches_booklore_at_its_cfi_and_counts_as_an_annotation(
        host, settings, epub, server):
    host.tap_menu("BookLore Sync", "Settings", "Ratings and annotations", "Sync bookmarks (EPUB)")
    host.set_online(False)
    close_book(host, epub, annotations=[bookmark("2026-01-02 09:00:00"), HIGHLIGHTS[0]])
    [marked, highlight] = sorted(pending(settings, "pending_annotations"),
                                 key=lambda row: row["kind"])
    assert marked["kind"] == "bookmark" and highlight["kind"] == "highlight"
    menu = labels(host, *MANAGE)
    assert "Sync Pending Now (0s, 2a, 0r)" in menu
    host.tap_menu(*MANAGE, "View Details")
    assert "  Annotations: 2" in host.screen()[-1]["text"]
    host.dismiss()
    host.set_online(True)  # the sync that waited for the network
    host.run_until_idle()
    [stored] = server.bookmarks
    assert stored["bookId"] == server.book_id
    assert stored["title"] == "Chapter Two · page 7"
    assert stored["cfi"] == marked["cfi"] and text_at(stored["cfi"]) == ""  # a point
    assert stored["cfi"].startswith("epubcfi(/6/6!/4/")
    assert len(server.annotations) == 1
    assert any(line.endswith("sync done Synced: 2 annotations\nFailed: 0") for line in host.logs)
    assert pending(settings, "pending_annotations") == []


def test_the_same_place_twice_is_already_there_and_nothing_is_sent_again(
        host, settings, epub, server):
    turn_bookmarks_on(settings)
    close_book(host, epub, annotations=[bookmark("2026-01-02 09:00:00")])  # synced at close
    assert len(server.bookmarks) == 1
    # KOReader's list again, and the same place bookmarked on another device: 409
    close_book(host, epub, annotations=[bookmark("2026-01-02 09:00:00")])
    assert pending(settings, "pending_annotations") == []
    close_book(host, epub, annotations=[bookmark("2026-01-03 20:00:00")])
    host.run_until_idle()
    assert len(server.bookmarks) == 1
    assert pending(settings, "pending_annotations") == []
    statuses = [s for _, path, s in server.request_log if path == "/api/v1/bookmarks"]
    assert statuses == [200, 409]


def test_a_bookmark_the_book_cannot_place_is_not_queued(host, settings, epub, server):
    turn_bookmarks_on(settings)
    close_book(host, epub, annotations=[
        bookmark("2026-01-02 09:00:00", page="/body/DocFragment[9]/body/p[1]/text().0")])
    assert pending(settings, "pending_annotations") == []


def test_the_migration_keeps_queued_highlights_and_their_ids(tmp_path):
    """A database of schema 6 (before bookmarks) with a queued highlight is rebuilt in
    place: same row, same id, and bookmarks now fit."""
    from python_core.store import schema
    path = tmp_path / "booklore-sync.sqlite"
    conn = sqlite3.connect(path)
    for number, migration in enumerate(schema.MIGRATIONS[:6], start=1):
        for statement in migration.steps:
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number}")
    conn.execute("INSERT INTO pending_annotations (id, book_hash, kind, created, created_at, "
                 "updated_at, retry_count) VALUES (7, ?, 'highlight', 'c', 'x', 'x', 2)",
                 ("a" * 32,))
    conn.commit()
    conn.close()
    with BookLoreSync(tmp_path) as core, core.db.atomic() as tx:
        [row] = tx.execute("SELECT id, kind, retry_count FROM pending_annotations").fetchall()
        tx.execute("INSERT INTO pending_annotations (book_hash, kind, created, created_at, "
                   "updated_at) VALUES (?, 'bookmark', 'd', 'x', 'x')", ("a" * 32,))
        [new_id] = tx.execute("SELECT id FROM pending_annotations WHERE kind = 'bookmark'"
                              ).fetchone()
    assert tuple(row) == (7, "highlight", 2) and new_id == 8
