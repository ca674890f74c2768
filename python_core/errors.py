"""The one exception hierarchy of BookLore Sync.

The HTTP transport (`server/transport.py`) and the answer rules (`server/http_errors.py`)
translate every network and server failure into one of these at a single boundary; the
sync engine decides per item or per batch what each means (retry, fall back, skip); the
facade turns them into plain result values. Nothing above the facade ever sees an
exception. Messages are written for a reader and never contain a password, key or token."""

from __future__ import annotations


class BookLoreError(Exception):
    """A request to the BookLore server did not succeed."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message


class NetworkError(BookLoreError):
    """No complete HTTP response arrived."""

    #: True when the request may have reached the server (its outcome is unknown).
    sent = True


class Unreachable(NetworkError):
    """The server could not be contacted at all; nothing was sent."""

    sent = False


class ResponseLost(NetworkError):
    """The request went out but its answer was lost (timeout, reset, cut-off body)."""

    sent = True


class UnreadableAnswer(ResponseLost):
    """The server said 2xx but its answer cannot be read (not JSON, the wrong shape): the
    request most likely took effect, yet nothing confirms it. Counted like a lost answer,
    never as a sign that the endpoint is missing."""


class AuthError(BookLoreError):
    """The server refused the credentials (401/403, bad login, login rate limit)."""


class NotFound(BookLoreError):
    """The server answered 404."""


class Rejected(BookLoreError):
    """The server refused the request with another 4xx; resending it unchanged will fail."""

    def __init__(self, message: str, status: int | None = None, details: tuple[str, ...] = ()):
        super().__init__(message, status)
        self.details = details


class ServerError(BookLoreError):
    """The server failed (a 5xx) or is busy (429, a proxy's rate limit); the same request
    may succeed later."""


class BadResponse(BookLoreError):
    """The server answered, but not with what the API promises (HTML, bad JSON, a redirect)."""


class FingerprintError(Exception):
    """A book file could not be read to compute its fingerprint."""


class SettingsError(ValueError):
    """A setting was given a value it cannot hold."""


class StoreError(Exception):
    """The local database cannot be used (newer schema, a file that is not ours, a folder
    where the file should be). The message says what is wrong, which file and what to do.

    The file itself is the problem, so a fresh side database beside it can take the
    reading that goes on meanwhile (`side_database_helps`); the file is left untouched."""

    side_database_helps = True


class DatabaseUnusable(StoreError):
    """BookLore Sync's own database failed while in use (a plain StoreError may be about
    another file, such as KOReader's statistics being imported)."""


class DamagedDatabase(DatabaseUnusable):
    """The database file is damaged (truncated, or pages that cannot be read);
    `booklore-sync doctor` or Settings → Repair database saves what can be read."""


class StoreBusy(DatabaseUnusable):
    """Another program holds the database locked for longer than the busy timeout; the
    same call will work later."""

    side_database_helps = False


class SettingsFolderError(DatabaseUnusable):
    """The settings folder cannot be used (it is a file, cannot be created, is read-only,
    or the storage is full): no database can be written there at all."""

    side_database_helps = False


def internal_error_text(name: str, exc: BaseException) -> str:
    """What the reader sees when `name` failed unexpectedly: the kind of failure, never its
    text (which may hold a path or a value); the traceback goes to the log."""
    return f"Internal error in {name}: {type(exc).__name__}"
