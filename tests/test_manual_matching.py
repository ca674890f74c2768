"""Manual matching in the core (python_core.matching.manual through the facade), against
the bundled BookLore-compatible server: which book is next, the search, the confirmation."""

import shutil

import pytest

from python_core.facade import BookLoreSync
from tests.plugin_support import configure, start_server
from tools.booklore_server import Fault, make_sample_library

T0 = 1_767_225_600
FRANKENSTEINS = [
    ("Frankenstein", ["Mary Shelley"]),
    ("Frankenstein; or, The Modern Prometheus (1831)", ["Mary Shelley"]),
    ("Frankenstein Unbound", ["Brian Aldiss"]),
    ("The New Frankenstein", []),
    ("Frankenstein's Monster", ["Susan Heyboer O'Keefe"]),
    ("Young Frankenstein", ["Mel Brooks", "Gene Wilder"]),
]

pytestmark = pytest.mark.usefixtures("on_the_server")


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return make_sample_library(tmp_path_factory.mktemp("books"))


@pytest.fixture
def server(library):
    server, _ = start_server(library, known=0)
    ids = {title: server.add_book(title, authors) for title, authors in FRANKENSTEINS}
    server.frankenstein_ids = ids
    yield server
    server.stop()


def read(core, book, day=0, path=None, title="use the book's"):
    start = T0 + day * 86400
    result = core.record_session({
        "file_path": str(path or book.path), "title": book.title if title == "use the book's"
        else title, "start_time": start, "end_time": start + 900, "pages_read": 9,
        "start_progress": 1.0, "end_progress": 5.0, "start_location": "1", "end_location": "9"})
    assert result["saved"], result
    return result


def cache_rows(core, book_hash):
    return [dict(row) for row in core.db.connection().execute(
        "SELECT id, file_path, book_id, match_source FROM book_cache WHERE book_hash = ? "
        "ORDER BY id", (book_hash,))]


# -- which book is next -------------------------------------------------------------------

def test_the_walk_visits_each_unmatched_book_once_in_cache_order(core, library):
    for book in library[:3]:
        read(core, book)
    first = core.next_unmatched_book()
    assert first["ok"] and not first["done"] and first["later"] == 2
    assert first["book"]["title"] == library[0].title
    second = core.next_unmatched_book(first["book"]["position"])
    third = core.next_unmatched_book(second["book"]["position"])
    assert [second["book"]["title"], third["book"]["title"]] == [library[1].title,
                                                               library[2].title]
    assert (second["later"], third["later"]) == (1, 0)
    end = core.next_unmatched_book(third["book"]["position"])
    assert end["done"] and end["unmatched"] == 3
    assert end["message"] == "Manual matching finished (3 still unmatched)."


def test_a_book_matched_meanwhile_is_left_out(core, library):
    for book in library[:3]:
        read(core, book)
    first = core.next_unmatched_book()
    core.confirm_match({"book_hash": library[1].file_hash, "book_id": 7}, online=False)
    following = core.next_unmatched_book(first["book"]["position"])
    assert following["book"]["book_hash"] == library[2].file_hash
    assert following["later"] == 0


def test_a_book_without_title_is_searched_by_its_file_name(core, library, tmp_path):
    path = tmp_path / "Frankenstein Unbound.epub"
    shutil.copy(library[2].path, path)
    read(core, library[2], path=path, title=None)
    book = core.next_unmatched_book()["book"]
    assert book["query"] == "Frankenstein Unbound"
    assert book["title"] == "Frankenstein Unbound.epub"


def test_nothing_unmatched_ends_the_walk_at_once(core):
    step = core.next_unmatched_book()
    assert step["done"] and step["message"] == "All books are matched"


# -- the search ------------------------------------------------------------------------------

def test_search_offers_the_five_best_with_author_and_percentage(core, server):
    result = core.search_matches("Frankenstein; or, The Modern Prometheus")
    assert result["ok"] and result["status"] == "found"
    shown = [(r["title"], r.get("author"), r["score_percent"]) for r in result["results"]]
    assert shown == [  # six candidates on the server; ties keep the server's order
        ("Frankenstein; or, The Modern Prometheus (1831)", "Mary Shelley", 85),
        ("Frankenstein", "Mary Shelley", 30),
        ("Frankenstein Unbound", "Brian Aldiss", 30),
        ("The New Frankenstein", None, 30),  # no author on the server: none shown
        ("Frankenstein's Monster", "Susan Heyboer O'Keefe", 30),
    ]
    assert [r["book_id"] for r in result["results"]] == [
        server.frankenstein_ids[title] for title, _, _ in shown]


def test_several_authors_are_joined(core):
    [young] = [r for r in core.search_matches("Young Frankenstein")["results"]
               if r["title"] == "Young Frankenstein"]
    assert young["author"] == "Mel Brooks, Gene Wilder"


def test_an_exact_title_scores_100_percent(core):
    result = core.search_matches("Frankenstein Unbound")
    assert result["results"][0]["title"] == "Frankenstein Unbound"
    assert result["results"][0]["score_percent"] == 100


def test_search_uses_one_connection_and_the_jwt_endpoints(core, server):
    core.search_matches("Frankenstein")
    paths = [path for _, path, _ in server.request_log]
    assert paths[0] == "/api/v1/auth/login" and paths[1] == "/api/v1/books/search"
    assert len([p for p in paths if p.startswith("/api/v1/books/")]) == 1 + 5


def test_no_results_say_so_and_offer_no_retry(core):
    result = core.search_matches("zzzzqqqq")
    assert result["status"] == "none" and result["results"] == [] and not result["retry"]
    assert result["message"] == "No books found on BookLore for “zzzzqqqq”."


def test_offline_search_sends_nothing(core, server):
    result = core.search_matches("Frankenstein", online=False)
    assert result["status"] == "offline" and result["retry"]
    assert result["message"] == "No network connection"
    assert server.request_log == []


def test_unreachable_server_is_offline_with_the_reason(core, server):
    server.stop()
    result = core.search_matches("Frankenstein")
    assert result["status"] == "offline" and result["retry"]
    assert result["message"].startswith("No network connection: Cannot reach 127.0.0.1:")


def test_a_server_error_is_a_failed_search_worth_retrying(core, server):
    # One bad moment: the search fails, the probe that follows finds the endpoint there.
    faults = iter([Fault.ERROR_500])
    server.set_fault(lambda method, path: next(faults, None) if path.endswith("/search")
                     else None)
    result = core.search_matches("Frankenstein")
    assert result["status"] == "failed" and result["retry"]
    assert result["message"].startswith("The search failed: ")
    server.set_fault(None)
    assert core.search_matches("Frankenstein")["status"] == "found"


def test_an_upstream_server_without_search_ranks_its_listing_here(tmp_path, library):
    """No search endpoint: the library listing is fetched once and ranked on the device,
    with the same five results (title, author, score) and no further request while the
    copy is fresh."""
    upstream, _ = start_server(library, known=0, flavour="upstream")
    try:
        for title, authors in FRANKENSTEINS:
            upstream.add_book(title, authors)
        configure(tmp_path / "up", upstream.url)
        core = BookLoreSync(tmp_path / "up")
        first = core.search_matches("Frankenstein")
        listing_requests = [p for _m, p, _s in upstream.request_log if p == "/api/v1/books"]
        again = core.search_matches("frankenstein unbound")
        core.close()
        log = [p for _m, p, _s in upstream.request_log]
    finally:
        upstream.stop()
    assert first["status"] == "found" and len(first["results"]) == 5
    assert first["results"][0] == {"book_id": first["results"][0]["book_id"],
                                   "title": "Frankenstein", "score_percent": 100,
                                   "author": "Mary Shelley"}
    assert all(0 < r["score_percent"] < 100 for r in first["results"][1:])
    assert again["results"][0]["title"] == "Frankenstein Unbound"
    assert again["results"][0]["score_percent"] == 100
    assert listing_requests == ["/api/v1/books"] and log.count("/api/v1/books") == 1
    assert log.count("/api/v1/books/search") == 3  # the search, then the probe's two 500s


def test_a_refused_login_is_an_auth_failure_with_where_to_fix_it(tmp_path, server):
    configure(tmp_path / "bad", server.url, booklore_password="wrong-password")
    core = BookLoreSync(tmp_path / "bad")
    result = core.search_matches("Frankenstein")
    core.close()
    assert result["status"] == "auth"
    assert result["message"].startswith("BookLore refused the account: Login refused (400)")
    assert "Settings → Server and accounts" in result["message"]


def test_without_a_booklore_account_the_search_says_so(tmp_path, server):
    configure(tmp_path / "ko-only", server.url, booklore=False)
    core = BookLoreSync(tmp_path / "ko-only")
    result = core.search_matches("Frankenstein")
    core.close()
    assert result["status"] == "auth" and "BookLore account is not set" in result["message"]
    assert server.request_log == []


# -- the confirmation -------------------------------------------------------------------------

def test_confirm_stores_in_place_for_every_file_and_uploads_that_books_sessions(
        core, server, library, tmp_path):
    copy = tmp_path / "copy of frankenstein.epub"
    shutil.copy(library[2].path, copy)
    read(core, library[2], day=0)
    read(core, library[2], day=1, path=copy)
    before = cache_rows(core, library[2].file_hash)
    book_id = server.frankenstein_ids["Frankenstein"]
    result = core.confirm_match({"book_hash": library[2].file_hash, "book_id": book_id,
                                 "title": "Frankenstein"})
    assert result["ok"] and result["matched"]
    assert result["message"] == "Matched “Frankenstein”.\nSynced: 2 sessions\nFailed: 0"
    after = cache_rows(core, library[2].file_hash)
    assert [r["id"] for r in after] == [r["id"] for r in before] and len(after) == 2
    assert {(r["book_id"], r["match_source"]) for r in after} == {(book_id, "manual")}
    assert [s["bookId"] for s in server.sessions] == [book_id, book_id]
    assert core.queue_counts()["sessions"] == 0
    assert not any("/by-hash/" in path for _, path, _ in server.request_log)


def test_confirm_leaves_other_unmatched_books_alone(core, server, library):
    read(core, library[2])
    read(core, library[3])
    core.confirm_match({"book_hash": library[2].file_hash,
                        "book_id": server.frankenstein_ids["Frankenstein"]})
    assert core.queue_counts()["sessions"] == 1
    assert core.queue_counts()["cache"]["unmatched"] == 1
    assert not any("/by-hash/" in path for _, path, _ in server.request_log)


def test_confirm_offline_stores_the_match_and_leaves_the_upload_for_later(core, server, library):
    read(core, library[2])
    result = core.confirm_match({"book_hash": library[2].file_hash, "book_id": 3,
                                 "title": "Frankenstein"}, online=False)
    assert result["matched"] and "with the next sync" in result["message"]
    assert server.request_log == []
    row = core.db.connection().execute("SELECT book_id FROM pending_sessions").fetchone()
    assert row["book_id"] == 3


def test_a_confirmed_match_survives_clear_cache(core, server, library):
    read(core, library[2])
    book_id = server.frankenstein_ids["Frankenstein"]
    core.confirm_match({"book_hash": library[2].file_hash, "book_id": book_id}, online=False)
    assert core.clear_cache()["removed"] == 1
    report = core.sync_pending()
    assert report["synced"]["sessions"] == 1
    assert [s["bookId"] for s in server.sessions] == [book_id]


@pytest.mark.parametrize("choice", [
    {"book_hash": "not a hash", "book_id": 3},
    {"book_hash": "0" * 32, "book_id": 0},
    {"book_hash": "0" * 32, "book_id": 2.5},
    {"book_hash": "0" * 32},
])
def test_confirm_refuses_what_is_not_a_match(core, choice):
    result = core.confirm_match(choice, online=False)
    assert result["ok"] is False and result["message"] == "Not a book to match"

