"""Bad input, property-based: whatever a server, a book file or a setting throws at the core,
the reader gets a clear sentence (never a traceback) and nothing queued is lost.

Three sources of bad input: HTTP answers (random status codes, content types, truncated,
non-UTF-8, huge and wrongly typed bodies) fed to the client by a raw socket server; book
files (empty, truncated, unreadable, vanished, non-ASCII paths, hostile titles) through
the facade and through the headless KOReader host; malformed settings.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bridge import HeadlessHost
from python_core.errors import BookLoreError
from python_core.facade import BookLoreSync
from python_core.server.client import BookLoreClient, Credentials, Tokens, md5_hex
from python_core.server.credentials import MemoryTokenStore
from tests.reliability.raw_server import RESET, SILENCE, RawServer
from tests.reliability.support import T0, integrity, open_raw
from tools.booklore_server import make_sample_library

KO_PASSWORD = "kö-pass-1234"
BL_PASSWORD = "blü-secret-5678"
SECRETS = (KO_PASSWORD, md5_hex(KO_PASSWORD), BL_PASSWORD, "access-token-1234",
           "refresh-token-5678")
HUGE = 9 * 1024 * 1024  # past the client's 8 MiB cap


def bounded(examples: int):
    """Few enough examples to stay fast; derandomized, so every run tries the same ones."""
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def raw_server():
    server = RawServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return make_sample_library(tmp_path_factory.mktemp("books"))


# HTTP answers -------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "message", "status", "details", "error", "username",
                         "data", "totalRequested", "sessionId", "x"]), inner, max_size=4),
    max_leaves=12)
BODIES = st.one_of(
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.builds(lambda v, cut: json.dumps(v).encode()[:cut], JSON_VALUES, st.integers(0, 30)),
    st.binary(max_size=200),
    st.text(max_size=80).map(lambda t: t.encode("utf-16")),
    st.just(b"\xff\xfe\xfa not utf-8 \xc3\x28"),
    st.just(b"<html><head><title>Wi-Fi login</title></head><body>portal</body></html>"),
    st.just(b'{"status":400,"message":"Validation error","details":["a","b"]}'),
    st.just(b"[" * 50_000),  # deep nesting: a RecursionError inside json must not escape
)
STATUSES = st.one_of(st.sampled_from([200, 201, 202, 204, 301, 302, 307, 400, 401, 403, 404,
                                      405, 409, 413, 429, 500, 502, 503]),
                     st.integers(100, 999))
CONTENT_TYPES = st.sampled_from(["application/json", "application/json;charset=UTF-8",
                                 "application/problem+json", "text/html; charset=utf-8",
                                 "text/plain", "", "application/octet-stream", "image/png"])
FRAMINGS_LIST = ["length", "truncated", "close", "chunked", "broken_chunks", "bad_gzip",
                 "echo_request", "huge_declared", "huge_streamed", "reset", "silence", "garbage",
                 "nothing"]
CALLS_LIST = ["batch", "single", "by_hash", "auth", "health", "probe", "search", "listing",
              "read_back"]
FRAMINGS, CALLS = st.sampled_from(FRAMINGS_LIST), st.sampled_from(CALLS_LIST)


def http_answer(status: int, content_type: str, body: bytes, framing: str):
    """The raw bytes (or RESET/SILENCE) for one answer."""
    if framing in ("reset", "silence"):
        return RESET if framing == "reset" else SILENCE
    if framing == "garbage":
        return b"HTTP/1.1 OK\r\n\xff\r\n\r\n" + body
    if framing == "nothing":
        return b""
    head = f"HTTP/1.1 {status} Whatever\r\n"
    if content_type:
        head += f"Content-Type: {content_type}\r\n"
    head = head.encode("latin-1")
    if framing == "echo_request":  # a server that quotes the request, headers and all
        return lambda request: [head + b"Content-Length: %d\r\n\r\n" % len(request), request]
    if framing == "huge_declared":
        return lambda request: [head + b"Content-Length: %d\r\n\r\n" % HUGE] + [b"x" * 65536] * 2
    if framing == "huge_streamed":
        return lambda request: [head + b"Connection: close\r\n\r\n"] + [b"[" * 65536] * (HUGE // 65536)
    if framing == "chunked":
        return head + b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    if framing == "broken_chunks":
        return head + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n" + body
    if framing == "bad_gzip":
        packed = gzip.compress(body)[:-5]
        return head + b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s" % (len(packed), packed)
    if framing == "truncated":
        return head + b"Content-Length: %d\r\n\r\n%s" % (len(body) + 10, body)
    if framing == "close":
        return head + b"Connection: close\r\n\r\n" + body
    return head + b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def call_client(client: BookLoreClient, which: str):
    """One client call and the type of value it promises on success."""
    item = {"startTime": "2026-01-01T00:00:00Z", "endTime": "2026-01-01T00:10:00Z",
            "durationSeconds": 600}
    calls = {
        "batch": (lambda: client.post_session_batch(7, "EPUB", [item]), dict),
        "single": (lambda: client.post_session(7, "EPUB", item), type(None)),
        "by_hash": (lambda: client.book_by_hash("0" * 32), (dict, type(None))),
        "auth": (lambda: client.check_koreader_auth(), str),
        "health": (lambda: client.healthcheck(), dict),
        "probe": (lambda: client.has("batch_sessions"), (bool, type(None))),
        "search": (lambda: client.search_books(title="Dune"), list),
        "listing": (lambda: client.library_books(), list),
        "read_back": (lambda: list(client.book_sessions(7)), list),
    }
    return calls[which]


def assert_readable(message: str) -> None:
    assert isinstance(message, str) and message.strip()
    assert "Traceback" not in message and 'File "' not in message
    assert len(message) <= 700, len(message)
    for secret in SECRETS:
        assert secret not in message


@bounded(120)
@example(status=200, content_type="application/json", body=b"[" * 50_000,  # RecursionError
         framing="length", which="health")
@example(status=200, content_type="application/json", body=b'{"a": "\xff"}',  # not UTF-8
         framing="length", which="batch")
@example(status=200, content_type="application/json", body=b'["not", "an", "object"]',
         framing="length", which="auth")
@example(status=200, content_type="application/json", body=b'{"id": "7"}',  # id as text
         framing="length", which="by_hash")
@example(status=500, content_type="text/html", body=b"<title>" + b"x" * 5000 + b"</title>",
         framing="length", which="single")
@given(status=STATUSES, content_type=CONTENT_TYPES, body=BODIES, framing=FRAMINGS, which=CALLS)
def test_client_turns_any_answer_into_a_value_or_a_readable_error(
        raw_server, status, content_type, body, framing, which):
    check_one_answer(raw_server, http_answer(status, content_type, body, framing), which)


@pytest.mark.parametrize("which", CALLS_LIST)
@pytest.mark.parametrize("framing", FRAMINGS_LIST)
def test_every_framing_reaches_every_call(raw_server, framing, which):
    """The random test may miss a combination; this one tries each once."""
    check_one_answer(raw_server, http_answer(200, "application/json", b'{"id": 1}', framing), which)


def check_one_answer(raw_server, answer, which):
    raw_server.answer = answer
    credentials = Credentials(raw_server.url, koreader_user="kouser",
                              koreader_key=md5_hex(KO_PASSWORD), booklore_user="reader",
                              booklore_password=BL_PASSWORD)
    tokens = MemoryTokenStore()  # already logged in: JWT calls meet the answer at once
    tokens.save_tokens(Tokens("access-token-1234", "refresh-token-5678"))
    with BookLoreClient(credentials, tokens, timeout=(1.0, 0.5)) as client:
        call, promised = call_client(client, which)
        try:
            value = call()
        except BookLoreError as exc:  # anything else escapes and fails the test
            assert_readable(str(exc))
        else:
            assert isinstance(value, promised), value


def test_secrets_echoed_in_an_error_body_are_redacted(raw_server):
    raw_server.answer = lambda request: [
        b"HTTP/1.1 400 Bad\r\nContent-Type: application/json\r\n\r\n",
        json.dumps({"message": request.decode("utf-8", "replace")}).encode()]
    credentials = Credentials(raw_server.url, koreader_user="kouser",
                              koreader_key=md5_hex(KO_PASSWORD))
    with BookLoreClient(credentials, timeout=(1.0, 0.5)) as client:
        with pytest.raises(BookLoreError) as caught:
            client.post_session_batch(7, "EPUB", [{"startTime": "x"}])
    assert md5_hex(KO_PASSWORD).encode() in raw_server.requests[-1]  # it was echoed...
    assert_readable(str(caught.value))  # ...and scrubbed
    assert "***" in str(caught.value)


# Book files through the facade ----------------------------------------------------------

HOSTILE_TITLES = ["'; DROP TABLE pending_sessions; --", 'Robert"); DELETE FROM book_cache;--',
                  "O'Brien \"quoted\" `back` \\slash", "%s %d {0} ?", "\u202eRTL\u0000nul", ""]
TITLES = st.one_of(st.sampled_from(HOSTILE_TITLES), st.text(max_size=60))
FILE_NAMES = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\\"),
                     min_size=1, max_size=40).map(lambda name: f"b {name}.epub")
FILE_KINDS = st.sampled_from(["sample", "empty", "truncated", "random", "vanishes", "directory",
                              "missing", "under_a_file", "broken_symlink"])
UNREADABLE = {"directory", "missing", "under_a_file", "broken_symlink"}


def make_book_file(folder, name: str, kind: str, sample: str, data: bytes) -> str:
    path = os.path.join(folder, name)
    if kind in ("sample", "vanishes"):
        shutil.copy(sample, path)
    elif kind in ("empty", "truncated", "random"):
        with open(sample, "rb") as source:
            content = {"empty": b"", "truncated": source.read()[:len(data) * 7 + 1],
                       "random": data}[kind]
        with open(path, "wb") as book:
            book.write(content)
    elif kind == "directory":
        os.mkdir(path)
    elif kind == "under_a_file":
        with open(os.path.join(folder, "plain"), "wb"):
            pass
        path = os.path.join(folder, "plain", name)
    elif kind == "broken_symlink":
        os.symlink(os.path.join(folder, "gone"), path)
    return path


class Clock:
    """Unique start times across examples (a session's natural key includes it)."""
    now = T0


@pytest.fixture(scope="module")
def facade(tmp_path_factory):
    core = BookLoreSync(tmp_path_factory.mktemp("facade-settings"))
    yield core
    core.close()


def pending_rows(core) -> dict:
    rows = core.db.connection().execute("SELECT * FROM pending_sessions").fetchall()
    return {(r["book_hash"], r["start_time"]): dict(r) for r in rows}


def assert_result(result: dict) -> None:
    """Plain data; failure is a sentence, not an 'Internal error' or a traceback."""
    assert isinstance(result, dict) and isinstance(result.get("ok"), bool), result
    if not result["ok"]:
        assert_readable(result["message"])
        assert "Internal error" not in result["message"], result


@bounded(60)
@given(kind=FILE_KINDS, name=FILE_NAMES, title=TITLES, data=st.binary(max_size=5000))
def test_book_files_through_the_facade(facade, library, tmp_path_factory, kind, name, title, data):
    folder = tmp_path_factory.mktemp("files")
    path = make_book_file(folder, name, kind, library[0].path, data)
    before = pending_rows(facade)
    Clock.now += 3600
    start = {"file_path": path, "title": title, "time": Clock.now, "page": 1, "progress": 1.0}
    assert_result(facade.record_book({"file_path": path, "title": title}))
    started = facade.start_reading(start)
    assert_result(started)
    if kind == "vanishes":
        os.remove(path)
    assert_result(facade.page_turned({"time": Clock.now + 60, "page": 2, "progress": 2.0}))
    finished = facade.finish_reading({"time": Clock.now + 120, "page": 3, "progress": 3.0})
    assert_result(finished)
    after = pending_rows(facade)
    assert set(before) <= set(after) and all(after[k] == v for k, v in before.items())
    if kind in UNREADABLE:
        assert not started["ok"] and "Internal error" not in started["message"]
        assert after == before
    else:
        assert started["ok"] and finished["saved"], (started, finished)
        new = [row for key, row in after.items() if key not in before]
        assert len(new) == 1 and new[0]["title"] == (title or None)
        assert new[0]["book_hash"] == started["book_hash"]
    assert integrity(facade.db.connection()) == "ok"


# Book files through the real plugin -------------------------------------------------------


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    settings_dir = tmp_path_factory.mktemp("host") / "settings"
    with HeadlessHost(settings_dir) as headless:  # offline: sessions stay queued
        yield headless, settings_dir


def read_in_host(headless, path, title, pages=4):
    headless.open_book(path, title=title)
    for _ in range(pages):
        headless.advance(30)
        headless.turn_page()


def host_pending(settings_dir) -> dict:
    conn = open_raw(settings_dir)
    rows = {(r["book_hash"], r["start_time"]): dict(r)
            for r in conn.execute("SELECT * FROM pending_sessions")}
    assert integrity(conn) == "ok"
    conn.close()
    return rows


def assert_nothing_leaked(headless) -> None:
    for text in headless.toasts:
        assert "Traceback" not in text and "Internal error" not in text, text
    for line in headless.logs:
        assert "Traceback" not in line, line


@bounded(25)
@given(kind=st.sampled_from(["sample", "empty", "vanishes", "directory", "missing"]),
       name=FILE_NAMES, title=TITLES)
def test_book_files_through_the_plugin(host, library, tmp_path_factory, kind, name, title):
    headless, settings_dir = host
    folder = tmp_path_factory.mktemp("hostfiles")
    path = make_book_file(folder, name, kind, library[1].path, b"")
    before = host_pending(settings_dir)
    read_in_host(headless, path, title)
    if kind == "vanishes":
        os.remove(path)
    headless.close_book()
    after = host_pending(settings_dir)
    assert set(before) <= set(after) and all(after[k] == v for k, v in before.items())
    new = [row for key, row in after.items() if key not in before]
    if kind in UNREADABLE:
        assert new == []
        assert any("cannot track this book" in line for line in headless.logs[-5:])
    else:
        # An empty title is no title: KOReader shows (and hands on) the file's name instead.
        shown = title or os.path.splitext(os.path.basename(path))[0]
        assert len(new) == 1 and new[0]["title"] == shown, new
    assert_nothing_leaked(headless)


# Malformed settings ----------------------------------------------------------------------


@pytest.mark.parametrize("given_url, saved", [
    ("https://books.example.org/", "https://books.example.org"),
    ("  https://books.example.org///  ", "https://books.example.org"),
    ("http://192.168.1.5:6060/booklore/", "http://192.168.1.5:6060/booklore"),
    ("https://bücher.example/", "https://bücher.example"),
    ("", ""),
])
def test_server_urls_are_normalised(facade, given_url, saved):
    result = facade.set_setting("server_url", given_url)
    assert result["ok"] and facade.settings()["server_url"] == saved


@pytest.mark.parametrize("bad_url", [
    "books.example.org", "books.example.org:6060", "ftp://books.example.org", "https://",
    "http:///path", "https://books.example.org:99999", "https://host/?q=1", "javascript:alert(1)",
    "https://host:port/"])
def test_malformed_server_urls_are_refused_with_a_reason(facade, bad_url):
    facade.set_setting("server_url", "https://kept.example.org")
    result = facade.set_setting("server_url", bad_url)
    assert not result["ok"]
    assert_readable(result["message"])
    assert "server url" in result["message"].lower()
    assert facade.settings()["server_url"] == "https://kept.example.org"


@bounded(40)
@given(password=st.text(min_size=1, max_size=40))
def test_any_unicode_password_is_kept_exactly_and_never_shown(facade, password):
    assert facade.set_setting("password", password)["ok"]
    assert facade.settings()["koreader_key"] == md5_hex(password)  # of the text, as typed
    assert facade.settings()["password"] == ""  # the password itself is never kept
    shown = facade.get_settings()["settings"]["password"]
    assert shown == "(set)"
    client = facade.make_client({**facade.settings(), "username": "ko",
                                 "server_url": "http://127.0.0.1:9"})
    assert client._credentials.koreader_key == md5_hex(password)
    client.close()


def test_unicode_passwords_work_against_the_server(tmp_path):
    from tools.booklore_server import BookLoreServer
    ko_password, bl_password = "pässwörd 😀 ß", "Ünïcødé-秘密"
    server = BookLoreServer().start()
    try:
        server.add_user("reader", bl_password, koreader=("ko-reader", ko_password))
        book_id = server.add_book("Dune", ["Frank Herbert"], file_hash="a" * 32)
        core = BookLoreSync(tmp_path / "settings")
        for key, value in {"server_url": server.url + "/", "username": "ko-reader",
                           "password": ko_password, "booklore_username": "reader",
                           "booklore_password": bl_password}.items():
            assert core.set_setting(key, value)["ok"]
        assert core.test_connection()["ok"]
        assert core.record_session({"book_hash": "a" * 32, "book_type": "EPUB",
                                    "start_time": T0, "end_time": T0 + 600,
                                    "pages_read": 3})["saved"]
        report = core.sync_pending()
        assert report["synced"]["sessions"] == 1, report
        assert [s["bookId"] for s in server.sessions] == [book_id]
        core.close()
    finally:
        server.stop()
