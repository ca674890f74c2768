"""Star ratings, highlights and notes from KOReader to BookLore, through the real plugin and
core in the headless host, against the bundled BookLore-compatible server. The book is a
small EPUB built here, so every CFI can be checked against its chapter XHTML."""

import itertools

import pytest

from bridge import HeadlessHost
from python_core.facade import BookLoreSync
from tests.plugin_support import BOOKLORE, KOREADER, MANAGE, configure, labels, turn_pages
from tests.small_epub import PASSAGES, text_at, write_small_epub
from tools.booklore_server import BookLoreServer, Fault, partial_md5

TITLE = "Small Test Book"
ANNOTATION_PATHS = ("/api/v1/annotations", "/api/v2/book-notes", "/api/v1/book-notes")


@pytest.fixture
def epub(tmp_path):
    (tmp_path / "books").mkdir()
    return write_small_epub(tmp_path / "books" / "small.epub")


@pytest.fixture
def server(epub):
    server = BookLoreServer().start()
    server.add_user(*BOOKLORE, koreader=KOREADER)
    server.book_id = server.add_book(TITLE, ["A. Writer"], file_hash=partial_md5(epub),
                                     file_name="small.epub")
    yield server
    server.stop()


@pytest.fixture
def settings(tmp_path, server):
    configure(tmp_path / "settings", server.url)
    return tmp_path / "settings"


@pytest.fixture
def host(settings):
    with HeadlessHost(settings, online=True) as host:
        yield host


def mark(name, created, **fields):
    """A KOReader highlight on one of the small EPUB's passages, as ui.annotation keeps it."""
    pos0, pos1, text, _ = PASSAGES[name]
    return {"datetime": created, "drawer": "lighten", "color": "yellow", "text": text,
            "chapter": "Chapter Two", "pos0": pos0, "pos1": pos1, "page": pos0, "pageno": 7,
            **fields}


HIGHLIGHTS = [
    mark("clocks", "2026-01-02 09:00:00", chapter="Chapter One", pageno=3),
    mark("beta gamma", "2026-01-02 09:05:00", drawer="underscore", color="blue"),
    mark("ishmael", "2026-01-02 09:06:00", drawer="strikeout", color="green"),
]
NOTE = mark("gamma", "2026-01-02 09:10:00", note="Why four spaces here?", color="red")


def close_book(host, epub, **book):
    host.open_book(epub, title=TITLE, **book)
    host.close_book()
    host.run_until_idle()


def pending(settings, table):
    core = BookLoreSync(settings)
    rows = [dict(r) for r in core.db.connection().execute(f"SELECT * FROM {table}")]
    core.close()
    return rows


def posts(server):
    return [(method, path) for method, path, _ in server.request_log if path in ANNOTATION_PATHS]


# -- ratings --------------------------------------------------------------------------------

def test_four_stars_upload_as_rating_eight(host, server, epub):
    close_book(host, epub, rating=4)
    assert server.ratings == {server.book_id: 8}


def test_a_rating_changed_twice_offline_uploads_once_with_the_last_value(host, server, epub,
                                                                          settings):
    host.set_online(False)
    close_book(host, epub, rating=3)
    close_book(host, epub, rating=4)
    assert [r["rating"] for r in pending(settings, "pending_ratings")] == [8]
    host.set_online(True)
    host.run_until_idle()
    assert server.ratings == {server.book_id: 8}
    assert [r for r in server.request_log if r[1] == "/api/v1/books/personal-rating"] == [
        ("PUT", "/api/v1/books/personal-rating", 200)]
    close_book(host, epub, rating=4)
    assert len([r for r in server.request_log if "personal-rating" in r[1]]) == 1


def test_a_rating_for_an_unmatched_book_uploads_after_matching(host, server, tmp_path):
    other = tmp_path / "books" / "other.epub"
    other.write_bytes(b"a book BookLore does not have yet " * 300)
    close_book(host, other, rating=5)
    assert server.ratings == {}
    assert "Sync Pending Now (0s, 0a, 1r)" in labels(host, *MANAGE)
    matched = server.add_book("The copy", file_hash=partial_md5(other))
    assert host.tap_menu(*MANAGE, "Match Unmatched Books")
    host.run_until_idle()
    assert server.ratings == {matched: 10}
    assert labels(host, *MANAGE)["Sync Pending Now"] is False


# -- highlights and notes ---------------------------------------------------------------------

@pytest.mark.parametrize("destination, v2_notes, v1_notes", [
    ("book", 1, 0), ("booklore", 0, 1), ("both", 1, 1)])
def test_highlights_and_a_note_land_on_their_words_once(tmp_path, server, epub, destination,
                                                        v2_notes, v1_notes):
    configure(tmp_path / "settings", server.url, notes_destination=destination)
    with HeadlessHost(tmp_path / "settings", online=True) as host:
        close_book(host, epub, annotations=HIGHLIGHTS + [NOTE])
        sent = len(posts(server))
        close_book(host, epub, annotations=HIGHLIGHTS + [NOTE])
        assert len(posts(server)) == sent == 3 + v2_notes + v1_notes
    highlights = {a["text"]: a for a in server.annotations}
    for entry in HIGHLIGHTS:
        uploaded = highlights[entry["text"]]
        assert uploaded["cfi"] == PASSAGES[name_of(entry)][3]
        assert " ".join(text_at(uploaded["cfi"]).split()) == entry["text"]
    assert [(a["style"], a["color"]) for a in server.annotations] == [
        ("highlight", "#FFFF33"), ("underline", "#0066FF"), ("strikethrough", "#00AA66")]
    assert highlights["clocks were striking"]["chapterTitle"] == "Chapter One"
    assert len(server.notes_v2) == v2_notes and len(server.notes_v1) == v1_notes
    if v2_notes:
        [note] = server.notes_v2
        assert (note["cfi"], note["noteContent"], note["selectedText"], note["color"]) == (
            PASSAGES["gamma"][3], NOTE["note"], "gamma delta", "#FF3300")
        assert text_at(note["cfi"]) == "gamma    delta"
    if v1_notes:
        [note] = server.notes_v1
        assert note["title"] == "Chapter Two · page 7"
        assert note["content"] == "gamma delta\n\nWhy four spaces here?"
    assert pending(tmp_path / "settings", "pending_annotations") == []


def name_of(entry):
    return next(name for name, passage in PASSAGES.items() if passage[2] == entry["text"])


def test_a_409_means_already_there_and_clears_the_item(host, server, epub, settings):
    close_book(host, epub, annotations=HIGHLIGHTS[:1])
    core = BookLoreSync(settings)  # a reinstalled plugin: the upload log is gone
    core.db.connection().execute("DELETE FROM uploaded_annotations")
    core.close()
    close_book(host, epub, annotations=HIGHLIGHTS[:1])
    assert ("POST", "/api/v1/annotations", 409) in server.request_log
    assert len(server.annotations) == 1
    assert pending(settings, "pending_annotations") == []


def test_a_pdf_highlight_goes_to_book_notes_with_its_page(host, server, tmp_path):
    pdf = tmp_path / "books" / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 64)
    book_id = server.add_book("Scanned", file_hash=partial_md5(pdf), book_type="PDF")
    where = {"page": 42, "x": 10.5, "y": 200.0, "zoom": 1, "rotation": 0}
    close_book(host, pdf, pages=300, annotations=[{
        "datetime": "2026-01-03 08:00:00", "drawer": "lighten", "color": "yellow",
        "text": "A scanned sentence.", "chapter": "Part II", "page": 42,
        "pos0": where, "pos1": dict(where, x=300.0)}])
    assert server.annotations == [] and server.notes_v2 == []
    [note] = server.notes_v1
    assert (note["bookId"], note["title"], note["content"]) == (
        book_id, "Part II · page 42", "A scanned sentence.")


def test_a_500_on_one_annotation_leaves_the_others_uploaded(host, server, epub, settings):
    calls = itertools.count(1)
    server.set_fault(lambda method, path: Fault.ERROR_500
                     if path == "/api/v1/annotations" and next(calls) == 2 else None)
    close_book(host, epub, annotations=HIGHLIGHTS + [NOTE])
    assert sorted(a["text"] for a in server.annotations) == [
        "Call me Ishmael.", "clocks were striking"]
    assert len(server.notes_v2) == 1
    [left] = pending(settings, "pending_annotations")
    assert (left["text"], left["retry_count"]) == ("beta gamma", 1)
    assert "500" in left["last_error"]
    server.set_fault(None)
    assert host.tap_menu(*MANAGE, "Sync Pending Now (0s, 1a, 0r)")
    host.run_until_idle()
    assert len(server.annotations) == 3 and pending(settings, "pending_annotations") == []


# -- Manage Sessions ---------------------------------------------------------------------------

def read_offline(host, epub):
    host.set_online(False)
    host.open_book(epub, title=TITLE, rating=4, annotations=HIGHLIGHTS[:2])
    turn_pages(host, 3, 30)
    host.close_book()


def test_labels_count_annotations_and_ratings(host, epub):
    read_offline(host, epub)
    assert "Sync Pending Now (1s, 2a, 1r)" in labels(host, *MANAGE)
    assert "Clear Pending... (1s, 2a, 1r)" in labels(host, *MANAGE)
    host.tap_menu(*MANAGE, "View Details")
    assert "Annotations: 2\n  Ratings: 1" in host.screen()[-1]["text"]


def test_clearing_only_annotations_keeps_the_rating(host, epub, server):
    read_offline(host, epub)
    host.tap_menu(*MANAGE, "Clear Pending")
    assert [c["text"] for c in host.screen()[-1]["checks"]] == [
        "Sessions (1)", "Annotations (2)", "Ratings (1)"]
    host.toggle_check("Sessions")
    host.toggle_check("Ratings")
    host.tap_button("Clear Selected")
    assert host.toasts[-1] == "Cleared 2 annotations"
    assert "Sync Pending Now (1s, 0a, 1r)" in labels(host, *MANAGE)
    host.set_online(True)
    host.run_until_idle()
    assert server.ratings == {server.book_id: 8} and server.annotations == []


# -- settings ----------------------------------------------------------------------------------

RATINGS_MENU = ("BookLore Sync", "Settings", "Ratings and annotations")


def test_the_settings_submenu_sets_the_five_settings(host, settings, epub, server):
    menu = host.menu(*RATINGS_MENU)
    assert [(c["text"], c["checked"]) for c in menu["children"]] == [
        ("Sync rating (KOReader stars × 2)", True), ("Sync highlights and notes", True),
        ("Notes destination", False), ("Upload highlights and notes", False),
        ("Sync bookmarks (EPUB)", False)]
    host.tap_menu(*RATINGS_MENU, "Notes destination", "Both")
    host.tap_menu(*RATINGS_MENU, "Upload highlights and notes", "Only when the book is finished")
    host.tap_menu(*RATINGS_MENU, "Sync rating")
    core = BookLoreSync(settings)
    chosen = {k: core.settings()[k] for k in (
        "notes_destination", "annotation_upload", "rating_sync", "annotation_sync")}
    core.close()
    assert chosen == {"notes_destination": "both", "annotation_upload": "finished",
                      "rating_sync": False, "annotation_sync": True}
    close_book(host, epub, rating=5, annotations=HIGHLIGHTS)
    assert server.ratings == {} and server.annotations == []
    close_book(host, epub, rating=5, annotations=HIGHLIGHTS, status="complete")
    assert len(server.annotations) == 3 and server.ratings == {}
