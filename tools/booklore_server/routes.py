"""The endpoint table and dispatch: security first, then the controller, then
Spring's fallbacks for paths no controller maps.

Fallbacks: an unmapped GET gets the SPA ``index.html`` (200 text/html); a mapped
path with another method, or any unmapped non-GET, gets 500 shape A (the global
handler's catch-all). Endpoints marked fork-only do not exist on "upstream".
"""

import dataclasses
import re

from . import accounts, annotations, books, security, sessions
from .errors import UNEXPECTED, ApiError
from .responses import application_error, spa_page


@dataclasses.dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    handler: object
    fork_only: bool = False

    def match(self, path):
        return re.fullmatch(self.pattern, path)


#: Order matters where patterns overlap: literal segments before ``{bookId}``.
ROUTES = (
    Route("GET", r"/api/v1/healthcheck", accounts.healthcheck),
    Route("POST", r"/api/v1/auth/login", accounts.login),
    Route("POST", r"/api/v1/auth/refresh", accounts.refresh),
    Route("GET", r"/api/koreader/users/auth", accounts.koreader_auth),
    Route("POST", r"/api/koreader/users/create", accounts.koreader_register),
    Route("GET", r"/api/koreader/books/by-hash/(?P<file_hash>[^/]+)", books.by_hash, True),
    Route("GET", r"/api/v1/books/by-hash/(?P<file_hash>[^/]+)", books.by_hash, True),
    Route("GET", r"/api/v1/books/search", books.search, True),
    Route("GET", r"/api/v1/books", books.list_books),
    Route("PUT", r"/api/v1/books/personal-rating", books.update_rating),
    Route("GET", r"/api/v1/books/(?P<book_id>[^/]+)", books.get_book),
    Route("POST", r"/api/v1/reading-sessions", sessions.record_one),
    Route("POST", r"/api/v1/reading-sessions/batch", sessions.record_batch, True),
    Route("GET", r"/api/v1/reading-sessions/book/(?P<book_id>[^/]+)", sessions.list_for_book),
    Route("POST", r"/api/v1/annotations", annotations.create_annotation),
    Route("POST", r"/api/v2/book-notes", annotations.create_note_v2),
    Route("POST", r"/api/v1/book-notes", annotations.create_or_update_note_v1),
    Route("POST", r"/api/v1/bookmarks", annotations.create_bookmark),
)


def _endpoints(flavour):
    return [route for route in ROUTES if flavour == "fork" or not route.fork_only]


def _resolve(method, path, flavour):
    """(route, path params) of the endpoint mapped to this method and path, else (None, {})."""
    for route in _endpoints(flavour):
        found = route.match(path)
        if found and route.method == method:
            return route, found.groupdict()
    return None, {}


def _maps_path(path, flavour):
    return any(route.match(path) for route in _endpoints(flavour))


def dispatch(server, request):
    """Answer one request that the fault injector let through, under the state lock."""
    with server.state.lock:
        refusal = security.authenticate(request, server.auth, server.flavour)
        if refusal is not None:
            return refusal
        route, params = _resolve(request.method, request.path, server.flavour)
        if route is None:
            if request.method == "GET" and not _maps_path(request.path, server.flavour):
                return spa_page()
            return application_error(500, UNEXPECTED)
        try:
            return route.handler(server, request, **params)
        except ApiError as error:
            return application_error(error.status, error.message, error.details)
