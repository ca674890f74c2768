"""Is a session the server holds the same sitting as one known here?

Used wherever the core reads back what a server stored (booklore-api.md §2.17) to avoid
counting a sitting twice: the sessions phase, before re-sending a batch whose answer was
lost, and the history import, before uploading a sitting another device already sent.

Two sessions are the same when start, end and duration are equal (the server keeps whole
seconds and the store writes only whole seconds, so the texts compare exactly) and their
progress values agree within the precision of a Java `Float`, which is how the server
keeps them. A progress value the server does not have (null) is not held against a match:
start, end and duration to the second already name one sitting of one reader.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: Percentage points. A 32-bit float is within 4e-6 of any value from 0 to 100; anything
#: further apart than this is a different reading of the progress, not float rounding.
PROGRESS_TOLERANCE = 1e-3
_PROGRESS = ("startProgress", "endProgress")


def timing_key(session: Mapping[str, Any]) -> tuple[str, str, int]:
    """What two sessions must share exactly: (startTime, endTime, durationSeconds)."""
    return session["startTime"], session["endTime"], int(session["durationSeconds"])


def same_session(local: Mapping[str, Any], stored: Mapping[str, Any],
                 tolerance: float = PROGRESS_TOLERANCE) -> bool:
    """True when `stored` (the server's session) is the sitting `local` describes; both
    in the upload shape (`startTime`, `endTime`, `durationSeconds`, progress values)."""
    return timing_key(local) == timing_key(stored) and _progress_agrees(local, stored, tolerance)


def _progress_agrees(local: Mapping[str, Any], stored: Mapping[str, Any],
                     tolerance: float) -> bool:
    for name in _PROGRESS:
        mine, theirs = local.get(name), stored.get(name)
        if mine is None or theirs is None:
            continue
        if abs(float(mine) - float(theirs)) > tolerance:
            return False
    return True


class StoredSessions:
    """The sessions a server holds, indexed by timing, each usable for one match only:
    two identical local sittings need two stored copies to both count as there."""

    def __init__(self, stored: Iterable[Mapping[str, Any]] = ()):
        self._by_timing: dict[tuple[str, str, int], list[Mapping[str, Any]]] = {}
        for session in stored:
            self.add(session)

    def add(self, session: Mapping[str, Any]) -> None:
        self._by_timing.setdefault(timing_key(session), []).append(session)

    def take(self, local: Mapping[str, Any],
             tolerance: float = PROGRESS_TOLERANCE) -> Mapping[str, Any] | None:
        """The stored session that matches `local`, removed from the index; or None."""
        candidates = self._by_timing.get(timing_key(local))
        if not candidates:
            return None
        for position, stored in enumerate(candidates):
            if _progress_agrees(local, stored, tolerance):
                return candidates.pop(position)
        return None

    def __len__(self) -> int:
        return sum(len(candidates) for candidates in self._by_timing.values())
