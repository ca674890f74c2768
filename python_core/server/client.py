"""The BookLore endpoints: one typed method per call, over `transport` (the network).

Every path, its method, its account and the answer that means success are in one table,
`endpoints.ENDPOINTS`, as the store keeps its SQL. Answers become `python_core.errors` exceptions through
`http_errors`; a method returns plain dicts and lists or raises. Two auth schemes exist
(booklore-api.md §1): KOReader headers (`x-auth-user` / `x-auth-key`) for `/api/koreader/*`
and, on the fork, the session POSTs; a JWT (`jwt_auth`) for everything else.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Union

from python_core import clock
from python_core.errors import (
    AuthError,
    BadResponse,
    Rejected,
    UnreadableAnswer,
)
from python_core.server import features as feature_rules
from python_core.server import http_errors
from python_core.server.credentials import (
    Credentials,
    MemoryTokenStore,
    Tokens,
    TokenStore,
    md5_hex,
)
from python_core.server.endpoints import ENDPOINTS, path_of
from python_core.server.feature_probes import FeatureProbes
from python_core.server.features import FeatureStore, MemoryFeatureStore
from python_core.server.http_errors import Reply
from python_core.server.jwt_auth import JwtAuth
from python_core.server.library_listing import MAX_LISTING_BYTES, LibraryBook, parse_listing
from python_core.server.stored_sessions import MAX_PAGES, parse_page
from python_core.server.transport import MAX_BODY_BYTES, JsonText, Transport

#: A session item: a dict, or its JSON text as the store builds it (session_queue.chunk_items).
Item = Union[dict, str]

__all__ = ["BookLoreClient", "Credentials", "Tokens", "TokenStore", "md5_hex", "MAX_BODY_BYTES"]


class BookLoreClient(FeatureProbes):
    """Typed calls to one BookLore server; raises only `python_core.errors` exceptions."""

    def __init__(self, credentials: Credentials, token_store: TokenStore | None = None,
                 timeout: tuple[float, float] = (5.0, 30.0), ca_bundle: str | None = None,
                 features: FeatureStore | None = None):
        self._credentials = credentials
        self._features = features if features is not None else MemoryFeatureStore()
        self._transport = Transport(credentials.server_url, timeout, ca_bundle)
        self._send = self._transport.send
        store = token_store if token_store is not None else MemoryTokenStore()
        self._auth = JwtAuth(credentials, store, self._send)

    def close(self) -> None:
        self._transport.close()

    @property
    def requests_sent(self) -> int:
        """Requests this client sent (logins, probes and read-backs included)."""
        return self._transport.sent

    def __enter__(self) -> BookLoreClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- KOReader-header endpoints ------------------------------------------------------

    def check_koreader_auth(self) -> str:
        """The KOReader user name the server accepted (bad credentials answer 403)."""
        reply = self._koreader("koreader_auth")
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
        reply = self._koreader("by_hash", hash=book_hash)
        self._learn(feature_rules.BY_HASH, feature_rules.by_hash_verdict(reply))
        if reply.status == 404:
            return None
        self._raise_for_status(reply)
        if not http_errors.is_json(reply.content_type):
            return None
        book = http_errors.decode_json(reply, object)
        has_id = isinstance(book, dict) and type(book.get("id")) is int
        return book if has_id else None

    def post_session(self, book_id: int, book_type: str, item: Item) -> None:
        """Record one reading session; any 2xx is success (202, empty or JSON body). A 2xx
        that is neither (a web page) is `UnreadableAnswer`: it may well have been stored.
        `item` is a dict or its JSON text (as the store builds items)."""
        head = f'{{"bookId":{int(book_id)},"bookType":{json.dumps(book_type)}'
        body = _json_item(item)
        reply = self._session_post("session", JsonText(
            head + ("," + body[1:] if body != "{}" else "}")))
        self._raise_for_status(reply)
        try:
            http_errors.expect_api_body(reply)
        except BadResponse as exc:
            raise _unreadable(exc) from None

    def post_session_batch(self, book_id: int, book_type: str, items: list[Item]) -> dict:
        """Record sessions of one book all-or-nothing; the server's summary, or {} if empty.
        Each item is a dict or its JSON text (as the store builds items).

        A 2xx whose body cannot be read (not JSON, not an object) is `UnreadableAnswer`:
        the server most likely stored the batch, so it is counted like a lost answer and
        is never taken for a missing endpoint (which would send it again, singly)."""
        reply = self._session_post("batch", JsonText(
            f'{{"bookId":{int(book_id)},"bookType":{json.dumps(book_type)},"sessions":['
            + ",".join(map(_json_item, items)) + "]}"))
        self._raise_for_status(reply)
        if not reply.body.strip():
            return {}
        try:
            return http_errors.decode_json(reply, dict)
        except BadResponse as exc:
            raise _unreadable(exc) from None

    # -- JWT endpoints --------------------------------------------------------------------

    def login(self) -> None:
        """Log in on request (Test Connection): ignores a login block, and success lifts it."""
        self._auth.login()

    def search_books(self, *, title: str | None = None, isbn: str | None = None) -> list[dict]:
        """Books by ISBN (score 1.0 on exact match) and/or fuzzy title, best first."""
        params = {key: value for key, value in (("title", title), ("isbn", isbn)) if value}
        if not params:
            raise ValueError("search_books needs a title or an isbn")
        reply = self._jwt("search", params=params)
        return [book for book in self._json(reply, list) if isinstance(book, dict)]

    def library_books(self) -> list[LibraryBook]:
        """Every book the BookLore account can see (§2.18), read into what matching needs:
        one request for the whole library, however large (up to `MAX_LISTING_BYTES`)."""
        reply = self._jwt("books", max_body=MAX_LISTING_BYTES)
        self._raise_for_status(reply)
        if not http_errors.is_json(reply.content_type):
            http_errors.decode_json(reply, list)  # raises the web-page explanation
        return parse_listing(reply.body, reply.status)

    def get_book(self, book_id: int) -> dict:
        """The Book DTO (§2.9); its `metadata` holds title and authors."""
        return self._json(self._jwt("book", id=int(book_id)), dict)

    def book_sessions(self, book_id: int, *, since: str | None = None,
                      page_size: int = 100) -> Iterator[dict]:
        """The caller's sessions the server holds for one book, newest start first (§2.17).

        Pages are fetched as the caller iterates, so breaking off early costs no more
        requests. With `since` (an ISO time), iteration ends at the first session that
        started before it: the list is ordered by start, so nothing older can follow.
        Yielded sessions are the server's dicts with `startTime`/`endTime` in the
        canonical form of `clock.iso_utc`; progress values are 32-bit floats on the
        server, so compare them with a tolerance. Needs the BookLore account (JWT).
        """
        if not 1 <= page_size <= 100:
            raise ValueError("the server pages reading sessions 1 to 100 at a time")
        floor = clock.iso_utc(since) if since is not None else None
        for page in range(MAX_PAGES):
            reply = self._jwt("book_sessions", id=int(book_id),
                              params={"page": page, "size": page_size})
            body = self._json(reply, dict)
            found = parse_page(body, page, page_size, reply.status)
            for session in found.sessions:
                if floor is not None and session["startTime"] < floor:
                    return
                yield session
            if not found.more:
                return
        raise BadResponse(f"The server listed more than {MAX_PAGES} pages of reading "
                          f"sessions for book {book_id}; stopped reading them")

    def put_rating(self, book_id: int, rating: int) -> None:
        reply = self._jwt("rating", {"ids": [book_id], "rating": rating})
        self._raise_for_status(reply)
        http_errors.expect_api_body(reply)

    def post_annotation(self, payload: dict) -> dict:
        return self._json(self._jwt("annotation", payload), dict)

    def post_book_note_v2(self, payload: dict) -> dict:
        return self._json(self._jwt("note_v2", payload), dict)

    def post_book_note_v1(self, payload: dict) -> dict:
        return self._json(self._jwt("note_v1", payload), dict)

    def post_bookmark(self, payload: dict) -> dict:
        return self._json(self._jwt("bookmark", payload), dict)

    def healthcheck(self) -> dict:
        """The public ping; its `data.version` tells which server this is."""
        endpoint = ENDPOINTS["healthcheck"]
        return self._json(self._send(endpoint.method, endpoint.path), dict)

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

    def _koreader(self, name: str, payload: object = None, **fields: object) -> Reply:
        return self._send(ENDPOINTS[name].method, path_of(name, **fields),
                          headers=self._koreader_headers(), payload=payload)

    def _jwt(self, name: str, payload: object = None, params: dict | None = None,
             max_body: int | None = None, **fields: object) -> Reply:
        extra = {} if max_body is None else {"max_body": max_body}
        return self._auth.request(ENDPOINTS[name].method, path_of(name, **fields),
                                  payload=payload, params=params, **extra)

    def _session_post(self, name: str, payload: dict) -> Reply:
        return self._session_post_answers(name, payload)[-1][1]

    def _session_post_answers(self, name: str, payload: dict) -> list[tuple[str, Reply]]:
        """Session POSTs prefer KOReader headers (no login needed, fork servers). Upstream
        servers take only a JWT there and answer 403 to the headers: with a BookLore
        account, that 403 sends this and every later session POST to this server by JWT
        (remembered as the `koreader_sessions` feature). Returns every (auth, answer)
        tried, for `features.batch_verdict`."""
        credentials, answers = self._credentials, []
        koreader = credentials.koreader_user and credentials.koreader_key
        if koreader and self._features.load(feature_rules.KOREADER_SESSIONS) is not False:
            reply = self._koreader(name, payload)
            answers.append(("koreader", reply))
            if reply.status != 403 or not credentials.booklore_user:
                return answers
            self._features.save(feature_rules.KOREADER_SESSIONS, False)
        answers.append(("jwt", self._jwt(name, payload)))
        return answers

    def _raise_for_status(self, reply: Reply) -> None:
        http_errors.raise_for_status(reply, self._auth.redact)

    def _json(self, reply: Reply, expected: type):
        return http_errors.json_body(reply, expected, self._auth.redact)


def _json_item(item: Item) -> str:
    if isinstance(item, str):
        return item
    try:
        return json.dumps(item, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:  # NaN or an unknown type: a confusing 400 else
        raise Rejected(f"The request could not be written as JSON: {exc}") from None


def _unreadable(exc: BadResponse) -> UnreadableAnswer:
    return UnreadableAnswer(f"The server accepted the request but its answer could not be "
                            f"read ({exc}); it was probably stored", exc.status)
