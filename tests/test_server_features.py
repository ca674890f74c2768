"""What a server offers, decided from answers that cannot mislead (server/features.py), and
the library listing read into what matching needs (server/library_listing.py): against the
tools server in both flavours, and against pytest-httpserver for the answers in between."""

import pytest

from python_core.errors import BadResponse, Unreachable
from python_core.server import features
from python_core.server.client import BookLoreClient, Credentials, md5_hex
from python_core.server.features import BATCH, BY_HASH, READ_BACK, SEARCH, MemoryFeatureStore
from python_core.server.library_listing import MAX_LISTING_BYTES, LibraryBook, parse_listing
from python_core.server.transport import MAX_BODY_BYTES
from tests.plugin_support import BOOKLORE, KOREADER
from tools.booklore_server import BookLoreServer

FORK_OFFERS = {BATCH: True, BY_HASH: True, SEARCH: True, READ_BACK: True}
UPSTREAM_OFFERS = {BATCH: False, BY_HASH: False, SEARCH: False, READ_BACK: True}


def client_for(url, koreader=True, booklore=True, store=None):
    return BookLoreClient(Credentials(
        server_url=url, koreader_user=KOREADER[0] if koreader else None,
        koreader_key=md5_hex(KOREADER[1]) if koreader else None,
        booklore_user=BOOKLORE[0] if booklore else None,
        booklore_password=BOOKLORE[1] if booklore else None), features=store)


def start(flavour):
    server = BookLoreServer(flavour=flavour).start()
    server.add_user(*BOOKLORE, koreader=KOREADER)
    return server


@pytest.fixture(params=["fork", "upstream"])
def flavoured(request):
    server = start(request.param)
    yield server
    server.stop()


@pytest.fixture
def upstream():
    server = start("upstream")
    yield server
    server.stop()


def offers(client):
    return {feature: client.has(feature) for feature in features.PROBED}


def test_each_flavour_is_recognised_and_nothing_is_stored_by_the_probes(flavoured):
    with client_for(flavoured.url) as client:
        expected = FORK_OFFERS if flavoured.flavour == "fork" else UPSTREAM_OFFERS
        assert offers(client) == expected
    assert flavoured.sessions == []


def test_upstream_batch_is_judged_on_every_answer_not_the_last_alone(upstream):
    """Upstream answers KOReader headers with 403 and the JWT retry with 500: that pair is
    how a server without the endpoint answers. A 500 is confirmed by a second probe (a
    server with the endpoint fails with 500 only in a bad moment)."""
    with client_for(upstream.url) as client:
        assert client.has(BATCH) is False
    batch = [status for _method, path, status in upstream.request_log
             if path.endswith("/batch")]
    assert batch == [403, 500, 500]


def test_one_500_from_a_server_with_the_endpoint_is_not_taken_for_missing(httpserver):
    answers = iter([(500, '{"status":500,"message":"An unexpected error occurred."}'),
                    (400, '{"status":400,"message":"Validation error"}')])

    def batch(request):
        from werkzeug import Response
        status, body = next(answers)
        return Response(body, status, content_type="application/json")
    httpserver.expect_request("/api/v1/reading-sessions/batch").respond_with_handler(batch)
    with client_for(httpserver.url_for("/").rstrip("/"), booklore=False) as client:
        assert client.has(BATCH) is True


def test_koreader_headers_refused_with_no_other_account_make_the_batch_unusable(flavoured):
    with client_for(flavoured.url, booklore=False) as client:
        expected = flavoured.flavour == "fork"
        assert client.has(BATCH) is expected
        assert client.has(SEARCH) is None and client.has(READ_BACK) is None  # no account


def test_a_decision_is_remembered_and_not_asked_again(flavoured):
    store = MemoryFeatureStore()
    with client_for(flavoured.url, store=store) as client:
        first = offers(client)
        asked = len(flavoured.request_log)
        assert offers(client) == first
        assert len(flavoured.request_log) == asked
    with client_for(flavoured.url, store=store) as client:  # a new client, the same memory
        assert offers(client) == first
    assert len(flavoured.request_log) == asked


def test_a_real_by_hash_lookup_teaches_the_feature(flavoured):
    store = MemoryFeatureStore()
    with client_for(flavoured.url, store=store) as client:
        assert client.book_by_hash("f" * 32) is None
        assert store.load(BY_HASH) is (flavoured.flavour == "fork")


@pytest.mark.parametrize("answer", [
    ("", 502, None), ("busy", 503, "text/plain"), ('{"status":429}', 429, "application/json"),
], ids=["502", "503", "429"])
@pytest.mark.parametrize("feature, path", [
    (BATCH, "/api/v1/reading-sessions/batch"), (SEARCH, "/api/v1/books/search"),
    (READ_BACK, "/api/v1/reading-sessions/book/0"),
    (BY_HASH, "/api/koreader/books/by-hash/" + features.PROBE_HASH)])
def test_an_answer_in_between_decides_nothing(httpserver, feature, path, answer):
    body, status, content_type = answer
    httpserver.expect_request("/api/v1/auth/login").respond_with_json(
        {"accessToken": "a" * 20, "refreshToken": "r" * 20})
    httpserver.expect_request(path).respond_with_data(body, status, content_type=content_type)
    store = MemoryFeatureStore()
    with client_for(httpserver.url_for("/").rstrip("/"), store=store) as client:
        assert client.has(feature) is None
    assert store.load(feature) is None


def test_a_lost_probe_answer_decides_nothing_and_offline_is_raised(httpserver):
    with client_for("http://127.0.0.1:9") as client:
        with pytest.raises(Unreachable):
            client.has(BATCH)


@pytest.mark.parametrize("status, body, expected", [
    (400, '{"status":400,"message":"Validation error","details":["sessions: x"]}', True),
    (404, '{"status":404,"message":"Book not found with ID: 0"}', True),
    (404, '{"status":404,"message":"Resource not found: batch"}', False),
    (405, "", False),
    (500, '{"status":500,"message":"An unexpected error occurred."}', False),
    (200, "<html>portal</html>", None),
    (401, "", None),
], ids=["validation", "book-lookup-first", "no-resource", "405", "500", "2xx-page", "401"])
def test_batch_verdicts_with_one_jwt_answer(status, body, expected):
    content_type = "application/json" if body.startswith("{") else "text/html"
    reply = features.Reply(status, content_type if body else "", body.encode())
    assert features.batch_verdict([("jwt", reply)]) is expected


# -- the library listing ----------------------------------------------------------------------

def test_the_listing_is_read_into_books_with_their_files(flavoured):
    first = flavoured.add_book("Dune", ["Frank Herbert"], isbn13="978-0-441-01359-3",
                               isbn10="0441013597", file_name="dune.epub", file_size_kb=812,
                               alternative_formats=[("dune.pdf", 2048, "PDF")])
    second = flavoured.add_book(None, [], file_name="untitled.cbz", book_type="CBX",
                                file_size_kb=0)
    with client_for(flavoured.url) as client:
        books = {book.book_id: book for book in client.library_books()}
    assert books[first] == LibraryBook(first, "Dune", ("Frank Herbert",), "9780441013593",
                                       "0441013597", (("dune.epub", 812), ("dune.pdf", 2048)))
    assert books[second] == LibraryBook(second, None, (), None, None, (("untitled.cbz", 0),))


def test_a_listing_larger_than_other_answers_may_be_is_read_whole():
    server = BookLoreServer(flavour="upstream").start()
    try:
        server.add_user(*BOOKLORE)
        for n in range(16_000):
            server.add_book(f"A title of book number {n}", [f"Author {n % 97}"],
                            isbn13=f"978{n:010d}", file_name=f"book-number-{n}.epub",
                            file_size_kb=n)
        with client_for(server.url, koreader=False) as client:
            books = client.library_books()
    finally:
        server.stop()
    assert MAX_BODY_BYTES < 16_000 * 560 < MAX_LISTING_BYTES
    assert len(books) == 16_000 and books[-1].files == (("book-number-15999.epub", 15999),)


def test_listing_entries_without_an_integer_id_are_skipped():
    body = b'[{"id": 1, "metadata": {"title": "Kept"}}, {"id": "2"}, {"title": "no id"}, 7]'
    assert [book.book_id for book in parse_listing(body, 200)] == [1]


@pytest.mark.parametrize("body", [b'{"content": []}', b"[1, 2", b"\xff\xfe"],
                         ids=["not-a-list", "cut-off", "not-utf8"])
def test_a_listing_that_is_not_a_list_of_books_is_bad_response(body):
    with pytest.raises(BadResponse):
        parse_listing(body, 200)


def test_a_listing_answered_by_a_web_page_is_bad_response(httpserver):
    httpserver.expect_request("/api/v1/auth/login").respond_with_json(
        {"accessToken": "a" * 20, "refreshToken": "r" * 20})
    httpserver.expect_request("/api/v1/books").respond_with_data(
        "<html><title>Login</title></html>", 200, content_type="text/html")
    with client_for(httpserver.url_for("/").rstrip("/")) as client:
        with pytest.raises(BadResponse, match="web page"):
            client.library_books()
