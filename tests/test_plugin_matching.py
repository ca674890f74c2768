"""Match Unmatched Books as the user's page describes it: the automatic pass by fingerprint,
the question, the manual walk; through the real main.lua, bridge and core, against the
bundled BookLore-compatible server."""

import logging
import threading
import time
from types import SimpleNamespace

import pytest

from bridge import HeadlessHost
from python_core.facade import BookLoreSync
from python_core.store import book_cache
from tests.plugin_support import MANAGE, configure, labels, read_book, start_server
from tools.booklore_server import Fault

ASK = "No new matches found ({n} still unmatched).\n\nDo you want to manually match the books?"
FRANKENSTEIN = "Frankenstein; or, The Modern Prometheus"
EDITION_1831 = "Frankenstein; or, The Modern Prometheus (1831)"
CANDIDATES = [
    (EDITION_1831, ["Mary Shelley"]),
    ("Frankenstein", ["Mary Shelley"]),
    ("Frankenstein Unbound", ["Brian Aldiss"]),
    ("The New Frankenstein", []),
    ("Frankenstein's Monster", ["Susan Heyboer O'Keefe"]),
    ("Young Frankenstein", ["Mel Brooks"]),
]
SHOWN = [  # (item text, score) as the results list shows them: five of the six
    (f"{EDITION_1831} – Mary Shelley", "85%"),
    ("Frankenstein – Mary Shelley", "30%"),
    ("Frankenstein Unbound – Brian Aldiss", "30%"),
    ("The New Frankenstein", "30%"),
    ("Frankenstein's Monster – Susan Heyboer O'Keefe", "30%"),
]


@pytest.fixture
def server(library):
    """Knows the first two sample books by fingerprint, and six Frankensteins by title."""
    server, ids = start_server(library, known=2)
    server.ids = ids
    server.candidates = {title: server.add_book(title, authors) for title, authors in CANDIDATES}
    yield server
    server.stop()


def make_settings(tmp_path, server, **extra):
    settings = tmp_path / "settings"
    # Manual Sync Only: no automatic sync may match or upload behind the test's back.
    configure(settings, server.url, manual_sync_only=True, **extra)
    return settings


@pytest.fixture
def host(tmp_path, server):
    with HeadlessHost(make_settings(tmp_path, server)) as host:
        yield host


def read_offline(host, *books):
    host.set_online(False)
    for book in books:
        read_book(host, book)
    host.set_online(True)


def tap_match(host):
    assert host.tap_menu(*MANAGE, "Match Unmatched Books")
    host.run_until_idle()


def top(host):
    return host.screen()[-1]


def shown_results(window):
    return [(item["text"], item.get("mandatory")) for item in window["items"]]


def start_walk(host, unmatched):
    tap_match(host)
    assert top(host)["type"] == "ConfirmBox"
    assert top(host)["text"] == ASK.format(n=unmatched)
    host.tap_button("Yes")
    host.run_until_idle()


def unknown_book(tmp_path, name, title):
    """A book file no server knows (its own bytes, so its own fingerprint)."""
    path = tmp_path / name
    path.write_bytes(name.encode() * 4000)
    return SimpleNamespace(path=str(path), title=title, authors=["Nobody"])


# -- the menu entry ----------------------------------------------------------------------------

def test_the_entry_counts_unmatched_books_and_is_greyed_when_there_are_none(host, library):
    assert labels(host, *MANAGE)["Match Unmatched Books"] is False  # empty cache
    read_offline(host, *library[:3])
    assert labels(host, *MANAGE)["Match Unmatched Books (3)"] is True
    tap_match(host)
    host.advance(5)
    assert labels(host, *MANAGE)["Match Unmatched Books (1)"] is True


def test_the_entry_is_greyed_once_every_book_is_matched(host, library):
    read_offline(host, *library[:2])
    tap_match(host)
    assert host.toasts[-1] == "Matched 2 book(s)"
    assert labels(host, *MANAGE)["Match Unmatched Books"] is False


# -- automatic resolution ------------------------------------------------------------------------

def test_two_of_three_match_by_fingerprint_and_their_sessions_upload_in_the_background(
        host, server, library):
    read_offline(host, *library[:3])
    assert server.request_log == []
    tap_match(host)
    assert host.toasts[-1] == "Matched 2 book(s); 1 still unmatched"
    assert sorted(s["bookId"] for s in server.sessions) == sorted(server.ids)
    assert "Sync Pending Now (1s, 0a, 0r)" in labels(host, *MANAGE)
    assert "Match Unmatched Books (1)" in labels(host, *MANAGE)
    assert all(w["type"] != "ConfirmBox" for w in host.screen())
    by_hash = [path for _, path, _ in server.request_log if "/by-hash/" in path]
    assert len(by_hash) == 3  # each unmatched book asked once; the upload asks no more


def test_offline_shows_a_brief_toast_and_sends_nothing(host, server, library):
    read_offline(host, library[0])
    host.set_online(False)
    tap_match(host)
    assert host.toasts[-1] == "No network connection"
    assert server.request_log == []
    host.advance(3)
    assert [w["type"] for w in host.screen()] == ["FileManager"]
    assert "Match Unmatched Books (1)" in labels(host, *MANAGE)


def test_an_html_page_from_the_by_hash_route_is_not_a_match(host, server, library):
    read_offline(host, *library[:2])
    server.set_fault(lambda method, path: Fault.HTML_200 if "/by-hash/" in path else None)
    tap_match(host)
    assert top(host)["text"] == ASK.format(n=2)
    assert "Match Unmatched Books (2)" in labels(host, *MANAGE)
    assert server.sessions == []


# -- manual resolution ---------------------------------------------------------------------------

def test_no_new_match_asks_then_the_chosen_result_is_stored_and_uploaded_at_once(
        host, server, library):
    read_offline(host, *library[:3])
    tap_match(host)  # the two known by fingerprint
    host.advance(5)  # their toast closes
    server.reset_state()
    start_walk(host, unmatched=1)
    results = top(host)
    assert results["type"] == "Menu"
    assert results["title"] == f"Match “{FRANKENSTEIN}”"
    assert shown_results(results) == SHOWN + [("Skip this book", None), ("Stop matching", None)]
    host.tap_button(f"{EDITION_1831} – Mary Shelley")
    host.run_until_idle()
    assert host.toasts[-1] == f"Matched “{EDITION_1831}”.\nSynced: 1 session\nFailed: 0"
    assert [s["bookId"] for s in server.sessions] == [server.candidates[EDITION_1831]]
    assert "Sync Pending Now" in labels(host, *MANAGE)  # greyed: nothing queued
    host.advance(3)  # the message closes; that was the last book
    assert host.toasts[-1] == "All books are matched"
    assert labels(host, *MANAGE)["Match Unmatched Books"] is False


def test_no_answers_no_and_nothing_happens(host, server, library):
    read_offline(host, library[2])
    tap_match(host)
    host.tap_button("No")
    assert [w["type"] for w in host.screen()] == ["FileManager"]
    assert not any(path.endswith("/search") for _, path, _ in server.request_log)


def test_skip_leaves_the_book_unmatched_and_its_sessions_queued(host, server, library, tmp_path):
    zzyzx = unknown_book(tmp_path, "zzyzx.epub", "Zzyzx Road")
    read_offline(host, library[2], zzyzx)
    start_walk(host, unmatched=2)
    host.tap_button("Skip this book")
    host.run_until_idle()
    dialog = top(host)
    assert dialog["type"] == "ButtonDialog"
    assert dialog["title"] == "“Zzyzx Road”\n\nNo books found on BookLore for “Zzyzx Road”."
    assert [b["text"] for b in dialog["buttons"][0]] == ["Skip this book", "Stop matching"]
    host.tap_button("Skip this book")
    assert host.toasts[-1] == "Manual matching finished (2 still unmatched)."
    assert "Sync Pending Now (2s, 0a, 0r)" in labels(host, *MANAGE)
    assert "Match Unmatched Books (2)" in labels(host, *MANAGE)
    assert server.sessions == []


def test_stop_ends_the_walk(host, server, library):
    read_offline(host, library[2], library[3])
    start_walk(host, unmatched=2)
    host.tap_button("Stop matching")
    host.run_until_idle()
    assert host.toasts[-1] == "Matching stopped"
    assert [w["type"] for w in host.screen()] == ["FileManager", "InfoMessage"]
    searches = [path for _, path, _ in server.request_log if path.endswith("/search")]
    assert len(searches) == 1  # Dracula was never searched
    assert "Match Unmatched Books (2)" in labels(host, *MANAGE)


def test_closing_the_results_list_also_stops(host, library):
    read_offline(host, library[2], library[3])
    start_walk(host, unmatched=2)
    assert host.dismiss()
    host.run_until_idle()
    assert host.toasts[-1] == "Matching stopped"
    assert all(w["type"] != "Menu" for w in host.screen())


def test_a_search_error_says_so_and_retry_searches_again(host, server, library):
    read_offline(host, library[2])
    # One bad moment: the search fails, the probe that follows finds the endpoint there.
    faults = iter([Fault.ERROR_500])
    server.set_fault(lambda method, path: next(faults, None) if path.endswith("/search")
                     else None)
    start_walk(host, unmatched=1)
    dialog = top(host)
    assert dialog["title"].startswith(f"“{FRANKENSTEIN}”\n\nThe search failed: ")
    assert [b["text"] for b in dialog["buttons"][0]] == [
        "Retry", "Skip this book", "Stop matching"]
    server.set_fault(None)
    host.tap_button("Retry")
    host.run_until_idle()
    assert shown_results(top(host))[:5] == SHOWN


def test_a_refused_booklore_login_says_where_to_fix_it(tmp_path, server, library):
    settings = make_settings(tmp_path, server, booklore_password="wrong-password")
    with HeadlessHost(settings) as host:
        read_offline(host, library[2])
        start_walk(host, unmatched=1)  # by fingerprint needs only the KOReader account
        dialog = top(host)
        assert dialog["title"].startswith(
            f"“{FRANKENSTEIN}”\n\nBookLore refused the account: Login refused (400)")
        assert "Check the BookLore account under Settings → Server and accounts." in \
            dialog["title"]
        assert [b["text"] for b in dialog["buttons"][0]] == [
            "Retry", "Skip this book", "Stop matching"]
        host.tap_button("Skip this book")
        assert host.toasts[-1] == "Manual matching finished (1 still unmatched)."


def test_going_offline_during_the_walk_is_a_message_with_retry(host, server, library):
    read_offline(host, library[2], library[3])
    start_walk(host, unmatched=2)
    host.set_online(False)
    host.tap_button("Skip this book")
    host.run_until_idle()
    dialog = top(host)
    assert dialog["title"] == "“Dracula”\n\nNo network connection"
    host.set_online(True)
    host.tap_button("Retry")
    host.run_until_idle()
    assert top(host)["type"] == "Menu" and top(host)["title"] == "Match “Dracula”"


# -- a big library -----------------------------------------------------------------------------

UNMATCHED = 1000
HOLD_AT = 600  # the by-hash request held while the Lua thread is exercised


def fake_hash(n):
    return f"{n:032x}"


def cache_many(settings, count):
    core = BookLoreSync(settings)
    with core.db.atomic() as tx:
        for n in range(count):
            book_cache.remember_file(tx, {"file_path": f"/books/book-{n:04d}.epub",
                                          "book_hash": fake_hash(n), "title": f"Book {n}"},
                                     "2026-01-01T00:00:00Z")
    core.close()


def test_a_thousand_unmatched_books_resolve_while_the_reader_keeps_working(
        tmp_path, server, library, caplog, record_property):
    caplog.set_level(logging.DEBUG, logger="urllib3.connectionpool")
    for n in range(0, UNMATCHED, 2):  # every other book is on the server
        server.add_book(f"Book {n}", file_hash=fake_hash(n))
    settings = make_settings(tmp_path, server)
    cache_many(settings, UNMATCHED)
    by_hash, held, release = [], threading.Event(), threading.Event()

    def hold_one(method, path):
        if "/by-hash/" in path:
            by_hash.append(path)
            if len(by_hash) == HOLD_AT:
                held.set()
                release.wait(30)
        return None
    server.set_fault(hold_one)
    try:
        with HeadlessHost(settings) as host:
            host.open_book(library[4].path, title=library[4].title)  # the 1001st, offline
            host.set_online(True)
            started = time.monotonic()
            assert host.tap_menu(*MANAGE, "Match Unmatched Books (1001)")
            assert held.wait(30), "the match job never reached the server"
            # The worker waits on the server; the Lua thread goes on serving the reader.
            host.turn_page(5)
            assert host.book_state()["page"] == 6
            matched_so_far = (HOLD_AT - 1 + 1) // 2
            assert f"Match Unmatched Books ({UNMATCHED + 1 - matched_so_far})" in labels(
                host, *MANAGE)
            assert not any(t.startswith("Matched") for t in host.toasts)
            release.set()
            host.run_until_idle(timeout=120)
            elapsed = time.monotonic() - started
            assert host.toasts[-1] == "Matched 500 book(s); 501 still unmatched"
    finally:
        release.set()
    connections = [r for r in caplog.records if "Starting new HTTP" in r.getMessage()]
    record_property("match_1000_seconds", round(elapsed, 3))
    record_property("match_1000_requests", len(server.request_log))
    print(f"\nmatch 1000+1 unmatched: {elapsed:.2f} s, {len(server.request_log)} requests, "
          f"{len(connections)} connection(s)")
    assert len(by_hash) == UNMATCHED + 1
    assert len(server.request_log) == UNMATCHED + 1  # nothing queued: no upload requests
    assert len(connections) == 1  # every lookup on one keep-alive connection
