"""The HTTP transport to one BookLore server: the only module that imports requests.

Every network failure leaves as a `python_core.errors` exception, translated here and
only here (like requests' own adapters), so the sync engine can tell "offline, nothing
sent" (`Unreachable`) from "sent, outcome unknown" (`ResponseLost`). Redirects are never
followed, TLS is always verified, bodies are read with a cap, every request is over within
its connect + read timeouts in all (`deadline.py`: a trickling server fails like a
timeout), and a log line holds the method, path, status and time only: never a header, a
body or a secret.
"""

from __future__ import annotations

import json
import logging
import os
import ssl
import time
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import NameResolutionError, NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from python_core import __version__
from python_core.errors import BadResponse, NetworkError, Rejected, ResponseLost, Unreachable
from python_core.server.deadline import Deadline, attach_current, request_deadline
from python_core.server.http_errors import Reply

log = logging.getLogger("booklore_sync.client")

#: Largest answer read; a wrong server URL can point at a file or an endless stream.
MAX_BODY_BYTES = 8 * 1024 * 1024
_CHUNK_BYTES = 64 * 1024

_BAD_URL = (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema, requests.exceptions.URLRequired)


class _Watched:
    """A connection that puts its socket under the deadline of the request it carries:
    a kept-alive socket when the request starts, a new one as soon as it is connected."""

    def connect(self) -> None:
        super().connect()
        attach_current(self.sock, sending=True)

    def request(self, *args, **kwargs):
        if self.sock is not None:  # kept alive; a new one attaches itself as it connects
            attach_current(self.sock, sending=True)
        return super().request(*args, **kwargs)


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _DeadlineAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool,
                                                   "https": _WatchedHTTPSPool}


class Transport:
    """One keep-alive connection pool to `server_url`; `send` returns a fully read Reply.

    `timeout` is (connect, read) for each socket operation; their sum is the deadline of
    the whole request, connect, headers and body together."""

    def __init__(self, server_url: str, timeout: tuple[float, float] = (5.0, 30.0),
                 ca_bundle: str | None = None):
        self._server_url = server_url
        self._timeout = timeout
        self._deadline_seconds = float(sum(timeout))
        self._verify = ca_bundle or True
        self._host = _display_host(server_url)
        self.sent = 0  # requests handed to the network, answered or not
        self._session = requests.Session()
        self._session.trust_env = False  # no .netrc, proxy or CA overrides from the environment
        for prefix in ("http://", "https://"):
            self._session.mount(prefix, _DeadlineAdapter())
        self._session.headers.update({"User-Agent": f"booklore-sync/{__version__}",
                                      "Accept": "application/json"})

    def close(self) -> None:
        self._session.close()

    def send(self, method: str, path: str, *, headers: dict | None = None,
              payload: object = None, params: dict | None = None,
              max_body: int = MAX_BODY_BYTES) -> Reply:
        """Send one request and read its body, at most `max_body` bytes (the library
        listing may take more than other answers); logs method, path, status and time only."""
        url = self._server_url + path
        headers = dict(headers or {})
        data = None
        if payload is not None:
            data = _encode_json(payload)
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        self.sent += 1
        try:
            reply = self._exchange(method, url, path, headers, data, params, max_body)
        except (NetworkError, BadResponse) as error:
            log.debug("%s %s failed after %d ms: %s", method, path, _ms_since(started),
                      type(error).__name__)
            raise
        log.debug("%s %s -> %d in %d ms", method, path, reply.status, _ms_since(started))
        return reply

    def _exchange(self, method, url, path, headers, data, params, max_body) -> Reply:
        """The network boundary. Errors are raised outside the except blocks so that no
        requests exception (which holds the request and its headers) stays attached."""
        if self._verify is not True and not os.path.exists(self._verify):
            # requests would raise a bare OSError before connecting, read as "answer lost".
            raise Unreachable(f"Cannot use the CA bundle '{self._verify}' (setting ca_bundle): "
                              "the file does not exist; nothing was sent")
        with request_deadline(self._deadline_seconds) as deadline:
            response, error = self._request(method, url, headers, data, params, deadline)
            if error:
                raise error
            try:
                body = _read_capped(response, max_body)
            except (requests.RequestException, Urllib3Error, OSError) as exc:
                error = _body_error(exc, response.status_code, self._host)
            finally:
                response.close()
            if not deadline.finish():  # a body cut by the deadline can look complete
                error = _late(self._host, deadline, response.status_code)
            if error:
                raise error
        return Reply(response.status_code, response.headers.get("Content-Type", ""), body,
                     url, path, response.headers.get("Location", ""))

    def _request(self, method, url, headers, data, params, deadline: Deadline):
        """(response with its headers read, None) or (None, the error to raise)."""
        try:
            return self._session.request(
                method, url, headers=headers, data=data, params=params, timeout=self._timeout,
                verify=self._verify, allow_redirects=False, stream=True), None
        except (requests.RequestException, Urllib3Error, OSError) as exc:
            if deadline.expired and deadline.sending:
                return None, _late(self._host, deadline)
            if deadline.expired:
                return None, Unreachable(f"Cannot reach {self._host}: no connection within "
                                         f"{deadline.seconds:g} s")
            return None, _request_error(exc, self._host)



class JsonText(str):
    """A payload already written as JSON (the store builds session items in SQL); sent as
    it is, not encoded again."""


def _encode_json(payload: object) -> bytes:
    """Encode strictly: NaN or an unknown type would otherwise fail as a confusing 400."""
    if isinstance(payload, JsonText):
        return payload.encode("utf-8")
    try:
        return json.dumps(payload, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise Rejected(f"The request could not be written as JSON: {exc}") from None


def _read_capped(response: requests.Response, cap: int) -> bytes:
    """Read at most `cap` bytes, refusing early when the length is announced."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > cap:
        raise _too_big(response.status_code, cap)
    chunks, size = [], 0
    for chunk in response.iter_content(_CHUNK_BYTES):
        size += len(chunk)
        if size > cap:
            raise _too_big(response.status_code, cap)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_big(status: int, cap: int) -> BadResponse:
    return BadResponse(f"The server's answer is larger than {cap // 2**20} MiB; "
                       "is the server URL right?", status)


def _request_error(exc: BaseException, host: str) -> NetworkError:
    """Unreachable only when nothing can have reached the server; anything later is lost."""
    if isinstance(exc, requests.exceptions.SSLError):
        return Unreachable(_tls_message(exc, host))
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return Unreachable(f"Cannot reach {host}: the connection timed out")
    if isinstance(exc, _BAD_URL):
        return Unreachable("The server URL is not valid; it should look like "
                           "https://books.example.org")
    if _find(exc, NameResolutionError):
        return Unreachable(f"Cannot reach {host}: the server name could not be resolved")
    refused = _find(exc, NewConnectionError)
    if refused:
        reason = _find(refused, OSError)
        detail = reason.strerror.lower() if reason and reason.strerror else "the connection failed"
        return Unreachable(f"Cannot reach {host}: {detail}")
    return ResponseLost(f"The connection to {host} was lost before the answer arrived "
                        f"({_lost_reason(exc)})")


def _late(host: str, deadline: Deadline, status: int | None = None) -> ResponseLost:
    """The deadline stopped the request: it was sent (the socket was connected), so the
    server may have acted on it."""
    return ResponseLost(f"The answer from {host} did not arrive within {deadline.seconds:g} s "
                        "(no answer in time)", status)


def _body_error(exc: BaseException, status: int, host: str) -> NetworkError | BadResponse:
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return BadResponse("The server's compressed answer could not be decoded", status)
    return ResponseLost(f"The answer from {host} was cut off ({_lost_reason(exc)})", status)


def _lost_reason(exc: BaseException) -> str:
    if _find(exc, (requests.exceptions.Timeout, Urllib3Timeout, TimeoutError)):
        return "no answer in time"
    if _find(exc, ConnectionResetError):
        return "the connection was reset"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "it ended early"
    return "the connection broke"


def _tls_message(exc: BaseException, host: str) -> str:
    cause = _find(exc, ssl.SSLError)
    if isinstance(cause, ssl.SSLCertVerificationError):
        return (f"Cannot make a secure connection to {host}: its TLS certificate could not "
                f"be verified ({cause.verify_message})")
    reason = getattr(cause, "reason", None) or "handshake failed"
    return f"Cannot make a secure connection to {host}: TLS failed ({reason}); does it serve https?"


def _find(exc: BaseException, kind: type | tuple[type, ...]) -> BaseException | None:
    """The first exception of `kind` in the wrapping chain (requests wraps urllib3 wraps OSError)."""
    seen, pending = [], [exc]
    while pending:
        current = pending.pop(0)
        if not isinstance(current, BaseException) or any(current is s for s in seen):
            continue
        if isinstance(current, kind):
            return current
        seen.append(current)
        pending.extend([*current.args, getattr(current, "reason", None),
                        current.__cause__, current.__context__])
    return None


def _display_host(url: str) -> str:
    """host[:port] for messages, never the user:password some people put into URLs."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:  # a malformed URL; sending will report it as not valid
        return "the server"
    host = host or "the server"
    return f"{host}:{port}" if port else host


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
