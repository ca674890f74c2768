"""BookLoreClient against a real local HTTP server (pytest-httpserver).

Every request the client makes is checked for TLS verification, explicit timeouts and
no redirect following; every test's log output, and every exception it sees, is checked
for secrets.
"""

import hashlib
import logging
import socket
import ssl
import time

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Response

from python_core import __version__
from python_core.errors import (
    AuthError,
    BadResponse,
    NotFound,
    Rejected,
    ResponseLost,
    ServerError,
    Unreachable,
    UnreadableAnswer,
)
from python_core.server.client import MAX_BODY_BYTES, BookLoreClient, Credentials, Tokens, md5_hex

KO_USER = "reader"
KO_PASSWORD = "ko-pass-word"
KO_KEY = md5_hex(KO_PASSWORD)
BL_USER = "alice"
BL_PASSWORD = "correct-horse-battery"
OLD_ACCESS, OLD_REFRESH = "old-access-token-aaaa", "old-refresh-token-bbbb"
NEW_ACCESS, NEW_REFRESH = "new-access-token-cccc", "new-refresh-token-dddd"
SECRETS = (KO_PASSWORD, KO_KEY, BL_PASSWORD, OLD_ACCESS, OLD_REFRESH, NEW_ACCESS, NEW_REFRESH)

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
AUTH = "/api/koreader/users/auth"
BY_HASH = "/api/koreader/books/by-hash/0123456789abcdef0123456789abcdef"
SESSIONS = "/api/v1/reading-sessions"
BATCH = "/api/v1/reading-sessions/batch"
ANNOTATIONS = "/api/v1/annotations"
HEALTH = "/api/v1/healthcheck"
KO_HEADERS = {"x-auth-user": KO_USER, "x-auth-key": KO_KEY}
NEW_TOKENS = {"accessToken": NEW_ACCESS, "refreshToken": NEW_REFRESH, "isDefaultPassword": "false"}
BOOK = {"id": 42, "libraryId": 1, "metadata": {"title": "Dune", "authors": ["Frank Herbert"]}}
ITEM = {"startTime": "2026-02-22T14:00:00Z", "endTime": "2026-02-22T15:00:00Z",
        "durationSeconds": 3600, "startLocation": "10", "endLocation": "20"}
INVALID_CREDENTIALS = {"status": 400, "message": "Invalid credentials", "timestamp": "2026-03-11T19:42:58"}


class MemoryStore:
    """The TokenStore double: remembers what the client saved and blocked."""

    def __init__(self, tokens=None, blocked=None):
        self.tokens, self.blocked, self.blocks = tokens, blocked, []

    def load_tokens(self):
        return self.tokens

    def save_tokens(self, tokens):
        self.tokens = tokens

    def login_blocked(self):
        return self.blocked

    def block_login(self, reason):
        self.blocks.append(reason)
        self.blocked = reason


@pytest.fixture(autouse=True)
def request_options(monkeypatch):
    """Check the options of every request the client sends."""
    original = requests.Session.request

    def checked(session, method, url, **kwargs):
        assert kwargs["verify"] is True or isinstance(kwargs["verify"], str)
        assert kwargs["allow_redirects"] is False and kwargs["stream"] is True
        assert isinstance(kwargs["timeout"], tuple) and len(kwargs["timeout"]) == 2
        assert session.trust_env is False
        return original(session, method, url, **kwargs)

    monkeypatch.setattr(requests.Session, "request", checked)


@pytest.fixture(autouse=True)
def no_secret_logged(caplog):
    caplog.set_level(logging.DEBUG)
    yield
    assert [s for s in SECRETS if s in caplog.text] == []


@pytest.fixture
def make_client(httpserver):
    clients = []

    def make(store=None, *, koreader=True, booklore=True, url=None, timeout=(2.0, 5.0),
             ca_bundle=None):
        credentials = Credentials(
            server_url=url or httpserver.url_for("/"),
            koreader_user=KO_USER if koreader else None,
            koreader_key=KO_KEY if koreader else None,
            booklore_user=BL_USER if booklore else None,
            booklore_password=BL_PASSWORD if booklore else None)
        client = BookLoreClient(credentials, store, timeout=timeout, ca_bundle=ca_bundle)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def raised(kind, call, *args, **kwargs):
    """The exception `call` raises, checked for secrets and for attached library errors."""
    with pytest.raises(kind) as info:
        call(*args, **kwargs)
    error = info.value
    assert [s for s in SECRETS if s in f"{error} {error!r}"] == []
    chained = error.__cause__ or error.__context__
    while chained is not None:
        assert not type(chained).__module__.startswith(("requests", "urllib3"))
        chained = chained.__cause__ or chained.__context__
    return error


def sent(httpserver, path):
    return [request for request, _ in httpserver.log if request.path == path]


def closed_port():
    """A port with nothing listening: bound but never listening, so connects are refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


# -- plain data -----------------------------------------------------------------------------

def test_md5_hex_is_lowercase_hex_of_the_utf8_password():
    assert md5_hex("kopass") == "deccf30c2e1653081b566743a5fc23b2"
    assert md5_hex("pässwörd") == hashlib.md5("pässwörd".encode()).hexdigest()


def test_reprs_hide_secrets_and_the_server_url_loses_its_trailing_slash():
    credentials = Credentials("https://books.example.org/booklore/ ", KO_USER, KO_KEY,
                              BL_USER, BL_PASSWORD)
    tokens = Tokens(OLD_ACCESS, OLD_REFRESH)
    assert credentials.server_url == "https://books.example.org/booklore"
    assert KO_USER in repr(credentials)
    assert [s for s in SECRETS if s in f"{credentials!r} {credentials} {tokens!r} {tokens}"] == []


# -- KOReader-header endpoints --------------------------------------------------------------

def test_koreader_auth_sends_md5_headers_and_no_bearer(httpserver, make_client):
    httpserver.expect_request(AUTH, method="GET", headers={
        **KO_HEADERS, "Accept": "application/json",
        "User-Agent": f"booklore-sync/{__version__}"}).respond_with_json({"username": KO_USER})
    client = make_client(MemoryStore(Tokens(OLD_ACCESS, OLD_REFRESH)))
    assert client.check_koreader_auth() == KO_USER
    assert "Authorization" not in sent(httpserver, AUTH)[0].headers


def test_book_by_hash_returns_the_book(httpserver, make_client):
    httpserver.expect_request(BY_HASH, headers=KO_HEADERS).respond_with_json(BOOK)
    client = make_client(MemoryStore(Tokens(OLD_ACCESS, OLD_REFRESH)))
    assert client.book_by_hash(BY_HASH.rsplit("/", 1)[1]) == BOOK
    assert "Authorization" not in sent(httpserver, BY_HASH)[0].headers


@pytest.mark.parametrize("body, status, content_type", [
    ('{"status":404,"message":"Book with hash x not found"}', 404, "application/json"),
    ("<!doctype html><html><body>BookLore</body></html>", 200, "text/html"),
    ('{"id": "42"}', 200, "application/json"),
    ('[{"id": 42}]', 200, "application/json"),
], ids=["404", "spa-fallback-html", "id-not-integer", "not-an-object"])
def test_book_by_hash_is_none_when_the_server_has_no_match(httpserver, make_client, body,
                                                           status, content_type):
    httpserver.expect_request(BY_HASH).respond_with_data(body, status, content_type=content_type)
    assert make_client().book_by_hash(BY_HASH.rsplit("/", 1)[1]) is None


def test_403_spring_shape_is_auth_error(httpserver, make_client):
    httpserver.expect_request(BY_HASH).respond_with_json(
        {"timestamp": "2026-03-11T19:42:58.123+00:00", "status": 403, "error": "Forbidden",
         "path": BY_HASH}, status=403)
    error = raised(AuthError, make_client().book_by_hash, BY_HASH.rsplit("/", 1)[1])
    assert error.status == 403 and str(error) == "Server refused access (403): Forbidden"


def test_empty_401_is_auth_error(httpserver, make_client):
    httpserver.expect_request(AUTH).respond_with_data("", status=401)
    error = raised(AuthError, make_client().check_koreader_auth)
    assert error.status == 401 and "Unauthorized" in str(error)


def test_koreader_call_without_a_koreader_account_sends_nothing(httpserver, make_client):
    error = raised(AuthError, make_client(koreader=False).check_koreader_auth)
    assert "KOReader account is not set" in str(error)
    assert httpserver.log == []


# -- reading sessions -----------------------------------------------------------------------

@pytest.mark.parametrize("body, content_type", [("", None), ('{"sessionId": 1}', "application/json")],
                         ids=["empty", "session-id"])
def test_post_session_accepts_202_with_or_without_a_body(httpserver, make_client, body,
                                                         content_type):
    httpserver.expect_request(SESSIONS, method="POST", headers=KO_HEADERS,
                              json={"bookId": 42, "bookType": "EPUB", **ITEM}
                              ).respond_with_data(body, 202, content_type=content_type)
    client = make_client(MemoryStore(Tokens(OLD_ACCESS, OLD_REFRESH)))
    assert client.post_session(42, "EPUB", ITEM) is None
    assert "Authorization" not in sent(httpserver, SESSIONS)[0].headers


@pytest.mark.parametrize("path, call", [
    (SESSIONS, lambda client: client.post_session(42, "EPUB", ITEM)),
    (BATCH, lambda client: client.post_session_batch(42, "EPUB", [ITEM])),
], ids=["single", "batch"])
def test_a_2xx_session_answer_that_cannot_be_read_is_unreadable_not_missing(
        httpserver, make_client, path, call):
    """The server said yes; the body is no answer of BookLore's. It probably stored the
    sessions: counted like a lost answer (ResponseLost), never taken as "no endpoint"."""
    httpserver.expect_request(path, method="POST").respond_with_data(
        "<html><title>Wi-Fi login</title></html>", 200, content_type="text/html")
    error = raised(UnreadableAnswer, call, make_client())
    assert isinstance(error, ResponseLost)
    assert error.status == 200 and "web page" in str(error) and "probably stored" in str(error)


@pytest.mark.parametrize("body", ['{"totalRequested": 1', "[1, 2]", '"ok"'],
                         ids=["cut-off", "array", "string"])
def test_a_2xx_batch_answer_of_the_wrong_shape_is_unreadable(httpserver, make_client, body):
    httpserver.expect_request(BATCH, method="POST").respond_with_data(
        body, 200, content_type="application/json")
    raised(UnreadableAnswer, make_client().post_session_batch, 42, "EPUB", [ITEM])


def test_post_session_batch_returns_the_servers_summary(httpserver, make_client):
    summary = {"totalRequested": 2, "successCount": 2,
               "results": [{"sessionId": 101}, {"sessionId": 102}]}
    httpserver.expect_request(BATCH, method="POST", headers=KO_HEADERS, json={
        "bookId": 42, "bookType": "PDF", "sessions": [ITEM, ITEM]}).respond_with_json(summary)
    assert make_client().post_session_batch(42, "PDF", [ITEM, ITEM]) == summary


def test_post_session_batch_with_an_empty_2xx_is_an_empty_summary(httpserver, make_client):
    httpserver.expect_request(BATCH, method="POST").respond_with_data("", 200)
    assert make_client().post_session_batch(42, "PDF", [ITEM]) == {}


def test_session_post_logs_in_when_there_is_no_koreader_account(httpserver, make_client):
    httpserver.expect_ordered_request(LOGIN, method="POST", json={
        "username": BL_USER, "password": BL_PASSWORD}).respond_with_json(NEW_TOKENS)
    httpserver.expect_ordered_request(SESSIONS, method="POST", headers={
        "Authorization": f"Bearer {NEW_ACCESS}"}).respond_with_data("", 202)
    store = MemoryStore()
    make_client(store, koreader=False).post_session(42, "EPUB", ITEM)
    assert store.tokens == Tokens(NEW_ACCESS, NEW_REFRESH)
    assert "x-auth-key" not in sent(httpserver, SESSIONS)[0].headers


# -- JWT life cycle -------------------------------------------------------------------------

def test_expired_token_is_refreshed_and_the_request_resent(httpserver, make_client):
    httpserver.expect_ordered_request(ANNOTATIONS, method="POST", headers={
        "Authorization": f"Bearer {OLD_ACCESS}"}).respond_with_data("", 401)
    httpserver.expect_ordered_request(REFRESH, method="POST", json={
        "refreshToken": OLD_REFRESH}).respond_with_json(
        {"accessToken": NEW_ACCESS, "refreshToken": NEW_REFRESH})
    httpserver.expect_ordered_request(ANNOTATIONS, method="POST", headers={
        "Authorization": f"Bearer {NEW_ACCESS}"}, json={"bookId": 42}).respond_with_json({"id": 7})
    store = MemoryStore(Tokens(OLD_ACCESS, OLD_REFRESH))
    assert make_client(store).post_annotation({"bookId": 42}) == {"id": 7}
    assert store.tokens == Tokens(NEW_ACCESS, NEW_REFRESH)
    assert "Authorization" not in sent(httpserver, REFRESH)[0].headers
    assert sent(httpserver, LOGIN) == []


def test_refused_refresh_falls_back_to_one_login_then_resends(httpserver, make_client):
    httpserver.expect_ordered_request(ANNOTATIONS, method="POST").respond_with_data("", 401)
    httpserver.expect_ordered_request(REFRESH, method="POST").respond_with_json(
        INVALID_CREDENTIALS, status=400)
    httpserver.expect_ordered_request(LOGIN, method="POST", json={
        "username": BL_USER, "password": BL_PASSWORD}).respond_with_json(NEW_TOKENS)
    httpserver.expect_ordered_request(ANNOTATIONS, method="POST", headers={
        "Authorization": f"Bearer {NEW_ACCESS}"}).respond_with_json({"id": 7})
    store = MemoryStore(Tokens(OLD_ACCESS, OLD_REFRESH))
    assert make_client(store).post_annotation({"bookId": 42}) == {"id": 7}
    assert store.tokens == Tokens(NEW_ACCESS, NEW_REFRESH) and store.blocks == []
    assert len(sent(httpserver, LOGIN)) == 1
    assert "Authorization" not in sent(httpserver, LOGIN)[0].headers


def test_a_second_401_after_renewal_is_auth_error_without_a_loop(httpserver, make_client):
    httpserver.expect_request(ANNOTATIONS, method="POST").respond_with_data("", 401)
    httpserver.expect_request(REFRESH, method="POST").respond_with_json(NEW_TOKENS)
    error = raised(AuthError, make_client(MemoryStore(Tokens(OLD_ACCESS, OLD_REFRESH))
                                          ).post_annotation, {"bookId": 42})
    assert error.status == 401
    assert [r.path for r, _ in httpserver.log] == [ANNOTATIONS, REFRESH, ANNOTATIONS]


def test_refresh_server_error_is_raised_without_a_login(httpserver, make_client):
    httpserver.expect_ordered_request(ANNOTATIONS, method="POST").respond_with_data("", 401)
    httpserver.expect_ordered_request(REFRESH, method="POST").respond_with_json(
        {"status": 500, "message": "An unexpected error occurred."}, status=500)
    store = MemoryStore(Tokens(OLD_ACCESS, OLD_REFRESH))
    raised(ServerError, make_client(store).post_annotation, {"bookId": 42})
    assert sent(httpserver, LOGIN) == [] and store.blocks == []


@pytest.mark.parametrize("status, body", [
    (400, INVALID_CREDENTIALS),
    (429, {"status": 429, "message": "Too many failed login attempts. Please try again later."}),
], ids=["invalid-credentials", "rate-limited"])
def test_refused_login_blocks_further_automatic_logins(httpserver, make_client, status, body):
    httpserver.expect_request(LOGIN, method="POST").respond_with_json(body, status=status)
    store = MemoryStore()
    client = make_client(store)
    error = raised(AuthError, client.search_books, title="Dune")
    assert error.status == status and body["message"] in str(error)
    assert store.blocks == [str(error)]
    again = raised(AuthError, client.search_books, title="Dune")
    assert body["message"] in str(again)
    assert len(httpserver.log) == 1


def test_explicit_login_ignores_a_block_and_never_sends_a_stale_bearer(httpserver, make_client):
    httpserver.expect_request(LOGIN, method="POST", json={
        "username": BL_USER, "password": BL_PASSWORD}).respond_with_json(NEW_TOKENS)
    store = MemoryStore(Tokens(OLD_ACCESS, OLD_REFRESH), blocked="Login refused (400)")
    make_client(store).login()
    assert store.tokens == Tokens(NEW_ACCESS, NEW_REFRESH)
    assert "Authorization" not in sent(httpserver, LOGIN)[0].headers


def test_login_server_error_does_not_block(httpserver, make_client):
    httpserver.expect_request(LOGIN, method="POST").respond_with_data("", 503)
    store = MemoryStore()
    assert raised(ServerError, make_client(store).login).status == 503
    assert store.blocks == []


def test_jwt_call_without_a_booklore_account_sends_nothing(httpserver, make_client):
    client = make_client(booklore=False)
    assert str(raised(AuthError, client.put_rating, 42, 8)) == "BookLore account is not set"
    assert str(raised(AuthError, client.login)) == "BookLore account is not set"
    assert httpserver.log == []


def test_login_answer_without_a_token_is_bad_response(httpserver, make_client):
    httpserver.expect_request(LOGIN, method="POST").respond_with_json({"isDefaultPassword": "false"})
    store = MemoryStore()
    raised(BadResponse, make_client(store).login)
    assert store.tokens is None


def test_secret_echoed_by_the_server_is_redacted(httpserver, make_client):
    httpserver.expect_request(LOGIN, method="POST").respond_with_json(
        {"status": 400, "message": f"Invalid credentials for {BL_USER}/{BL_PASSWORD}"}, status=400)
    store = MemoryStore()
    error = raised(AuthError, make_client(store).login)
    assert f"{BL_USER}/***" in str(error) and BL_PASSWORD not in store.blocks[0]


def test_secret_at_the_truncation_point_is_redacted_whole(httpserver, make_client):
    httpserver.expect_request(ANNOTATIONS, method="POST").respond_with_json(
        {"status": 400, "message": "a" * 290 + OLD_ACCESS}, status=400)
    client = make_client(MemoryStore(Tokens(OLD_ACCESS, OLD_REFRESH)))
    assert OLD_ACCESS[:8] not in str(raised(Rejected, client.post_annotation, {"bookId": 42}))


# -- JWT endpoints --------------------------------------------------------------------------

def test_search_books_sends_the_query_and_returns_the_books(httpserver, make_client):
    results = [{"id": 42, "title": "Dune", "matchScore": 1.0}]
    httpserver.expect_request("/api/v1/books/search", method="GET",
                              query_string={"isbn": "9780441013593"},
                              headers={"Authorization": f"Bearer {OLD_ACCESS}"}
                              ).respond_with_json([*results, "junk"])
    client = make_client(MemoryStore(Tokens(OLD_ACCESS, OLD_REFRESH)))
    assert client.search_books(isbn="9780441013593") == results


def test_search_books_needs_a_title_or_an_isbn(httpserver, make_client):
    with pytest.raises(ValueError):
        make_client(MemoryStore(Tokens(OLD_ACCESS, OLD_REFRESH))).search_books()
    assert httpserver.log == []


BOOK_SESSIONS = "/api/v1/reading-sessions/book/42"


def stored(start, end=None, duration=60, **fields):
    return {"id": 1, "bookId": 42, "bookType": "EPUB", "startTime": start,
            "endTime": end or start, "durationSeconds": duration, "startProgress": 1.5,
            "endProgress": 2.5, "progressDelta": 1.0, "startLocation": "1", "endLocation": "2",
            **fields}


def expect_sessions_page(httpserver, page, content, size=2, total_pages=None, **body):
    meta = {"size": size, "number": page, "totalElements": 99, "totalPages": total_pages}
    meta = {key: value for key, value in meta.items() if value is not None}
    httpserver.expect_ordered_request(
        BOOK_SESSIONS, method="GET", query_string={"page": str(page), "size": str(size)},
        headers={"Authorization": f"Bearer {OLD_ACCESS}"}).respond_with_json(
        {"content": content, **({"page": meta} if not body else body)})


def jwt_client(make_client):
    return make_client(MemoryStore(Tokens(OLD_ACCESS, OLD_REFRESH)))


def test_book_sessions_pages_newest_first_until_a_short_page(httpserver, make_client):
    expect_sessions_page(httpserver, 0, [stored("2026-03-03T10:00:00Z"),
                                         stored("2026-03-02T10:00:00Z")], total_pages=9)
    expect_sessions_page(httpserver, 1, [stored("2026-03-01T10:00:00Z")], total_pages=9)
    sessions = list(jwt_client(make_client).book_sessions(42, page_size=2))
    assert [s["startTime"] for s in sessions] == [
        "2026-03-03T10:00:00Z", "2026-03-02T10:00:00Z", "2026-03-01T10:00:00Z"]
    assert sessions[0]["startProgress"] == 1.5 and len(httpserver.log) == 2


def test_book_sessions_since_stops_at_the_first_older_start_without_another_page(
        httpserver, make_client):
    expect_sessions_page(httpserver, 0, [stored("2026-03-03T10:00:00Z"),
                                         stored("2026-03-01T10:00:00Z")], total_pages=5)
    sessions = jwt_client(make_client).book_sessions(42, since="2026-03-02T00:00:00+00:00",
                                                     page_size=2)
    assert [s["startTime"] for s in sessions] == ["2026-03-03T10:00:00Z"]
    assert len(httpserver.log) == 1


def test_book_sessions_stops_at_the_last_page_and_reads_the_legacy_shape(httpserver, make_client):
    expect_sessions_page(httpserver, 0, [stored("2026-03-03T10:00:00Z")] * 2, total_pages=1)
    assert len(list(jwt_client(make_client).book_sessions(42, page_size=2))) == 2
    httpserver.clear()
    expect_sessions_page(httpserver, 0, [stored("2026-03-03T10:00:00Z")] * 2,
                         number=0, totalPages=7, last=True)
    assert len(list(jwt_client(make_client).book_sessions(42, page_size=2))) == 2
    assert len(httpserver.log) == 1


def test_book_sessions_times_are_canonical_whole_seconds(httpserver, make_client):
    expect_sessions_page(httpserver, 0, [stored("2026-03-03T10:00:00.250Z",
                                                "2026-03-03T11:00:00+01:00")])
    [session] = jwt_client(make_client).book_sessions(42, page_size=2)
    assert (session["startTime"], session["endTime"]) == (
        "2026-03-03T10:00:00Z", "2026-03-03T10:00:00Z")


@pytest.mark.parametrize("content, words", [
    ([{"startTime": "2026-03-03T10:00:00Z", "durationSeconds": 5}], "start and end times"),
    ([stored("2026-03-03T10:00:00")], "start and end times"),
    ([stored("2026-03-03T10:00:00Z", duration=None)], "duration"),
    (["junk"], "not a session"),
    ("nothing", "no list of sessions")])
def test_book_sessions_malformed_page_is_bad_response(httpserver, make_client, content, words):
    expect_sessions_page(httpserver, 0, content)
    error = raised(BadResponse, list, jwt_client(make_client).book_sessions(42, page_size=2))
    assert words in str(error)


def test_book_sessions_page_that_ignores_the_page_number_is_bad_response(httpserver, make_client):
    expect_sessions_page(httpserver, 0, [stored("2026-03-03T10:00:00Z")] * 2)
    httpserver.expect_ordered_request(BOOK_SESSIONS, query_string={"page": "1", "size": "2"}
                                      ).respond_with_json(
        {"content": [stored("2026-03-03T10:00:00Z")] * 2, "page": {"number": 0}})
    error = raised(BadResponse, list, jwt_client(make_client).book_sessions(42, page_size=2))
    assert "page 0 when page 1" in str(error)


def test_book_sessions_stop_after_max_pages_of_a_server_that_never_ends(
        httpserver, make_client, monkeypatch):
    monkeypatch.setattr("python_core.server.client.MAX_PAGES", 3)
    httpserver.expect_request(BOOK_SESSIONS).respond_with_json(
        {"content": [stored("2026-03-03T10:00:00Z")] * 2})
    raised(BadResponse, list, jwt_client(make_client).book_sessions(42, page_size=2))
    assert len(httpserver.log) == 3


def test_book_sessions_of_an_unknown_book_is_not_found(httpserver, make_client):
    httpserver.expect_request(BOOK_SESSIONS).respond_with_json(
        {"status": 404, "message": "Book not found with ID: 42"}, status=404)
    raised(NotFound, list, jwt_client(make_client).book_sessions(42))


def test_book_sessions_page_size_outside_the_servers_range_sends_nothing(httpserver, make_client):
    for size in (0, 101):
        with pytest.raises(ValueError):
            list(jwt_client(make_client).book_sessions(42, page_size=size))
    assert httpserver.log == []


def test_book_sessions_read_back_what_a_batch_stored_on_the_local_server():
    from tools.booklore_server import BookLoreServer
    with BookLoreServer() as srv:
        srv.add_user(BL_USER, BL_PASSWORD, koreader=(KO_USER, KO_PASSWORD))
        book = srv.add_book(title="Dune")
        credentials = Credentials(server_url=srv.url, koreader_user=KO_USER, koreader_key=KO_KEY,
                                  booklore_user=BL_USER, booklore_password=BL_PASSWORD)
        items = [{**ITEM, "startTime": f"2026-02-{day:02d}T14:00:00Z",
                  "endTime": f"2026-02-{day:02d}T15:00:00Z"} for day in range(1, 8)]
        with BookLoreClient(credentials) as client:
            client.post_session_batch(book, "EPUB", items)
            back = list(client.book_sessions(book, page_size=3))
            recent = list(client.book_sessions(book, since="2026-02-05T14:00:00Z"))
    assert [(s["startTime"], s["endTime"], s["durationSeconds"]) for s in back] == [
        (i["startTime"], i["endTime"], i["durationSeconds"]) for i in reversed(items)]
    assert [s["startTime"][:10] for s in recent] == ["2026-02-07", "2026-02-06", "2026-02-05"]


def test_put_rating_sends_the_id_list_and_rating(httpserver, make_client):
    httpserver.expect_request("/api/v1/books/personal-rating", method="PUT",
                              json={"ids": [42], "rating": 8}).respond_with_json(
        [{"bookId": 42, "personalRating": 8}])
    make_client(MemoryStore(Tokens(OLD_ACCESS, OLD_REFRESH))).put_rating(42, 8)
    assert len(httpserver.log) == 1


@pytest.mark.parametrize("path, method_name", [
    (ANNOTATIONS, "post_annotation"),
    ("/api/v2/book-notes", "post_book_note_v2"),
    ("/api/v1/book-notes", "post_book_note_v1"),
])
def test_note_endpoints_post_the_payload_and_return_the_created_object(
        httpserver, make_client, path, method_name):
    payload = {"bookId": 42, "cfi": "epubcfi(/6/4)", "text": "Fear is the mind-killer."}
    httpserver.expect_request(path, method="POST", json=payload, headers={
        "Authorization": f"Bearer {OLD_ACCESS}"}).respond_with_json({"id": 9, **payload})
    client = make_client(MemoryStore(Tokens(OLD_ACCESS, OLD_REFRESH)))
    assert getattr(client, method_name)(payload) == {"id": 9, **payload}


def test_payload_that_is_not_json_is_rejected_before_sending(httpserver, make_client):
    client = make_client(MemoryStore(Tokens(OLD_ACCESS, OLD_REFRESH)))
    raised(Rejected, client.post_annotation, {"bookId": 42, "progress": float("nan")})
    assert httpserver.log == []


def test_healthcheck_is_public(httpserver, make_client, caplog):
    httpserver.expect_request(HEALTH).respond_with_json({"status": 200, "message": "Pong"})
    client = make_client(MemoryStore(Tokens(OLD_ACCESS, OLD_REFRESH)))
    assert client.healthcheck()["message"] == "Pong"
    headers = sent(httpserver, HEALTH)[0].headers
    assert "Authorization" not in headers and "x-auth-key" not in headers
    assert f"GET {HEALTH} -> 200 in" in caplog.text


# -- error answers --------------------------------------------------------------------------

def test_404_with_a_message_is_not_found(httpserver, make_client):
    httpserver.expect_request("/api/v1/book-notes", method="POST").respond_with_json(
        {"status": 404, "message": "Book not found with ID: 42", "timestamp": "2026-03-11T19:42:58"},
        status=404)
    client = make_client(MemoryStore(Tokens(OLD_ACCESS, OLD_REFRESH)))
    error = raised(NotFound, client.post_book_note_v1, {"bookId": 42, "content": "x"})
    assert error.status == 404 and "Book not found with ID: 42" in str(error)


def test_400_is_rejected_with_the_servers_words(httpserver, make_client):
    httpserver.expect_request(BATCH, method="POST").respond_with_json(
        {"status": 400, "message": "End time must be after start time"}, status=400)
    error = raised(Rejected, make_client().post_session_batch, 42, "EPUB", [ITEM])
    assert str(error) == "Server rejected the request (400): End time must be after start time"
    assert error.status == 400 and error.details == ()


def test_400_validation_error_keeps_its_details(httpserver, make_client):
    details = ["sessions[0].endTime: End time is required",
               "sessions[3].startLocation: Start location must not exceed 500 characters"]
    httpserver.expect_request(BATCH, method="POST").respond_with_json(
        {"status": 400, "message": "Validation error", "timestamp": "t", "details": details},
        status=400)
    error = raised(Rejected, make_client().post_session_batch, 42, "EPUB", [ITEM])
    assert error.details == tuple(details)
    assert "Validation error" in str(error) and details[0] in str(error)


def test_409_duplicate_is_rejected_with_its_status(httpserver, make_client):
    httpserver.expect_request(ANNOTATIONS, method="POST").respond_with_json(
        {"status": 409, "message": "Annotation already exists at this location"}, status=409)
    client = make_client(MemoryStore(Tokens(OLD_ACCESS, OLD_REFRESH)))
    assert raised(Rejected, client.post_annotation, {"bookId": 42}).status == 409


def test_500_is_server_error(httpserver, make_client):
    httpserver.expect_request(BY_HASH).respond_with_json(
        {"status": 500, "message": "An unexpected error occurred."}, status=500)
    error = raised(ServerError, make_client().book_by_hash, BY_HASH.rsplit("/", 1)[1])
    assert str(error) == "Server error (500): An unexpected error occurred."


def test_proxy_rate_limit_is_a_temporary_server_error(httpserver, make_client):
    httpserver.expect_request(SESSIONS, method="POST").respond_with_data("slow down", 429)
    assert raised(ServerError, make_client().post_session, 42, "EPUB", ITEM).status == 429


@pytest.mark.parametrize("body, content_type, expected", [
    ("<html><head><title>502 Bad Gateway</title></head><body>" + "x" * 5000 + "</body></html>",
     "text/html", "Server error (502): 502 Bad Gateway"),
    ("<html><body>no title</body></html>", "text/html", "Server error (502): Bad Gateway"),
    ("upstream  timed\nout", "text/plain", "Server error (502): upstream timed out"),
], ids=["html-title", "html-untitled", "plain-text"])
def test_proxy_error_pages_become_one_readable_line(httpserver, make_client, body,
                                                    content_type, expected):
    httpserver.expect_request(HEALTH).respond_with_data(body, 502, content_type=content_type)
    assert str(raised(ServerError, make_client().healthcheck)) == expected


def test_absurdly_long_server_message_is_truncated(httpserver, make_client):
    httpserver.expect_request(HEALTH).respond_with_json(
        {"status": 400, "message": "bad " * 5000}, status=400)
    message = str(raised(Rejected, make_client().healthcheck))
    assert message.startswith("Server rejected the request (400): bad bad") and len(message) < 400


@pytest.mark.parametrize("status, location", [(307, "{url}/moved/api/v1/reading-sessions"),
                                              (301, "/moved/api/v1/reading-sessions")],
                         ids=["absolute", "relative"])
def test_redirect_is_reported_and_never_followed(httpserver, make_client, status, location):
    target = location.format(url=httpserver.url_for("/").rstrip("/"))
    httpserver.expect_request(SESSIONS, method="POST").respond_with_data(
        "", status, headers={"Location": target})
    httpserver.expect_request("/moved/api/v1/reading-sessions").respond_with_data("", 202)
    error = raised(BadResponse, make_client().post_session, 42, "EPUB", ITEM)
    new_base = httpserver.url_for("/moved")
    assert error.status == status
    assert str(error) == (f"The server redirected to {new_base}/api/v1/reading-sessions; "
                          f"set the server URL to {new_base}")
    assert sent(httpserver, "/moved/api/v1/reading-sessions") == []


# -- broken answers -------------------------------------------------------------------------

@pytest.mark.parametrize("body", [b'{"status": 200, "mess', b'\xff\xfe{"a": 1}', b""],
                         ids=["malformed", "not-utf8", "empty"])
def test_unreadable_json_is_bad_response(httpserver, make_client, body):
    httpserver.expect_request(HEALTH).respond_with_data(body, content_type="application/json")
    assert raised(BadResponse, make_client().healthcheck).status == 200


def test_json_of_the_wrong_type_is_bad_response(httpserver, make_client):
    httpserver.expect_request("/api/v1/books/search").respond_with_json({"id": 42})
    client = make_client(MemoryStore(Tokens(OLD_ACCESS, OLD_REFRESH)))
    assert "array" in str(raised(BadResponse, client.search_books, title="Dune"))


def test_html_where_json_is_required_is_bad_response(httpserver, make_client):
    httpserver.expect_request(LOGIN, method="POST").respond_with_data(
        "<html>BookLore</html>", content_type="text/html")
    raised(BadResponse, make_client(MemoryStore()).login)


def _declared_huge(request):
    response = Response(b"{}", content_type="application/json")
    response.headers["Content-Length"] = str(MAX_BODY_BYTES + 1)
    return response


def _streamed_huge(request):
    chunk = b" " * 65536
    return Response((chunk for _ in range(MAX_BODY_BYTES // len(chunk) + 2)),
                    content_type="application/json")


@pytest.mark.parametrize("handler", [_declared_huge, _streamed_huge], ids=["declared", "streamed"])
def test_body_over_the_size_cap_is_bad_response(httpserver, make_client, handler):
    httpserver.expect_request(HEALTH).respond_with_handler(handler)
    assert "larger than 8 MiB" in str(raised(BadResponse, make_client().healthcheck))


# -- network failures -----------------------------------------------------------------------

def test_connection_refused_is_unreachable(make_client):
    with closed_port() as sock:
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        error = raised(Unreachable, make_client(url=url).post_session, 42, "EPUB", ITEM)
    assert error.sent is False and error.status is None
    assert "connection refused" in str(error)


def test_connect_timeout_is_unreachable(make_client):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(3)]  # fill the accept queue: SYNs are dropped
        for filler in fillers:
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
        try:
            client = make_client(url=f"http://127.0.0.1:{port}", timeout=(0.3, 1.0))
            error = raised(Unreachable, client.healthcheck)
        finally:
            for filler in fillers:
                filler.close()
    assert "timed out" in str(error)


@pytest.mark.parametrize("url", ["books.example.org", "ftp://books.example.org", "http://",
                                 "http://[::1", "http://books.example.org:99999"])
def test_invalid_server_url_is_unreachable(make_client, url):
    assert "not valid" in str(raised(Unreachable, make_client(url=url).healthcheck))


def test_read_timeout_is_response_lost(httpserver, make_client, release):
    httpserver.expect_request(SESSIONS, method="POST").respond_with_handler(
        lambda request: (release.wait(5), Response("", 202))[1])
    client = make_client(timeout=(1.0, 0.3))
    started = time.monotonic()
    error = raised(ResponseLost, client.post_session, 42, "EPUB", ITEM)
    assert time.monotonic() - started < 2
    assert error.sent is True and "no answer in time" in str(error)


def test_reset_after_sending_is_response_lost(httpserver, make_client, reset_connection):
    httpserver.expect_request(BATCH, method="POST").respond_with_handler(reset_connection)
    error = raised(ResponseLost, make_client().post_session_batch, 42, "EPUB", [ITEM])
    assert error.sent is True


def test_truncated_body_is_response_lost(httpserver, make_client):
    def truncated(request):
        response = Response(b'{"totalRequested": 1, "succ', content_type="application/json")
        response.headers["Content-Length"] = "1000"
        return response

    httpserver.expect_request(BATCH, method="POST").respond_with_handler(truncated)
    error = raised(ResponseLost, make_client().post_session_batch, 42, "EPUB", [ITEM])
    assert error.status == 200 and "cut off" in str(error)


# -- TLS ------------------------------------------------------------------------------------

def test_https_to_a_plain_http_server_is_unreachable(httpserver, make_client):
    url = httpserver.url_for("/").replace("http://", "https://")
    error = raised(Unreachable, make_client(url=url).healthcheck)
    assert "TLS" in str(error)


@pytest.fixture(scope="module")
def self_signed_server(self_signed_cert):
    cert, key = self_signed_cert
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))  # PyPy 3.9 takes no Path here
    server = HTTPServer(host="localhost", port=0, ssl_context=context)
    server.start()
    yield server, str(cert)
    server.stop()


def test_self_signed_certificate_is_refused_unless_its_ca_bundle_is_given(self_signed_server,
                                                                          make_client):
    server, cert = self_signed_server
    server.expect_request(HEALTH).respond_with_json({"message": "Pong"})
    error = raised(Unreachable, make_client(url=server.url_for("/")).healthcheck)
    assert "certificate" in str(error)
    assert make_client(url=server.url_for("/"), ca_bundle=cert).healthcheck() == {"message": "Pong"}
    server.clear()
