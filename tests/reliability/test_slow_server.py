"""A server that answers, but too slowly to ever trip a per-read timeout: one byte of the
body, or of the headers, every few tenths of a second. Every request must be over within
its connect + read timeouts in all (python_core/server/deadline.py), fail as "sent, no
answer" (`ResponseLost`: the server may have stored it), and a sync must end with its
sessions still queued and counted as unconfirmed; `booklore-sync sync` must exit.

The raw server (raw_server.py) sends exactly the bytes and pauses these tests choose.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import time

import pytest

from python_core.errors import ResponseLost
from python_core.facade import BookLoreSync
from python_core.server.client import BookLoreClient, Credentials
from tests.reliability.raw_server import RawServer

CONNECT, READ = 0.5, 1.0
DEADLINE = CONNECT + READ
#: Time allowed beyond the deadline for the watchdog, the thread switch and a slow CI box.
SLACK = 1.5
BODY = b'{"username": "reader-ko"}'


def _head(length: int | None = len(BODY)) -> bytes:
    framing = f"Content-Length: {length}\r\n" if length is not None else "Connection: close\r\n"
    return (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{framing}\r\n"
            .encode("ascii"))


def trickle(data: bytes, pause: float):
    """An answer of the raw server: `data` one byte at a time, `pause` seconds apart."""
    def answer(request):
        for index in range(len(data)):
            yield data[index:index + 1]
            time.sleep(pause)
    return answer


def slow_body(pause: float, length: int | None = len(BODY)):
    def answer(request):
        yield _head(length)
        yield from trickle(BODY * 40, pause)(request)
    return answer


@pytest.fixture
def raw_server():
    server = RawServer()
    yield server
    server.stop()


def _client(url: str, ca_bundle: str | None = None) -> BookLoreClient:
    return BookLoreClient(Credentials(url, koreader_user="reader-ko", koreader_key="k" * 32),
                          timeout=(CONNECT, READ), ca_bundle=ca_bundle)


@pytest.mark.parametrize("answer", [
    pytest.param(slow_body(0.2), id="body-byte-every-0.2s"),
    pytest.param(slow_body(0.2, length=None), id="body-until-close-every-0.2s"),
    pytest.param(trickle(_head() + BODY, 0.2), id="headers-byte-every-0.2s"),
    pytest.param(trickle(b"HTTP/1.1 200 OK\r\n" + b"X-Pad: 1\r\n" * 200, 0.05),
                 id="endless-headers"),
])
def test_a_trickling_answer_fails_like_a_timeout_within_the_deadline(raw_server, answer):
    raw_server.answer = answer
    started = time.monotonic()
    with _client(raw_server.url) as client, pytest.raises(ResponseLost) as caught:
        client.check_koreader_auth()
    elapsed = time.monotonic() - started
    assert DEADLINE - 0.2 <= elapsed <= DEADLINE + SLACK, elapsed
    assert "did not arrive within 1.5 s" in str(caught.value)
    assert caught.value.sent  # the server may have acted on it: unconfirmed


def test_the_deadline_holds_over_tls_too(self_signed_cert):
    cert, key = self_signed_cert
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = RawServer(tls=context)
    try:
        server.answer = slow_body(0.2)
        started = time.monotonic()
        with _client(server.url, str(cert)) as client, pytest.raises(ResponseLost):
            client.check_koreader_auth()
        assert time.monotonic() - started <= DEADLINE + SLACK
        server.answer = _head() + BODY
        with _client(server.url, str(cert)) as client:
            assert client.check_koreader_auth() == "reader-ko"
    finally:
        server.stop()


def test_a_slow_answer_inside_the_deadline_still_succeeds(raw_server):
    raw_server.answer = lambda request: [_head(), *trickle(BODY, 0.02)(request)]
    with _client(raw_server.url) as client:
        assert client.check_koreader_auth() == "reader-ko"  # ~0.5 s of trickle
        assert client.check_koreader_auth() == "reader-ko"  # the kept-alive socket too


def test_a_deadline_on_one_request_does_not_touch_the_next(raw_server):
    raw_server.answer = slow_body(0.2)
    with _client(raw_server.url) as client:
        with pytest.raises(ResponseLost):
            client.check_koreader_auth()
        raw_server.answer = _head() + BODY
        assert client.check_koreader_auth() == "reader-ko"


def _queue_one_session(settings_dir, url: str) -> None:
    with BookLoreSync(settings_dir) as core:
        for key, value in {"server_url": url, "username": "reader-ko", "password": "pw",
                           "connect_timeout": CONNECT, "read_timeout": READ}.items():
            assert core.set_setting(key, value)["ok"]
        assert core.record_session({
            "book_hash": "a" * 32, "book_id": 3, "book_type": "EPUB",
            "start_time": 1_767_225_600, "end_time": 1_767_226_200, "pages_read": 5})["saved"]


def test_a_sync_against_a_trickling_server_ends_and_keeps_the_session_unconfirmed(
        raw_server, tmp_path):
    raw_server.answer = slow_body(0.2)
    _queue_one_session(tmp_path, raw_server.url)
    with BookLoreSync(tmp_path) as core:
        started = time.monotonic()
        report = core.sync_pending()
        elapsed = time.monotonic() - started
        [row] = core.db.connection().execute(
            "SELECT retry_count, unconfirmed_sends FROM pending_sessions").fetchall()
    # The batch request and, the endpoint being unknown, the one single POST that probes it.
    assert elapsed <= 2 * (DEADLINE + SLACK), elapsed
    assert report["failed"]["sessions"] == 1 and report["unconfirmed"] >= 1
    assert "did not arrive within 1.5 s" in report["summary"]
    assert tuple(row) == (1, 1)


def test_the_cli_sync_exits_against_a_trickling_server(raw_server, tmp_path):
    raw_server.answer = slow_body(0.2)
    _queue_one_session(tmp_path, raw_server.url)
    run = subprocess.run([sys.executable, "-m", "python_core.cli", "--settings-dir",
                          str(tmp_path), "sync"], capture_output=True, text=True, timeout=30,
                         env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert run.returncode == 1, run.stderr
    assert "Failed: 1 session" in run.stdout and "did not arrive within" in run.stdout
    assert "Traceback" not in run.stderr
