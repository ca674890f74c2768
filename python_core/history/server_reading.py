"""What BookLore already holds of a book's reading, for the history import.

KOReader's statistics sync merges other devices' reading into the same file, and those
devices may have uploaded it themselves, so with a BookLore account every imported book's
stored sessions are read back (`GET /api/v1/reading-sessions/book/{id}`, newest first, only
as far back as the oldest sitting to import) and their spans count as known reading. The
book's BookLore id comes from the cache, else from the by-hash lookup (KOReader account).
A server that cannot be asked stops the import: importing blind could count twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from python_core.clock import epoch, iso_utc
from python_core.errors import AuthError, BookLoreError, NetworkError, NotFound
from python_core.store import Database, book_cache


class ImportStopped(Exception):
    """The import cannot go on safely; `status` tells the reader what to do."""

    def __init__(self, message: str, status: str):
        super().__init__(message)
        self.message, self.status = message, status


class ServerReading:
    """Stored sessions per book, through one client opened on first use."""

    def __init__(self, db: Database, settings: dict[str, Any], client_factory: Callable):
        self.enabled = bool(settings["server_url"] and settings["booklore_username"]
                            and settings["booklore_password"])
        self._by_hash = bool(settings["username"] and settings["koreader_key"])
        self._db, self._factory, self._client = db, client_factory, None
        self.unchecked = 0   # books whose BookLore id could not be found

    def book_id(self, book_hash: str) -> int | None:
        known = book_cache.known_book_id(self._db.connection(), book_hash)
        if known is not None or not self.enabled or not self._by_hash:
            return known
        book = self._ask(lambda client: client.book_by_hash(book_hash))
        return book["id"] if book else None

    def spans(self, book_id: int | None, since: int) -> list[tuple[float, float]]:
        """(start, end) of the sessions stored for the book since `since` (epoch s)."""
        if not self.enabled:
            return []
        if book_id is None:
            self.unchecked += 1
            return []
        stored = self._ask(lambda client: list(client.book_sessions(
            book_id, since=iso_utc(since))), missing=[])
        return [(epoch(s["startTime"]), epoch(s["endTime"])) for s in stored]

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def _ask(self, call, missing=None):
        """The call's answer; `missing` when the server has no such book (deleted since)."""
        if self._client is None:
            self._client = self._factory()
        try:
            return call(self._client)
        except NotFound:
            return missing
        except AuthError as exc:
            raise ImportStopped(f"BookLore refused the account while checking what it already "
                                f"holds ({exc}); fix the account and import again",
                                "not_configured") from exc
        except NetworkError as exc:
            raise ImportStopped(f"Could not check what BookLore already holds ({exc}); try "
                                "again when the server can be reached", "offline") from exc
        except BookLoreError as exc:
            raise ImportStopped(f"Could not check what BookLore already holds ({exc})",
                                "failed") from exc
