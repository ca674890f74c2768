"""Which optional endpoints a server has, decided from answers that cannot mislead.

BookLore servers differ (booklore-api.md §3): the fork has by-hash, search and the batch
upload; upstream has none of them but has the library listing and (from v1.16.1) the
read-back of stored sessions. A missing endpoint does not answer 404: upstream serves its
web app (200 text/html) for an unknown GET and 500 for an unknown POST, and refuses
KOReader headers with 403 before it even looks (§1.8). So each feature is decided by one
harmless probe whose answer differs between the two kinds of server, and only such a
decisive answer is remembered (per server, until Test Connection or a change of server or
account); anything else (a proxy's 502, a lost answer, a refused account) leaves it
unknown and is asked again later.

| feature | probe | there | missing |
|---|---|---|---|
| `batch_sessions` | POST an empty batch, as sessions are sent | 400 JSON (the empty list is refused by validation) | 403 to KOReader headers with no BookLore account to try next; else 500 (upstream's unmapped POST), 404, 405, 501 |
| `by_hash` | GET by-hash of an all-zero fingerprint | 404 JSON (or a book) | a web page, 404 without JSON, 405 |
| `search` | GET search without a parameter | 400 JSON ("at least one parameter") | 500 (upstream reads `search` as a book id), 404, 405, a web page |
| `read_back` | GET the sessions of book 0 | 404 JSON "Book not found" (or a page) | a web page (servers before v1.16.1), 404 without JSON, 405 |

The library listing (`GET /api/v1/books`) exists on every server and is not probed.
`koreader_sessions` is learnt, not probed: a 403 to KOReader headers on a session POST
with a BookLore account to try instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from python_core.server.http_errors import Reply, error_text, is_json

BATCH = "batch_sessions"
BY_HASH = "by_hash"
SEARCH = "search"
READ_BACK = "read_back"
#: Not an endpoint but how sessions are taken: False once the session endpoints refused
#: KOReader headers with 403 (upstream takes only a JWT there), so they are not tried again.
KOREADER_SESSIONS = "koreader_sessions"
PROBED = (BATCH, BY_HASH, SEARCH, READ_BACK)
FEATURES = (*PROBED, KOREADER_SESSIONS)

PROBE_HASH = "0" * 32
EMPTY_BATCH = {"bookId": 0, "bookType": "EPUB", "sessions": []}
NO_BOOK = 0

#: (which auth was used: "koreader" or "jwt", the answer), in the order they were tried.
Answers = Sequence[tuple[str, Reply]]


class FeatureStore(Protocol):
    """Where decided features are kept, so a restart does not probe again."""

    def load(self, feature: str) -> bool | None:
        """True or False once decided, None while unknown."""

    def save(self, feature: str, available: bool | None) -> None:
        """Remember a decision (None forgets it)."""


class MemoryFeatureStore:
    """The FeatureStore used when none is given: decisions last one client's life."""

    def __init__(self):
        self._known: dict[str, bool] = {}

    def load(self, feature: str) -> bool | None:
        return self._known.get(feature)

    def save(self, feature: str, available: bool | None) -> None:
        if available is None:
            self._known.pop(feature, None)
        else:
            self._known[feature] = available


def batch_verdict(answers: Answers) -> bool | None:
    """The empty batch's answers (KOReader headers first, then perhaps a JWT)."""
    auth, reply = answers[-1]
    status = reply.status
    if 200 <= status < 300:
        return True if _json_or_empty(reply) else None
    if status == 400 and is_json(reply.content_type):
        return True
    if status == 404 and _says_book_not_found(reply):
        return True  # a build that looks the book up before validating the list
    if status == 403 and auth == "koreader":
        return False  # no BookLore account to try: the endpoint refuses our account
    if status in (404, 405, 500, 501):
        return False
    return None


def by_hash_verdict(reply: Reply) -> bool | None:
    status = reply.status
    if status in (200, 404) and is_json(reply.content_type):
        return True
    if _app_page(reply) or status in (404, 405):
        return False
    return None


def search_verdict(reply: Reply) -> bool | None:
    status = reply.status
    if status in (200, 400) and is_json(reply.content_type):
        return True
    if _app_page(reply) or status in (404, 405, 500, 501):
        return False
    return None


def read_back_verdict(reply: Reply) -> bool | None:
    status = reply.status
    if status in (200, 400, 404) and is_json(reply.content_type):
        return True
    if _app_page(reply) or status in (404, 405, 501):
        return False
    return None


def _json_or_empty(reply: Reply) -> bool:
    return not reply.body.strip() or is_json(reply.content_type)


def _app_page(reply: Reply) -> bool:
    """200 with a body that is not JSON: the web app answering a GET no controller maps."""
    return reply.status == 200 and bool(reply.body.strip()) and not is_json(reply.content_type)


def _says_book_not_found(reply: Reply) -> bool:
    if not is_json(reply.content_type):
        return False
    text, _details = error_text(reply.content_type, reply.body, lambda words: words)
    return text.startswith("Book not found")
