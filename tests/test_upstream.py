"""Against a server as most readers run it: upstream BookLore, with no by-hash, no search and
no batch endpoint (the tools server's "upstream" flavour, booklore-api.md §2.17-2.18, §1.8).
Books with an ISBN or the same file are matched from the library listing, their sessions
reach the server once each, and the missing endpoints are not asked again."""

import collections
import os
import shutil

import pytest

from python_core.facade import BookLoreSync
from tests.plugin_support import BOOKLORE, KOREADER, configure
from tools.booklore_server import BookLoreServer, make_sample_library

T0 = 1_767_225_600


@pytest.fixture
def shelf(tmp_path):
    """Five sample EPUBs on the device, and a sixth file BookLore does not have."""
    books = make_sample_library(tmp_path / "device")
    stranger = tmp_path / "device" / "not-in-booklore.epub"
    shutil.copy(books[4].path, stranger)
    with open(stranger, "ab") as extra:
        extra.write(b"\0" * 4096)  # another file: another fingerprint and size
    return books, str(stranger)


@pytest.fixture
def upstream(shelf):
    """The library as BookLore lists it: two books by ISBN only (one hyphenated), one by
    its ISBN-10, two by file name and size only, and a book titled like the stranger."""
    books, _stranger = shelf
    server = BookLoreServer(flavour="upstream").start()
    server.add_user(*BOOKLORE, koreader=KOREADER)
    isbn13s = [b.isbn13 for b in books[:3]]
    assert all(isbn13s) and not books[3].isbn13 and not books[4].isbn13
    ids = [server.add_book(books[0].title, books[0].authors, isbn13=isbn13s[0],
                           file_name="renamed on the server.epub"),
           server.add_book(books[1].title, books[1].authors,
                           isbn13=f"{isbn13s[1][:3]}-{isbn13s[1][3:]}", file_name="x.epub"),
           server.add_book(books[2].title, books[2].authors, isbn10=_isbn10(isbn13s[2]),
                           file_name="y.epub")]
    ids += [server.add_book(b.title, b.authors, file_name=os.path.basename(b.path),
                            file_size_kb=os.path.getsize(b.path) // 1024) for b in books[3:]]
    server.add_book("Not In BookLore", [], file_name="something-else.epub", file_size_kb=1)
    server.ids = ids
    yield server
    server.stop()


def _isbn10(isbn13):
    stem = isbn13[3:12]
    check = sum((10 - i) * int(d) for i, d in enumerate(stem)) % 11
    return stem + ("X" if (11 - check) % 11 == 10 else str((11 - check) % 11))


def read(core, path, day, title=None, identifiers=None):
    start = T0 + day * 86400
    result = core.record_session({
        "file_path": path, "title": title, "identifiers": identifiers, "start_time": start,
        "end_time": start + 900, "pages_read": 9, "start_progress": day * 1.5,
        "end_progress": day * 1.5 + 1.25, "start_location": str(day), "end_location": "x"})
    assert result["saved"], result


def read_everything(core, books, stranger, first_day):
    for n, book in enumerate(books):
        read(core, book.path, first_day + n, book.title,
             f"urn:isbn:{book.isbn13}" if book.isbn13 else None)
    read(core, stranger, first_day + 10, "Not In BookLore")


def paths(server):
    return collections.Counter(path for _method, path, _status in server.request_log)


@pytest.fixture
def shelf_read_once(tmp_path, core, shelf, upstream):
    """conftest's `core` with both accounts on `upstream`, and every book of the shelf read
    once, not synced yet."""
    books, stranger = shelf
    configure(tmp_path / "settings", upstream.url)
    read_everything(core, books, stranger, first_day=0)


@pytest.mark.usefixtures("shelf_read_once")
def test_books_are_matched_by_isbn_or_file_and_sessions_uploaded_once_each(core, shelf,
                                                                            upstream):
    books, stranger = shelf
    first = core.sync_pending()
    assert first["resolved_books"] == 5 and first["synced"]["sessions"] == 5, first
    assert first["waiting"]["sessions"] == 1  # the stranger: never guessed from its title
    sources = dict(core.db.connection().execute(
        "SELECT book_id, match_source FROM book_cache WHERE book_id IS NOT NULL"))
    assert sources == {upstream.ids[0]: "isbn", upstream.ids[1]: "isbn",
                       upstream.ids[2]: "isbn", upstream.ids[3]: "file",
                       upstream.ids[4]: "file"}
    asked = paths(upstream)
    assert asked["/api/v1/books"] == 1  # the listing, once for the whole sync
    upstream.clear_request_log()

    read_everything(core, books, stranger, first_day=20)
    second = core.sync_pending()
    assert second["synced"]["sessions"] == 5 and second["waiting"]["sessions"] == 2
    asked = paths(upstream)
    assert asked["/api/v1/reading-sessions/batch"] == 0  # decided once, remembered
    # one session per request, straight by JWT: the 403 to KOReader headers is remembered
    assert asked["/api/v1/reading-sessions"] == 5
    assert not any("by-hash" in path or path.endswith("/search") for path in asked)
    assert asked["/api/v1/books"] == 0  # the stranger misses on a fresh copy: not refetched
    stored = collections.Counter((s["bookId"], s["startTime"]) for s in upstream.sessions)
    assert len(stored) == 10 and set(stored.values()) == {1}


@pytest.mark.usefixtures("shelf_read_once")
def test_the_first_sync_asks_each_missing_endpoint_only_as_often_as_it_must(core, upstream):
    core.sync_pending()
    asked = paths(upstream)
    # by-hash: the first lookup answers with the web app, and no other book is asked
    assert sum(n for path, n in asked.items() if "by-hash" in path) == 1
    # search: one probe, confirmed (upstream's 500 comes every time)
    assert asked["/api/v1/books/search"] == 2
    # batch: KOReader headers 403, the JWT 500, confirmed once: three, then singles
    assert asked["/api/v1/reading-sessions/batch"] == 3


def test_match_unmatched_books_uses_the_listing_too(tmp_path, shelf, upstream):
    books, _stranger = shelf
    configure(tmp_path / "settings", upstream.url)
    core = BookLoreSync(tmp_path / "settings")
    for book in books:
        assert core.record_book({"file_path": book.path, "title": book.title,
                                 "identifiers": f"urn:isbn:{book.isbn13}" if book.isbn13
                                 else None})["ok"]
    result = core.match_unmatched()
    assert result["matched"] == 5 and result["remaining"] == 0, result
    core.close()


def test_at_book_open_a_file_known_by_name_and_size_is_matched(tmp_path, shelf, upstream):
    books, _stranger = shelf
    configure(tmp_path / "settings", upstream.url)
    core = BookLoreSync(tmp_path / "settings")
    opened = core.record_book({"file_path": books[3].path, "title": books[3].title})
    found = core.identify_book({"book_hash": opened["book_hash"], "title": books[3].title})
    assert (found["book_id"], found["source"]) == (upstream.ids[3], "file")
    core.close()
