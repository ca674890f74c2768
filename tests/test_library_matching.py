"""Matching against the library listing (books/library.py) and ranking it for manual
matching (books/library_ranking.py): exact evidence only, and the best five exactly."""

import itertools
import time

import pytest

from python_core.books import library
from python_core.books.library import LibraryIndex, LibraryListing, ListedBook, isbn13_key
from python_core.books.library_ranking import rank
from python_core.store import Database, library_listing

DUNE = ListedBook(1, "Dune", ("Frank Herbert",), "9780441013593", None,
                  (("Dune.epub", 812), ("dune.pdf", 4000)))
DUNE_AUDIO = ListedBook(2, "Dune (audio)", (), None, "0441013597", (("dune.m4b", 90000),))
EMMA = ListedBook(3, "Emma", ("Jane Austen",), None, None, (("emma.epub", 300),))
EMMA_COPY = ListedBook(4, "Emma", ("Jane Austen",), None, None, (("emma.epub", 300),))
INDEX = LibraryIndex([DUNE, DUNE_AUDIO, EMMA, EMMA_COPY])


def local(**facts):
    return {"book_hash": "a" * 32, **facts}


def test_isbn10_and_isbn13_of_one_book_are_one_key():
    assert isbn13_key("0441013597") == isbn13_key("978-0-441-01359-3") == "9780441013593"
    assert isbn13_key("080442957X") == "9780804429573"
    assert isbn13_key("12345") is None and isbn13_key(None) is None


def test_an_isbn_naming_one_book_matches():
    only = LibraryIndex([DUNE, EMMA])
    assert only.match(local(isbn10="0441013597")) == (1, "isbn")


def test_two_books_with_one_isbn_are_told_apart_by_the_file_or_not_at_all():
    assert INDEX.match(local(isbn13="9780441013593")) is None
    dune_file = local(isbn13="9780441013593", file_path="/books/dune.pdf",
                      file_size=4000 * 1024 + 17)
    assert INDEX.match(dune_file) == (1, "isbn")


def test_the_same_file_name_and_size_match_whatever_case_and_accents_became():
    assert INDEX.match(local(file_path="/mnt/onboard/DUNE.EPUB", file_size=812 * 1024)) == (
        1, "file")
    accented = LibraryIndex([ListedBook(9, "Les Misérables", (), None, None,
                                        (("Les Mise\u0301rables.epub", 2000),))])
    assert accented.match(local(file_path="/b/Les Misérables.epub", file_size=2000 * 1024)) == (
        9, "file")


@pytest.mark.parametrize("facts", [
    dict(file_path="/b/Dune.epub", file_size=813 * 1024),   # another size
    dict(file_path="/b/Dune2.epub", file_size=812 * 1024),  # another name
    dict(file_path="/b/emma.epub", file_size=300 * 1024),   # two books have that file
    dict(file_path="/b/Dune.epub"),                          # size unknown
    dict(),
], ids=["size", "name", "ambiguous", "no-size", "nothing"])
def test_anything_short_of_exact_unique_evidence_is_no_match(facts):
    assert INDEX.match(local(**facts)) is None


# -- ranking -----------------------------------------------------------------------------------

def test_the_same_words_score_100_percent_whatever_order_case_and_punctuation():
    [best] = rank([DUNE, EMMA], "DUNE!", limit=1)
    assert best.book == DUNE and best.score == 1.0
    [by_author] = rank([DUNE, EMMA], "Herbert, Frank - Dune", limit=1)
    assert by_author.book == DUNE and by_author.score == 1.0


def test_nothing_in_common_is_left_out_and_an_empty_query_finds_nothing():
    assert rank([DUNE], "zzqx") == [] and rank([DUNE], "  ") == []


def test_a_typo_or_a_subtitle_still_ranks_the_book_first_below_100_percent():
    books = [ListedBook(1, "The Left Hand of Darkness", ("Ursula K. Le Guin",), None, None, ()),
             ListedBook(2, "The Lathe of Heaven", ("Ursula K. Le Guin",), None, None, ()),
             ListedBook(3, "Darkness Visible", ("William Styron",), None, None, ())]
    for query in ("The Left Hand of Darknes", "left hand of darkness - a novel",
                  "le guin left hand darkness"):
        best = rank(books, query)
        assert best[0].book.book_id == 1 and 0.5 < best[0].score < 1.0, (query, best)


def test_the_best_five_in_score_order_ties_by_id():
    books = [ListedBook(n, f"Emma {'x' * (n % 3)}".strip(), (), None, None, ())
             for n in range(1, 20)]
    best = rank(books, "emma")
    assert len(best) == 5 and [r.score for r in best] == sorted((r.score for r in best),
                                                                reverse=True)
    assert [r.book.book_id for r in best][:5] == [3, 6, 9, 12, 15]  # "Emma" exactly


# -- the cached listing --------------------------------------------------------------------------

class CountingClient:
    def __init__(self, books):
        self.books, self.calls = books, 0

    def library_books(self):
        self.calls += 1
        return list(self.books)


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "db.sqlite")
    yield database
    database.close()


def test_no_copy_means_one_fetch_and_a_fresh_copy_means_none(db):
    client = CountingClient([DUNE])
    assert LibraryListing(db, client, "https://b").find(local(isbn13="9780441013593"))
    assert client.calls == 1
    # a second use within minutes: from the cache, even for a book that is not there
    assert LibraryListing(db, client, "https://b").find(local(isbn13="9780000000002")) is None
    assert client.calls == 1


def test_a_miss_on_a_stale_copy_fetches_once_per_use_and_finds_a_new_book(db):
    client = CountingClient([DUNE])
    LibraryListing(db, client, "https://b").index()
    client.books = [DUNE, EMMA]
    listing = LibraryListing(db, client, "https://b",
                             now=lambda: time.time() + library.MAX_AGE_SECONDS + 1)
    assert listing.find(local(file_path="/e/emma.epub", file_size=300 * 1024)) == (3, "file")
    assert listing.find(local(isbn13="9780000000002")) is None
    assert client.calls == 2  # the miss after the refresh costs nothing more
    rows = library_listing.books(db.connection(), "https://b")
    assert [row[0] for row in rows] == [1, 3]


def test_a_hit_never_fetches_however_old_the_copy(db):
    client = CountingClient([DUNE])
    LibraryListing(db, client, "https://b").index()
    later = LibraryListing(db, client, "https://b",
                           now=lambda: time.time() + 10 * library.MAX_AGE_SECONDS)
    assert later.find(
        local(isbn13="9780441013593")) == (1, "isbn")
    assert client.calls == 1


def test_listings_of_two_servers_are_kept_apart(db):
    LibraryListing(db, CountingClient([DUNE]), "https://one").index()
    LibraryListing(db, CountingClient([EMMA]), "https://two").index()
    ids = {url: [row[0] for row in library_listing.books(db.connection(), url)]
           for url in ("https://one", "https://two")}
    assert ids == {"https://one": [1], "https://two": [3]}
    assert list(itertools.chain(*ids.values())) == [1, 3]
