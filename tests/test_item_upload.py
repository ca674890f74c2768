"""The ratings and annotations phases against the bundled server: endpoint choice, edits,
409s and the rating endpoint's unknown-id quirk."""

import itertools

import pytest

from python_core.sync.item_upload import ANNOTATIONS, EDIT_KEPT, NOTES_V1, NOTES_V2, endpoints_for
from tests.plugin_support import BOOKLORE, KOREADER
from tests.small_epub import PASSAGES, write_small_epub
from tools.booklore_server import BookLoreServer, Fault, partial_md5

pytestmark = pytest.mark.usefixtures("on_the_server")


@pytest.fixture
def epub(tmp_path):
    return write_small_epub(tmp_path / "small.epub")


@pytest.fixture
def server(epub):
    server = BookLoreServer().start()
    server.add_user(*BOOKLORE, koreader=KOREADER)
    server.book_id = server.add_book("Small", file_hash=partial_md5(epub))
    yield server
    server.stop()


def note(text="first thought", **fields):
    pos0, pos1, selected, _ = PASSAGES["gamma"]
    return {"datetime": "2026-01-02 10:00:00", "drawer": "lighten", "text": selected,
            "note": text, "pos0": pos0, "pos1": pos1, "pageno": 4, **fields}


def close_and_sync(core, epub, *annotations, rating=None):
    core.capture_rating_and_annotations({"file_path": epub, "reason": "close",
                                         "annotations": list(annotations), "rating": rating})
    return core.sync_pending()


def pending(core):
    return [dict(r) for r in core.db.connection().execute("SELECT * FROM pending_annotations")]


@pytest.mark.parametrize("kind, cfi, destination, endpoints", [
    ("highlight", "epubcfi(/6/4!/4/2/1:0)", "book", [ANNOTATIONS]),
    ("highlight", "epubcfi(/6/4!/4/2/1:0)", "booklore", [ANNOTATIONS]),
    ("highlight", None, "book", [NOTES_V1]),
    ("note", "epubcfi(/6/4!/4/2/1:0)", "book", [NOTES_V2]),
    ("note", "epubcfi(/6/4!/4/2/1:0)", "booklore", [NOTES_V1]),
    ("note", "epubcfi(/6/4!/4/2/1:0)", "both", [NOTES_V2, NOTES_V1]),
    ("note", None, "both", [NOTES_V1]),
])
def test_endpoints_per_kind_position_and_destination(kind, cfi, destination, endpoints):
    assert endpoints_for({"kind": kind, "cfi": cfi, "destination": destination}) == endpoints


def test_an_edited_v1_note_updates_the_same_server_note(core, server, epub):
    core.set_setting("notes_destination", "booklore")
    close_and_sync(core, epub, note())
    close_and_sync(core, epub, note("second thought"))
    [stored] = server.notes_v1
    assert stored["content"] == "gamma delta\n\nsecond thought"
    assert pending(core) == []


def test_an_edited_note_in_the_book_is_recorded_and_said_once(core, server, epub):
    close_and_sync(core, epub, note())
    report = close_and_sync(core, epub, note("second thought"))
    assert report["synced"]["annotations"] == 1 and EDIT_KEPT in report["summary"]
    assert [n["noteContent"] for n in server.notes_v2] == ["first thought"]
    assert close_and_sync(core, epub, note("second thought"))["status"] == "nothing"


def test_both_destinations_retry_only_what_failed(core, server, epub):
    core.set_setting("notes_destination", "both")
    calls = itertools.count(1)
    server.set_fault(lambda method, path: Fault.ERROR_500
                     if path == "/api/v1/book-notes" and next(calls) == 1 else None)
    report = close_and_sync(core, epub, note())
    assert report["failed"]["annotations"] == 1 and pending(core)[0]["retry_count"] == 1
    assert core.sync_pending()["synced"]["annotations"] == 1
    assert len(server.notes_v2) == 1 and len(server.notes_v1) == 1
    assert ("POST", "/api/v2/book-notes", 409) in server.request_log


def test_a_rating_for_a_book_the_server_lost_says_so(core, server, epub):
    book = core.record_book({"file_path": epub})
    core.db.connection().execute("UPDATE book_cache SET book_id = 999")
    report = close_and_sync(core, epub, rating=3)
    row = core.db.connection().execute("SELECT * FROM pending_ratings").fetchone()
    assert (row["book_hash"], row["retry_count"]) == (book["book_hash"], 1)
    assert row["last_error"].startswith("BookLore has no book with ID 999")
    assert "Rating upload failed: BookLore has no book with ID 999" in report["summary"]
    assert server.ratings == {}


def test_a_rating_equal_to_the_uploaded_one_is_not_sent_again(core, server, epub):
    assert close_and_sync(core, epub, rating=4)["synced"]["ratings"] == 1
    assert close_and_sync(core, epub, rating=4)["status"] == "nothing"
    assert close_and_sync(core, epub, rating=2)["synced"]["ratings"] == 1
    assert server.ratings == {server.book_id: 4}


def test_a_long_highlight_with_emoji_is_cut_to_the_servers_5000_utf16_units(core, server, epub):
    """Cut to 5,000 code points it would be 5,071 units and refused with 400 for ever."""
    long_text = ("word " * 10 + "\U0001F600") * 110
    assert len(long_text) > 5000
    highlight = {"datetime": "2026-01-02 11:00:00", "drawer": "lighten", "text": long_text,
                 "pos0": PASSAGES["gamma"][0], "pos1": PASSAGES["gamma"][1], "pageno": 4}
    report = close_and_sync(core, epub, highlight)
    assert report["synced"]["annotations"] == 1, report["summary"]
    [stored] = server.annotations
    assert long_text.startswith(stored["text"])
    assert 4999 <= len(stored["text"].encode("utf-16-le")) // 2 <= 5000
