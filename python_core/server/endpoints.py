"""Every BookLore endpoint the client uses: method, path, which account, and what a good
answer is (booklore-api.md §2), in one table, as the store keeps its SQL.

Paths with `{name}` fields are filled by `path_of`, which quotes each value so a
fingerprint or an id can never add a path segment.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import quote


class Endpoint(NamedTuple):
    method: str
    path: str
    auth: str      # "koreader", "jwt", "koreader or jwt" (sessions), "none"
    success: str   # what a good answer looks like


ENDPOINTS = {
    "koreader_auth": Endpoint("GET", "/api/koreader/users/auth", "koreader", "200 {username}"),
    "by_hash": Endpoint("GET", "/api/koreader/books/by-hash/{hash}", "koreader",
                        "200 Book JSON; 404 or an HTML page = unknown"),
    "session": Endpoint("POST", "/api/v1/reading-sessions", "koreader or jwt", "any 2xx"),
    "batch": Endpoint("POST", "/api/v1/reading-sessions/batch", "koreader or jwt",
                      "2xx, JSON summary or empty"),
    "book_sessions": Endpoint("GET", "/api/v1/reading-sessions/book/{id}", "jwt",
                              "200 Page {content: [session, newest start first], page}"),
    "login": Endpoint("POST", "/api/v1/auth/login", "none", "200 {accessToken, refreshToken}"),
    "refresh": Endpoint("POST", "/api/v1/auth/refresh", "none",
                        "200 {accessToken, refreshToken}"),
    "search": Endpoint("GET", "/api/v1/books/search", "jwt", "200 [Book + matchScore]"),
    "books": Endpoint("GET", "/api/v1/books", "jwt",
                      "200 [Book] (the library listing: every book the account can see)"),
    "book": Endpoint("GET", "/api/v1/books/{id}", "jwt", "200 Book JSON"),
    "rating": Endpoint("PUT", "/api/v1/books/personal-rating", "jwt", "2xx"),
    "annotation": Endpoint("POST", "/api/v1/annotations", "jwt", "200 JSON; 409 = already there"),
    "note_v2": Endpoint("POST", "/api/v2/book-notes", "jwt", "200 JSON; 409 = already there"),
    "note_v1": Endpoint("POST", "/api/v1/book-notes", "jwt", "200 JSON (no dedup)"),
    "bookmark": Endpoint("POST", "/api/v1/bookmarks", "jwt", "200 JSON; 409 = already there"),
    "healthcheck": Endpoint("GET", "/api/v1/healthcheck", "none", "200 {data: {version}}"),
}


def path_of(name: str, **fields: object) -> str:
    return ENDPOINTS[name].path.format(**{k: quote(str(v), safe="") for k, v in fields.items()})
