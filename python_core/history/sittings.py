"""Reading sittings rebuilt from KOReader's page visits, and what is already known of them.

KOReader stores no sessions, only page visits (koreader-host.md §9): each with its start,
its seconds on the page (clamped to 5–120 s by default; shorter visits are not written) and
the layout's page count. A sitting is a run of visits of one book with no gap longer than
`SITTING_GAP_SECONDS` between the end of one visit and the start of the next
(docs/IMPORT.md says why 10 minutes). Visits that overlap reading BookLore Sync already
knows (live sessions, earlier imports, what the server holds) are dropped before the
sittings are formed, so nothing is counted twice and a re-import adds only new reading.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from typing import NamedTuple

#: Longest pause inside one sitting: five times KOReader's 120 s per-page cap, so a slow
#: page stays in its sitting; short of the 30-minute idle cap, because the statistics do
#: not record the suspends that end a live session.
SITTING_GAP_SECONDS = 600


class Visit(NamedTuple):
    page: int
    start: int
    duration: int
    total_pages: int


class Sitting(NamedTuple):
    start: int              # epoch seconds, UTC
    end: int                # end of the last visit
    reading_seconds: int    # sum of the visits' durations (pauses excluded)
    first_page: int
    first_total: int
    last_page: int
    last_total: int
    turns: int              # page turns inside the sitting (visits - 1), as live sessions count

    @property
    def start_progress(self) -> float:
        """Percent read before the first page of the sitting."""
        return _percent(self.first_page - 1, self.first_total)

    @property
    def end_progress(self) -> float:
        return _percent(self.last_page, self.last_total)


class KnownSpans:
    """Time spans (epoch seconds) of reading already recorded for one book, merged."""

    def __init__(self, spans: Iterable[tuple[float, float]] = ()):
        merged: list[list[float]] = []
        for start, end in sorted((min(a, b), max(a, b)) for a, b in spans):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self._starts = [span[0] for span in merged]
        self._ends = [span[1] for span in merged]

    def overlaps(self, start: float, end: float) -> bool:
        """True when [start, end] shares more than an instant with a known span."""
        index = bisect.bisect_left(self._starts, end) - 1
        return index >= 0 and self._ends[index] > start

    def __len__(self) -> int:
        return len(self._starts)


# Visits may be plain (page, start, duration, total_pages) tuples: the functions below index
# them rather than build a million named tuples.
_PAGE, _START, _DURATION, _TOTAL = range(4)


def new_visits(visits: Sequence[Visit], known: KnownSpans) -> list[Visit]:
    if not len(known):
        return list(visits)
    overlaps = known.overlaps
    return [v for v in visits if not overlaps(v[_START], v[_START] + max(v[_DURATION], 1))]


def sittings(visits: Sequence[Visit], gap: int = SITTING_GAP_SECONDS) -> list[Sitting]:
    """The sittings of one book's visits, given oldest first."""
    found, begin, previous_end = [], 0, None
    for index, visit in enumerate(visits):
        if previous_end is not None and visit[_START] - previous_end > gap:
            found.append(_sitting(visits[begin:index]))
            begin = index
        previous_end = visit[_START] + visit[_DURATION]
    if len(visits) > begin:
        found.append(_sitting(visits[begin:]))
    return found


def _sitting(run: Sequence[Visit]) -> Sitting:
    first, last = run[0], run[-1]
    end = max(v[_START] + v[_DURATION] for v in run)
    return Sitting(first[_START], end, sum(v[_DURATION] for v in run), first[_PAGE],
                   first[_TOTAL], last[_PAGE], last[_TOTAL], len(run) - 1)


def _percent(page: int, total: int) -> float:
    if total <= 0:
        return 0.0
    return min(100.0, max(0.0, 100.0 * page / total))
