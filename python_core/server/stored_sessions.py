"""Pages of the sessions a server holds for one book (booklore-api.md §2.17), checked.

Pure functions over decoded JSON, so the read-back's rules can be tested without a
network: `client.book_sessions` fetches the pages and these decide what each holds and
whether another follows. Two page shapes exist: Spring's VIA_DTO `{content, page: {...}}`
from v2.0.0, and the legacy `{content, number, totalPages, last, ...}` of v1.16-1.18.
"""

from __future__ import annotations

from typing import NamedTuple

from python_core import clock
from python_core.errors import BadResponse

#: Most pages read for one book: 100,000 sessions at 100 a page. A server that never
#: says "last" must not keep a sync reading forever.
MAX_PAGES = 1000


class SessionPage(NamedTuple):
    sessions: list[dict]   # newest start first, times in the store's canonical form
    more: bool             # another page follows


def parse_page(body: dict, requested: int, size: int, status: int) -> SessionPage:
    """One page's sessions and whether to ask for the next, or BadResponse."""
    content = body.get("content")
    if not isinstance(content, list):
        raise _bad("has no list of sessions", status)
    meta = body.get("page") if isinstance(body.get("page"), dict) else body
    number, total_pages = meta.get("number"), meta.get("totalPages")
    if type(number) is int and number != requested:
        raise _bad(f"answered page {number} when page {requested} was asked for", status)
    sessions = [_checked(item, status) for item in content]
    if meta.get("last") is True or len(sessions) < size:
        return SessionPage(sessions, False)
    if type(total_pages) is int:
        return SessionPage(sessions, requested + 1 < total_pages)
    return SessionPage(sessions, True)


def _checked(item: object, status: int) -> dict:
    """A stored session with `startTime`/`endTime` in the canonical form (whole seconds,
    `Z`), so they compare equal to what the store sent."""
    if not isinstance(item, dict):
        raise _bad("holds an entry that is not a session", status)
    try:
        start, end = clock.iso_utc(item["startTime"]), clock.iso_utc(item["endTime"])
    except (KeyError, TypeError, ValueError):
        raise _bad("holds a session without valid start and end times", status) from None
    duration = item.get("durationSeconds")
    if type(duration) is not int:
        raise _bad("holds a session without a whole-second duration", status)
    return {**item, "startTime": start, "endTime": end}


def _bad(what: str, status: int) -> BadResponse:
    return BadResponse(f"The server's list of reading sessions {what}", status)
