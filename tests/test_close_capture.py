"""Capturing the star rating and annotations at close and suspend (the core's side)."""

import pytest

from python_core.annotations.items import digest
from python_core.store import item_queues
from tests.small_epub import PASSAGES, write_small_epub


@pytest.fixture
def epub(tmp_path):
    return write_small_epub(tmp_path / "small.epub")


def highlight(name, created, **fields):
    pos0, pos1, text, _ = PASSAGES[name]
    return {"datetime": created, "drawer": "lighten", "color": "yellow", "text": text,
            "pos0": pos0, "pos1": pos1, "chapter": "Chapter", "pageno": 3, **fields}


def capture(core, path, reason="close", **event):
    result = core.capture_rating_and_annotations({"file_path": path, "reason": reason, **event})
    assert result["ok"], result
    return result


def rows(core, table):
    return [dict(r) for r in core.db.connection().execute(f"SELECT * FROM {table} ORDER BY id")]


def test_stars_are_queued_times_two_at_close_only(core, epub):
    assert capture(core, epub, reason="suspend", rating=4)["queued"] is False
    assert capture(core, epub, rating=4)["ratings"] == 1
    assert [r["rating"] for r in rows(core, "pending_ratings")] == [8]


@pytest.mark.parametrize("stars", [None, 0, 6, 2.5, "4", True])
def test_no_or_odd_ratings_queue_nothing(core, epub, stars):
    assert capture(core, epub, rating=stars)["queued"] is False
    assert rows(core, "pending_ratings") == []


def test_a_newer_rating_replaces_the_queued_one(core, epub):
    capture(core, epub, rating=3)
    capture(core, epub, rating=5)
    assert [r["rating"] for r in rows(core, "pending_ratings")] == [10]


def test_rating_sync_off_queues_no_rating(core, epub):
    core.set_setting("rating_sync", False)
    assert capture(core, epub, rating=4)["queued"] is False


def test_highlights_are_queued_with_their_cfi_once(core, epub):
    marks = [highlight("clocks", "2026-01-02 10:00:00"),
             highlight("gamma", "2026-01-02 10:01:00", note="A note")]
    assert capture(core, epub, annotations=marks)["annotations"] == 2
    assert capture(core, epub, reason="suspend", annotations=marks)["annotations"] == 0
    queued = rows(core, "pending_annotations")
    assert [(r["kind"], r["cfi"]) for r in queued] == [
        ("highlight", PASSAGES["clocks"][3]), ("note", PASSAGES["gamma"][3])]
    assert queued[0]["destination"] == "book" and queued[0]["color"] == "#FFFF33"


def test_an_edited_note_replaces_its_queued_version_in_place(core, epub):
    capture(core, epub, annotations=[highlight("gamma", "t1", note="first")])
    capture(core, epub, annotations=[highlight("gamma", "t1", note="second")])
    [row] = rows(core, "pending_annotations")
    assert (row["id"], row["note"]) == (1, "second")


def test_an_uploaded_annotation_is_queued_again_only_when_it_changed(core, epub):
    mark = highlight("clocks", "t1")
    capture(core, epub, annotations=[mark])
    [row] = core.db.connection().execute("SELECT * FROM pending_annotations").fetchall()
    with core.db.atomic() as tx:
        item_queues.annotation_uploaded(tx, row, digest(row), "annotations", 5, "now")
    assert capture(core, epub, annotations=[mark])["annotations"] == 0
    assert capture(core, epub, annotations=[dict(mark, color="red")])["annotations"] == 1


def test_finished_only_mode_waits_for_the_end_of_the_book(core, epub):
    core.set_setting("annotation_upload", "finished")
    marks = [highlight("clocks", "t1")]
    assert capture(core, epub, annotations=marks, progress=40.0)["annotations"] == 0
    assert capture(core, epub, annotations=marks, progress=99.5)["annotations"] == 1
    assert capture(core, epub, annotations=[highlight("gamma", "t2")], progress=10,
                   status="complete")["annotations"] == 1


def test_highlight_sync_off_queues_none(core, epub):
    core.set_setting("annotation_sync", False)
    assert capture(core, epub, annotations=[highlight("clocks", "t1")])["queued"] is False


def test_bookmarks_are_not_queued(core, epub):
    bookmark = {"datetime": "t1", "page": PASSAGES["clocks"][0], "chapter": "One"}
    assert capture(core, epub, annotations=[bookmark])["queued"] is False


def test_unplaceable_and_non_epub_highlights_keep_no_cfi(core, epub, tmp_path):
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 40)
    capture(core, str(pdf), annotations=[{"datetime": "t1", "drawer": "lighten",
                                          "text": "scanned", "pageno": 42}])
    capture(core, epub, annotations=[highlight("clocks", "t2",
                                               pos0="/body/DocFragment[9]/body/p/text().0")])
    assert [(r["cfi"], r["page"]) for r in rows(core, "pending_annotations")] == [
        (None, "42"), (None, "3")]


def test_a_broken_epub_file_queues_without_cfi(core, tmp_path):
    broken = tmp_path / "broken.epub"
    broken.write_bytes(b"not a zip at all" * 200)
    assert capture(core, str(broken), annotations=[highlight("clocks", "t1")])["annotations"] == 1
    assert rows(core, "pending_annotations")[0]["cfi"] is None


def test_the_book_id_known_from_the_cache_is_used(core, epub):
    book = core.record_book({"file_path": epub})
    core.db.connection().execute("UPDATE book_cache SET book_id = 31")
    capture(core, epub, rating=2, annotations=[highlight("clocks", "t1")])
    assert rows(core, "pending_ratings")[0]["book_id"] == 31
    assert rows(core, "pending_annotations")[0]["book_hash"] == book["book_hash"]
    assert rows(core, "pending_annotations")[0]["book_id"] == 31


def test_an_edit_captured_during_its_upload_stays_queued(core, epub):
    capture(core, epub, annotations=[highlight("gamma", "t1", note="first")])
    [sent] = core.db.connection().execute("SELECT * FROM pending_annotations").fetchall()
    capture(core, epub, annotations=[highlight("gamma", "t1", note="edited")])
    with core.db.atomic() as tx:  # the upload of the first version finishes afterwards
        item_queues.annotation_uploaded(tx, sent, digest(sent), "book-notes-v2", 3, "now")
    assert [r["note"] for r in rows(core, "pending_annotations")] == ["edited"]
