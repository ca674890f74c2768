"""The BookLore HTTP client: the only module that imports requests.

Every failure leaves as a `python_core.errors` exception, translated at one boundary
(`_exchange` for the network, `http_errors.raise_for_status` for answers), so the sync
engine can tell "offline, nothing sent" (`Unreachable`) from "sent, outcome unknown"
(`ResponseLost`) and from the server's own refusals. Two auth schemes exist
(booklore-api.md §1): KOReader headers (`x-auth-user` / `x-auth-key`) for `/api/koreader/*`
and, on the fork, the session POSTs; a JWT (`jwt_auth`) for everything else. Redirects are
never followed and TLS is always verified. Secrets never reach a message or a log line.
"""

from __future__ import annotations

import json
import logging
import os
import ssl
import time
from urllib.parse import quote, urlsplit

import requests
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import NameResolutionError, NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from python_core import __version__, http_errors
from python_core.credentials import Credentials, MemoryTokenStore, Tokens, TokenStore, md5_hex
from python_core.errors import AuthError, BadResponse, NetworkError, Rejected, ResponseLost, Unreachable
from python_core.http_errors import Reply
from python_core.jwt_auth import JwtAuth

__all__ = ["BookLoreClient", "Credentials", "Tokens", "TokenStore", "md5_hex"]

log = logging.getLogger("booklore_sync.client")

#: Largest answer read; a wrong server URL can point at a file or an endless stream.
MAX_BODY_BYTES = 8 * 1024 * 1024
_CHUNK_BYTES = 64 * 1024

SESSIONS_PATH = "/api/v1/reading-sessions"
BATCH_PATH = "/api/v1/reading-sessions/batch"
_BAD_URL = (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema, requests.exceptions.URLRequired)


class BookLoreClient:
    """Typed calls to one BookLore server; raises only `python_core.errors` exceptions."""

    def __init__(self, credentials: Credentials, token_store: TokenStore | None = None,
                 timeout: tuple[float, float] = (5.0, 30.0), ca_bundle: str | None = None):
        self._credentials = credentials
        store = token_store if token_store is not None else MemoryTokenStore()
        self._auth = JwtAuth(credentials, store, self._send)
        self._sessions_by_jwt = False
        self._timeout = timeout
        self._verify = ca_bundle or True
        self._host = _display_host(credentials.server_url)
        self._session = requests.Session()
        self._session.trust_env = False  # no .netrc, proxy or CA overrides from the environment
        self._session.headers.update({"User-Agent": f"booklore-sync/{__version__}",
                                      "Accept": "application/json"})

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> BookLoreClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- KOReader-header endpoints ------------------------------------------------------

    def check_koreader_auth(self) -> str:
        """The KOReader user name the server accepted (bad credentials answer 403)."""
        reply = self._send("GET", "/api/koreader/users/auth", headers=self._koreader_headers())
        username = self._json(reply, dict).get("username")
        if not isinstance(username, str):
            raise BadResponse("The server did not confirm the KOReader user; "
                              "is this a BookLore server?", reply.status)
        return username

    def book_by_hash(self, book_hash: str) -> dict | None:
        """The Book whose current file hash matches, or None.

        Upstream servers lack this endpoint and answer with their web app (200 text/html),
        so only a JSON object with an integer `id` counts as a match (§5.10).
        """
        path = f"/api/koreader/books/by-hash/{quote(book_hash, safe='')}"
        reply = self._send("GET", path, headers=self._koreader_headers())
        if reply.status == 404:
            return None
        self._raise_for_status(reply)
        if not http_errors.is_json(reply.content_type):
            return None
        book = http_errors.decode_json(reply, object)
        has_id = isinstance(book, dict) and type(book.get("id")) is int
        return book if has_id else None

    def probe(self, method: str, path: str, payload: object = None) -> tuple[int, bool]:
        """(status, body is JSON) of a KOReader-authenticated request, for Test Connection
        to tell a missing endpoint (HTML page, 404/405) from a present one."""
        reply = self._send(method, path, headers=self._koreader_headers(), payload=payload)
        return reply.status, http_errors.is_json(reply.content_type)

    def post_session(self, book_id: int, book_type: str, item: dict) -> None:
        """Record one reading session; any 2xx is success (202, empty or JSON body)."""
        reply = self._session_post(SESSIONS_PATH, {**item, "bookId": book_id, "bookType": book_type})
        self._raise_for_status(reply)
        http_errors.expect_api_body(reply)

    def post_session_batch(self, book_id: int, book_type: str, items: list[dict]) -> dict:
        """Record sessions of one book all-or-nothing; the server's summary, or {} if empty."""
        payload = {"bookId": book_id, "bookType": book_type, "sessions": list(items)}
        reply = self._session_post(BATCH_PATH, payload)
        self._raise_for_status(reply)
        return http_errors.decode_json(reply, dict) if reply.body.strip() else {}

    # -- JWT endpoints --------------------------------------------------------------------

    def login(self) -> None:
        """Log in on request (Test Connection): ignores a login block, and success lifts it."""
        self._auth.login()

    def search_books(self, *, title: str | None = None, isbn: str | None = None) -> list[dict]:
        """Books by ISBN (score 1.0 on exact match) and/or fuzzy title, best first."""
        params = {key: value for key, value in (("title", title), ("isbn", isbn)) if value}
        if not params:
            raise ValueError("search_books needs a title or an isbn")
        reply = self._auth.request("GET", "/api/v1/books/search", params=params)
        return [book for book in self._json(reply, list) if isinstance(book, dict)]

    def get_book(self, book_id: int) -> dict:
        """The Book DTO (§2.9); its `metadata` holds title and authors."""
        return self._json(self._auth.request("GET", f"/api/v1/books/{int(book_id)}"), dict)

    def put_rating(self, book_id: int, rating: int) -> None:
        reply = self._auth.request("PUT", "/api/v1/books/personal-rating",
                                   payload={"ids": [book_id], "rating": rating})
        self._raise_for_status(reply)
        http_errors.expect_api_body(reply)

    def post_annotation(self, payload: dict) -> dict:
        return self._json(self._auth.request("POST", "/api/v1/annotations", payload=payload), dict)

    def post_book_note_v2(self, payload: dict) -> dict:
        return self._json(self._auth.request("POST", "/api/v2/book-notes", payload=payload), dict)

    def post_book_note_v1(self, payload: dict) -> dict:
        return self._json(self._auth.request("POST", "/api/v1/book-notes", payload=payload), dict)

    def healthcheck(self) -> dict:
        """The public ping; its `data.version` tells which server this is."""
        return self._json(self._send("GET", "/api/v1/healthcheck"), dict)

    # -- helpers --------------------------------------------------------------------------

    def _koreader_headers(self) -> dict[str, bytes]:
        """KOReader's headers, sent as UTF-8 bytes the way KOReader itself sends them.
        Never with a Bearer token: it could displace the KOReader principal (§1.4)."""
        user, key = self._credentials.koreader_user, self._credentials.koreader_key
        if not (user and key):
            raise AuthError("KOReader account is not set")
        if any(char in user + key for char in "\r\n\0"):
            raise AuthError("The KOReader user name or key contains a line break")
        return {"x-auth-user": user.encode("utf-8"), "x-auth-key": key.encode("utf-8")}

    def _session_post(self, path: str, payload: dict) -> Reply:
        """Session POSTs prefer KOReader headers (no login needed, fork servers). Upstream
        servers take only a JWT there and answer 403 to the headers: with a BookLore
        account, that 403 switches this client to JWT for the rest of its life."""
        credentials = self._credentials
        if credentials.koreader_user and credentials.koreader_key and not self._sessions_by_jwt:
            reply = self._send("POST", path, headers=self._koreader_headers(), payload=payload)
            if reply.status != 403 or not credentials.booklore_user:
                return reply
            self._sessions_by_jwt = True
        return self._auth.request("POST", path, payload=payload)

    def _raise_for_status(self, reply: Reply) -> None:
        http_errors.raise_for_status(reply, self._auth.redact)

    def _json(self, reply: Reply, expected: type):
        return http_errors.json_body(reply, expected, self._auth.redact)

    def _send(self, method: str, path: str, *, headers: dict | None = None,
              payload: object = None, params: dict | None = None) -> Reply:
        """Send one request and read its capped body; logs method, path, status and time only."""
        url = self._credentials.server_url + path
        headers = dict(headers or {})
        data = None
        if payload is not None:
            data = _encode_json(payload)
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        try:
            reply = self._exchange(method, url, path, headers, data, params)
        except (NetworkError, BadResponse) as error:
            log.debug("%s %s failed after %d ms: %s", method, path, _ms_since(started),
                      type(error).__name__)
            raise
        log.debug("%s %s -> %d in %d ms", method, path, reply.status, _ms_since(started))
        return reply

    def _exchange(self, method, url, path, headers, data, params) -> Reply:
        """The network boundary. Errors are raised outside the except blocks so that no
        requests exception (which holds the request and its headers) stays attached."""
        if self._verify is not True and not os.path.exists(self._verify):
            # requests would raise a bare OSError before connecting, read as "answer lost".
            raise Unreachable(f"Cannot use the CA bundle '{self._verify}' (setting ca_bundle): "
                              "the file does not exist; nothing was sent")
        error = None
        try:
            response = self._session.request(
                method, url, headers=headers, data=data, params=params, timeout=self._timeout,
                verify=self._verify, allow_redirects=False, stream=True)
        except (requests.RequestException, Urllib3Error, OSError) as exc:
            error = _request_error(exc, self._host)
        if error:
            raise error
        try:
            body = _read_capped(response)
        except (requests.RequestException, Urllib3Error, OSError) as exc:
            error = _body_error(exc, response.status_code, self._host)
        finally:
            response.close()
        if error:
            raise error
        return Reply(response.status_code, response.headers.get("Content-Type", ""), body,
                     url, path, response.headers.get("Location", ""))


def _encode_json(payload: object) -> bytes:
    """Encode strictly: NaN or an unknown type would otherwise fail as a confusing 400."""
    try:
        return json.dumps(payload, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise Rejected(f"The request could not be written as JSON: {exc}") from None


def _read_capped(response: requests.Response) -> bytes:
    """Read at most MAX_BODY_BYTES, refusing early when the length is announced."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_big(response.status_code)
    chunks, size = [], 0
    for chunk in response.iter_content(_CHUNK_BYTES):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_big(response.status_code)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_big(status: int) -> BadResponse:
    return BadResponse(f"The server's answer is larger than {MAX_BODY_BYTES // 2**20} MiB; "
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
