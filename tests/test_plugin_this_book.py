"""One book's own entries, through the real plugin in the headless host: "Don't track this
book" from the file browser's long-press dialog and from the reader's menu, and "Match
Book" from the long-press dialog, by title or by a BookLore book ID."""

import pytest

from bridge import HeadlessHost
from python_core.facade import BookLoreSync
from tests import test_plugin_matching as matching_tests
from tests.plugin_support import MANAGE, configure, labels, read_book, turn_pages
from tests.test_plugin_matching import EDITION_1831, SHOWN, shown_results, top

TRACK = ("BookLore Sync", "Track this book")


#: Knows the first two sample books by fingerprint, and six Frankensteins by title.
server = pytest.fixture(matching_tests.server.__wrapped__)


@pytest.fixture
def settings(tmp_path, server):
    configure(tmp_path / "settings", server.url, manual_sync_only=True)
    return tmp_path / "settings"


@pytest.fixture
def host(settings):
    with HeadlessHost(settings, online=True) as host:
        yield host


def queued(settings):
    with BookLoreSync(settings) as core:
        counts = core.queue_counts()
    return counts["sessions"], counts["annotations"], counts["ratings"]


def our_row(host):
    """The BookLore row of the topmost file dialog, or None."""
    rows = top(host)["buttons"]
    ours = [row for row in rows if row and row[0]["text"] == "Match Book"]
    return [button["text"] for button in ours[0]] if ours else None


HIGHLIGHT = {"datetime": "2026-01-02 09:00:00", "drawer": "lighten", "text": "words",
             "pos0": "/body/DocFragment[2]/body/p[1]/text().0",
             "pos1": "/body/DocFragment[2]/body/p[1]/text().5"}


# -- the long-press dialog ----------------------------------------------------------------------

def test_a_book_s_long_press_dialog_has_our_row_after_koreaders_own(host, library, tmp_path):
    host.long_press(library[0].path)
    dialog = top(host)
    assert dialog["type"] == "ButtonDialog" and dialog["title"] == "pride-and-prejudice.epub"
    assert dialog["buttons"][0][0]["text"] == "Paste"  # KOReader's rows first
    assert dialog["buttons"][-1] == [{"text": "Match Book", "enabled": True},
                                     {"text": "Don't track this book", "enabled": True}]
    host.dismiss()
    picture = tmp_path / "cover.jpg"
    picture.write_bytes(b"\xff\xd8 not a book")
    host.long_press(picture)
    assert our_row(host) is None
    host.dismiss()
    host.long_press(tmp_path)  # a folder
    assert our_row(host) is None


def test_the_row_leaves_with_the_file_browser(host, library):
    registered = 'require("apps/filemanager/filemanager").instance.file_dialog_added_buttons'
    old = host.lua.eval('require("apps/filemanager/filemanager").instance')
    assert host.lua.eval(registered) is not None
    host.open_book(library[0].path, title=library[0].title)  # the file browser closes
    assert old.file_dialog_added_buttons is None
    host.close_book()
    host.long_press(library[0].path)
    assert sum(1 for row in top(host)["buttons"] if row[0]["text"] == "Match Book") == 1


# -- Don't track this book ------------------------------------------------------------------------

def test_a_book_switched_off_records_nothing_and_its_queue_stays(host, settings, library):
    book = library[0]
    host.set_online(False)
    read_book(host, book)  # one session queued before the switch
    assert queued(settings) == (1, 0, 0)
    host.long_press(book.path)
    host.tap_button("Don't track this book")
    question = top(host)
    assert question["type"] == "ConfirmBox"
    assert "record no reading sessions, ratings, highlights or bookmarks" in question["text"]
    assert "already queued for it stays in the queue" in question["text"]
    host.tap_button("Don't track")
    assert host.toasts[-1].startswith("BookLore Sync no longer records “Pride and Prejudice”")
    host.open_book(book.path, title=book.title, rating=4, annotations=[HIGHLIGHT])
    turn_pages(host, 10)
    host.close_book()
    assert queued(settings) == (1, 0, 0)  # nothing new; the old session still waits
    host.long_press(book.path)
    assert our_row(host) == ["Match Book", "Track this book"]
    host.tap_button("Track this book")  # back on: no question
    assert host.toasts[-1] == "BookLore Sync records “Pride and Prejudice” again."
    read_book(host, book)  # tracked again: the session, and the rating KOReader still has
    assert queued(settings) == (2, 0, 1)


def test_cancel_keeps_the_book_tracked(host, library):
    host.long_press(library[0].path)
    host.tap_button("Don't track this book")
    host.tap_button("Cancel")
    host.long_press(library[0].path)
    assert our_row(host) == ["Match Book", "Don't track this book"]


def test_the_reader_s_menu_switches_the_open_book_and_drops_the_running_session(
        host, settings, library):
    book = library[1]
    host.set_online(False)
    host.open_book(book.path, title=book.title)
    entry = host.menu_entry(*TRACK)
    assert entry["checkable"] and entry["checked"] is True
    turn_pages(host, 8)
    host.tap_menu(*TRACK)
    host.tap_button("Don't track")
    assert host.menu_entry(*TRACK)["checked"] is False
    turn_pages(host, 8)
    host.close_book()
    assert queued(settings) == (0, 0, 0)  # the running session was dropped, not saved
    assert "Track this book" not in labels(host, "BookLore Sync")  # not in the file browser
    host.open_book(book.path, title=book.title)
    assert host.menu_entry(*TRACK)["checked"] is False  # follows the book
    host.tap_menu(*TRACK)  # back on: a session starts now
    assert host.menu_entry(*TRACK)["checked"] is True
    turn_pages(host, 8)
    host.close_book()
    assert queued(settings) == (1, 0, 0)


# -- Match Book -------------------------------------------------------------------------------------

def offline_session(host, book):
    host.set_online(False)
    read_book(host, book)
    host.set_online(True)


def test_match_book_by_title_shows_the_five_best_and_uploads_at_once(host, settings, server,
                                                                      library):
    frankenstein = library[2]  # not known by fingerprint
    offline_session(host, frankenstein)
    assert "Sync Pending Now (1s, 0a, 0r)" in labels(host, *MANAGE)
    host.long_press(frankenstein.path)
    host.tap_button("Match Book")
    assert top(host)["title"].startswith("Match “Frankenstein; or, The Modern Prometheus”")
    host.tap_button("Search by title")
    host.run_until_idle()
    results = top(host)
    assert results["type"] == "Menu"
    assert shown_results(results) == SHOWN + [("Cancel", None)]
    assert results["subtitle"] == "Searched for “Frankenstein; or, The Modern Prometheus”"
    host.tap_button(f"{EDITION_1831} – Mary Shelley")
    host.run_until_idle()
    assert host.toasts[-1].startswith("Matched “Frankenstein; or, The Modern Prometheus (1831)”.")
    assert "Synced: 1 session" in host.toasts[-1]
    [sent] = server.sessions
    assert sent["bookId"] == server.candidates[EDITION_1831]
    assert queued(settings) == (0, 0, 0)


def test_match_book_by_id_checks_the_id_first(host, settings, server, library):
    dracula = library[3]
    offline_session(host, dracula)
    wanted = server.candidates["Young Frankenstein"]
    host.long_press(dracula.path)
    host.tap_button("Match Book")
    host.tap_button("Enter BookLore book ID")
    host.type_text("9999")
    host.tap_button("Look up")
    host.run_until_idle()
    problem = top(host)
    assert "BookLore has no book with ID 9999" in problem["title"]
    assert [b["text"] for b in problem["buttons"][0]] == ["Cancel"]
    host.tap_button("Cancel")
    assert host.toasts[-1] == "Not matched" and server.sessions == []
    host.advance(5)  # the message goes
    host.long_press(dracula.path)
    host.tap_button("Match Book")
    host.tap_button("Enter BookLore book ID")
    host.type_text(str(wanted))
    host.tap_button("Look up")
    host.run_until_idle()
    assert shown_results(top(host)) == [("Young Frankenstein – Mel Brooks", f"ID {wanted}"),
                                        ("Cancel", None)]
    assert top(host)["subtitle"] == f"BookLore book ID {wanted}"
    host.tap_button("Young Frankenstein – Mel Brooks")
    host.run_until_idle()
    assert [s["bookId"] for s in server.sessions] == [wanted]


def test_match_book_again_puts_a_wrong_match_right(host, settings, server, library):
    dracula = library[3]
    offline_session(host, dracula)
    with BookLoreSync(settings) as core:  # an earlier, wrong match; nothing uploaded yet
        assert core.confirm_match({"book_hash": dracula.file_hash, "book_id": 4242},
                                  online=False)["matched"]
    host.long_press(dracula.path)
    host.tap_button("Match Book")
    assert top(host)["title"].startswith("“Dracula” is matched with BookLore book 4242.")
    host.tap_button("Enter BookLore book ID")
    host.type_text(str(server.candidates["Frankenstein"]))
    host.tap_button("Look up")
    host.run_until_idle()
    host.tap_button("Frankenstein – Mary Shelley")
    host.run_until_idle()
    assert [s["bookId"] for s in server.sessions] == [server.candidates["Frankenstein"]]


def test_match_book_needs_a_connection_and_says_so_at_once(host, library):
    host.set_online(False)
    host.long_press(library[2].path)
    host.tap_button("Match Book")
    assert host.toasts[-1] == "No network connection"
    assert [w["type"] for w in host.screen()] == ["FileManager", "InfoMessage"]
