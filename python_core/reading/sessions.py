"""Reading sessions: what counts as one, and the exact shape the server is sent.

Validation happens once, before a session is written; a session that fails it is never
stored. Normalisation happens at upload, so an item the server would reject for ever
(end before start, progress outside 0–100, a location over 500 characters, an unknown
book type) is fixed before it is sent instead of being retried silently.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any, NamedTuple

from python_core import field_limits
from python_core.clock import epoch, iso_utc, utc_now

SERVER_BOOK_TYPES = ("PDF", "EPUB", "CBX", "FB2", "MOBI", "AZW3", "AUDIOBOOK")
_TYPE_BY_EXTENSION = {
    "epub": "EPUB", "kepub": "EPUB", "pdf": "PDF", "cbz": "CBX", "cbr": "CBX", "cbt": "CBX",
    "fb2": "FB2", "mobi": "MOBI", "azw3": "AZW3", "azw": "AZW3",
    # Formats BookLore has no type for: paged ones count as PDF, reflowable ones as EPUB.
    "djvu": "PDF", "djv": "PDF", "xps": "PDF", "oxps": "PDF",
}
MAX_LOCATION_UNITS = field_limits.LOCATION
ABSURD_DURATION_SECONDS = 24 * 3600
NOT_SAVED = "Session not saved: criteria not met"


def book_type_for(path: str) -> str:
    name = path.lower()
    if name.endswith(".fb2.zip"):
        return "FB2"
    extension = os.path.splitext(name)[1].lstrip(".")
    return _TYPE_BY_EXTENSION.get(extension, "EPUB")


class Verdict(NamedTuple):
    keep: bool
    end_time: float
    reason: str = ""


def judge(raw: dict[str, Any], settings: dict[str, Any]) -> Verdict:
    """Apply product.md §4: idle cap, clock sanity, then the detection-mode threshold."""
    start, end = epoch(raw["start_time"]), epoch(raw["end_time"])
    last_activity = raw.get("last_activity_time")
    idle_cap = settings["idle_cap_minutes"] * 60
    if last_activity is not None and end - epoch(last_activity) > idle_cap:
        end = max(start, epoch(last_activity))
    if end < start:
        return Verdict(False, end, "it ends before it starts")
    duration = end - start
    if duration > ABSURD_DURATION_SECONDS:
        return Verdict(False, end, "its duration is implausible (clock jump)")
    pages = int(raw.get("pages_read") or 0)
    if settings["detection_mode"] == "pages":
        if pages < settings["min_pages"]:
            return Verdict(False, end, f"fewer than {settings['min_pages']} pages read")
    elif duration < settings["min_duration"]:
        return Verdict(False, end, f"shorter than {settings['min_duration']} s")
    elif pages < 1:
        return Verdict(False, end, "no page was turned")
    return Verdict(True, end)


def upload_item(row: Any, decimals: int) -> dict[str, Any]:
    """The batch/single item for a queued row, normalised so the server can accept it.

    The drain builds the same item inside SQLite (`session_queue.chunk_items`), so the
    two must agree to the last bit: the read-back compares what the server stored with
    what this function says was sent. Hence a rounding both can do identically in IEEE
    doubles (`round_progress`), not Python's `round` (ties to even, on the exact binary
    value) or SQLite's (half up, on a decimal rendering)."""
    start, start_text = _instant(row["start_time"])
    end, end_text = _instant(row["end_time"])
    if end < start:
        end_text = start_text
    duration = max(0, int(row["duration_seconds"] or 0))
    start_progress = round_progress(row["start_progress"], decimals)
    end_progress = round_progress(row["end_progress"], decimals)
    return {
        "startTime": start_text,
        "endTime": end_text,
        "durationSeconds": duration,
        "durationFormatted": format_duration(duration),
        "startProgress": start_progress,
        "endProgress": end_progress,
        "progressDelta": round_signed(end_progress - start_progress, progress_scale(decimals)),
        "startLocation": _location(row["start_location"]),
        "endLocation": _location(row["end_location"]),
    }


def _instant(value: float | str) -> tuple[datetime, str]:
    """The moment and its canonical text. Stored times are canonical already, so the hot
    path only validates them (fromisoformat is C) instead of formatting them again."""
    if isinstance(value, str) and len(value) == 20 and value.endswith("Z"):
        return datetime.fromisoformat(value[:-1] + "+00:00"), value
    text = iso_utc(value)
    return datetime.fromisoformat(text[:-1] + "+00:00"), text


def server_book_type(book_type: str | None) -> str:
    value = (book_type or "").upper()
    return value if value in SERVER_BOOK_TYPES else "EPUB"


def progress_scale(decimals: int) -> float:
    return 10.0 ** decimals


def round_progress(value: Any, decimals: int) -> float:
    """Clamped to 0-100 and rounded half up at `decimals`: int(x * 10**d + 0.5) / 10**d,
    the same IEEE operations as the SQL in `session_queue.chunk_items`."""
    scale = progress_scale(decimals)
    return int(min(100.0, max(0.0, float(value or 0.0))) * scale + 0.5) / scale


def round_signed(value: float, scale: float) -> float:
    """Half away from zero at 1/scale (a delta may be negative)."""
    if value >= 0:
        return int(value * scale + 0.5) / scale
    return -(int(-value * scale + 0.5) / scale)



def _location(value: Any) -> str:
    """At most 500 UTF-16 units, as the server counts (field_limits)."""
    return "" if value is None else field_limits.clip(str(value), MAX_LOCATION_UNITS)


def format_duration(seconds: int) -> str:
    """'1h 2m 3s', '4m 5s' or '7s', as BookLore's own web reader writes it."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m {secs}s"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


def session_row(data: dict[str, Any], entry: dict[str, Any], end: float) -> dict[str, Any]:
    start = epoch(data["start_time"])
    return {
        "book_id": entry["book_id"], "book_hash": entry["book_hash"],
        "book_type": data.get("book_type") or book_type_for(
            entry["file_path"] or ""),
        "title": entry["title"],
        "start_time": iso_utc(start), "end_time": iso_utc(end),
        "duration_seconds": int(round(end - start)),
        "start_progress": data.get("start_progress"), "end_progress": data.get("end_progress"),
        "start_location": _text(data.get("start_location")),
        "end_location": _text(data.get("end_location")),
        "pages_read": data.get("pages_read"), "created_at": utc_now(),
    }


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
