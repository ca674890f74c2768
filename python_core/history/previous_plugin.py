"""Taking over the previous BookLore plugin's database the first time ours opens its folder.

That plugin (other-plugin-db.md) keeps a `booklore-sync.sqlite` of its own in the same
place. `adopt` is handed to `Database` and runs before any migration touches the file:
the file is kept byte for byte under a clear name, and its queued sessions (with their
retry counts), ratings and annotations, the sessions it already uploaded (as history, so
they are never sent again), its book cache and its settings are written into a new
database of ours in one transaction, which then takes the file's place. The reader is
told once what was taken over, and what was not (it stays in the kept file).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from python_core import settings as setting_rules
from python_core.annotations.items import ADOPTED_DIGEST, booklore_colour
from python_core.clock import iso_utc, utc_now
from python_core.history.previous_settings import NOTES_DESTINATIONS, our_settings
from python_core.reading.sessions import server_book_type
from python_core.store import (
    adopted_rows,
    adoption_file,
    config_tables,
    notices,
    previous_plugin_db,
)

NOTICE_TOPIC = "previous_plugin"
SOURCE = "previous plugin"
_MD5 = re.compile(r"^[0-9a-f]{32}$")
#: Their annotation types → (our kind, our notes destination).
ANNOTATION_TYPES = {"highlight": ("highlight", None), "in_book_note": ("note", "book"),
                    "booklore_note": ("note", "booklore"), "both_note": ("note", "both")}


def adopt(path: Path) -> None:
    """Replace the previous plugin's file at `path` with ours holding what it held."""
    kept = adoption_file.keep_copy(path)
    with adoption_file.scratch_copy(kept) as source:
        found = previous_plugin_db.read_all(source)
    now = utc_now()

    def fill(conn) -> None:
        counts = _write(conn, found, now)
        notices.add_notice(conn, NOTICE_TOPIC, notice_text(counts, kept.name), now)

    adoption_file.replace_with_new(path, fill)


class _Books:
    """Fingerprints by their cache row id and by BookLore book id: their queues point at
    `book_cache.id`, and a session row may carry only a book id."""

    def __init__(self, cache_rows: list[dict[str, Any]]):
        self.by_cache_id, self.by_book_id = {}, {}
        for row in cache_rows:
            book_hash = _md5(row.get("file_hash"))
            if book_hash:
                self.by_cache_id[row.get("id")] = book_hash
                if row.get("book_id") is not None:
                    self.by_book_id.setdefault(row["book_id"], book_hash)
        self.book_ids = {h: b for b, h in self.by_book_id.items()}

    def hash_of(self, row: dict[str, Any]) -> str | None:
        return (_md5(row.get("book_hash")) or self.by_cache_id.get(row.get("book_cache_id"))
                or self.by_book_id.get(row.get("book_id")))


def _write(conn, found: dict[str, list[dict[str, Any]]], now: str) -> Counter:
    counts: Counter = Counter()
    books = _Books(found["book_cache"])
    for row in found["book_cache"]:
        counts["books"] += _cache_row(conn, row, now)
    for row in found["uploaded_sessions"]:
        counts["history" if _session(conn, row, books, now, uploaded=True) else "_"] += 1
    for row in found["pending_sessions"]:
        counts[_session(conn, row, books, now, uploaded=False)] += 1
    counts["sessions"] -= adopted_rows.drop_pending_already_uploaded(conn)
    _ratings(conn, found, books, now, counts)
    _annotations(conn, found, books, now, counts)
    values, refused = our_settings(found["settings"])
    for key, value in values.items():  # the KOReader password only as its key
        config_tables.set_setting(conn, *setting_rules.stored(key, value))
    counts["settings"], counts["settings_left"] = len(values), len(refused)
    counts["bookmarks_left"] = _count(found["pending_bookmarks"])
    counts["staged_left"] = _count(found["staged_sessions"])
    return counts


def _cache_row(conn, row: dict[str, Any], now: str) -> int:
    book_hash, path = _md5(row.get("file_hash")), row.get("file_path")
    if not book_hash or not isinstance(path, str) or not path:
        return 0
    return int(adopted_rows.cache_row(conn, {
        "file_path": path, "book_hash": book_hash, "book_id": _int(row.get("book_id")),
        "title": _text(row.get("title")), "author": _text(row.get("author")),
        "isbn10": _text(row.get("isbn10")), "isbn13": _text(row.get("isbn13")),
        "created_at": _epoch_text(row.get("created_at"), now),
        "updated_at": _epoch_text(row.get("updated_at"), now)}, SOURCE))


def _session(conn, row: dict[str, Any], books: _Books, now: str, uploaded: bool) -> str:
    """"sessions" when the session was written, "duplicates" when it repeats one already
    written, "sessions_left" when it lacks a fingerprint or valid times (it stays in the
    kept file)."""
    book_hash = books.hash_of(row)
    start, end = _utc(row.get("start_time")), _utc(row.get("end_time"))
    duration = _int(row.get("duration_seconds"))
    if not book_hash or not start or not end or duration is None or duration < 0:
        return "sessions_left"
    start_location, end_location = _text(row.get("start_location")), _text(
        row.get("end_location"))
    session = {
        "book_id": _int(row.get("book_id")) or books.book_ids.get(book_hash),
        "book_hash": book_hash, "book_type": server_book_type(_text(row.get("book_type"))),
        "title": _text(row.get("book_title") or row.get("koreader_book_title")),
        "start_time": start, "end_time": end, "duration_seconds": duration,
        "start_progress": _float(row.get("start_progress")),
        "end_progress": _float(row.get("end_progress")),
        "start_location": start_location, "end_location": end_location,
        "pages_read": _pages(start_location, end_location),
        "created_at": _epoch_text(row.get("created_at"), now),
    }
    if uploaded:
        written = adopted_rows.uploaded_session(conn, session, session["created_at"])
    else:
        written = adopted_rows.pending_session(conn, session, _int(row.get("retry_count")) or 0)
    return "sessions" if written else "duplicates"


def _ratings(conn, found, books: _Books, now: str, counts: Counter) -> None:
    for row in found["uploaded_ratings"]:
        book_hash, rating = books.hash_of(row), _int(row.get("rating"))
        if book_hash and rating is not None and 1 <= rating <= 10:
            adopted_rows.uploaded_rating(conn, book_hash, rating, now)
    for row in found["pending_ratings"]:
        book_hash, rating = books.hash_of(row), _int(row.get("rating"))
        if not book_hash or rating is None or not 1 <= rating <= 10:
            counts["ratings_left"] += 1
            continue
        book_id = _int(row.get("book_id")) or books.book_ids.get(book_hash)
        adopted_rows.pending_rating(conn, book_hash, book_id, rating,
                                    _int(row.get("retry_count")) or 0, now)
        counts["ratings"] += 1


def _annotations(conn, found, books: _Books, now: str, counts: Counter) -> None:
    for row in found["uploaded_annotations"]:
        kind = ANNOTATION_TYPES.get(row.get("annotation_type"), (None, None))[0]
        book_hash, created = books.hash_of(row), _text(row.get("koreader_datetime"))
        if kind and book_hash and created:
            adopted_rows.uploaded_annotation(conn, (book_hash, created, kind), ADOPTED_DIGEST,
                                             SOURCE, _int(row.get("server_id")), now)
    for row in found["pending_annotations"]:
        item = _annotation(row, books, now)
        if item is None:
            counts["annotations_left"] += 1
        else:
            counts["annotations"] += adopted_rows.pending_annotation(conn, item)


def _annotation(row: dict[str, Any], books: _Books, now: str) -> dict[str, Any] | None:
    try:
        payload = json.loads(row.get("payload") or "{}")
    except (TypeError, ValueError):
        return None
    payload = payload if isinstance(payload, dict) else {}
    kind, destination = ANNOTATION_TYPES.get(row.get("ann_type") or payload.get("ann_type"),
                                             (None, None))
    book_hash, created = books.hash_of(row), _text(row.get("datetime") or payload.get("datetime"))
    if not kind or not book_hash or not created:
        return None
    return {
        "book_id": _int(row.get("book_id")) or books.book_ids.get(book_hash),
        "book_hash": book_hash, "kind": kind, "created": created,
        "text": _text(payload.get("text")), "note": _text(payload.get("note")),
        "chapter": _text(payload.get("chapter")), "page": None,
        "pos0": _text(payload.get("pos0")), "pos1": _text(payload.get("pos1")),
        "cfi": _text(payload.get("cfi")), "color": booklore_colour(payload.get("color")),
        "style": _text(payload.get("style")) or "highlight",
        "destination": destination or NOTES_DESTINATIONS.get(payload.get("notes_dest"), "book"),
        "retry_count": _int(row.get("retry_count")) or 0, "created_at": now, "updated_at": now,
    }


def notice_text(counts: Counter, kept_name: str) -> str:
    taken = _listing([(counts["sessions"], "session"), (counts["ratings"], "rating"),
                      (counts["annotations"], "annotation")]) or "nothing queued"
    text = (f"Imported {taken} from the previous BookLore plugin, with its "
            f"{_plural(counts['books'], 'book')}, {_plural(counts['history'], 'uploaded session')}"
            f" and {_plural(counts['settings'], 'setting')}. Its database is kept as {kept_name}.")
    left = _listing([
        (counts["sessions_left"], "queued session without a book fingerprint or valid times"),
        (counts["ratings_left"], "rating"), (counts["annotations_left"], "annotation"),
        (counts["bookmarks_left"], "bookmark"), (counts["settings_left"], "setting")])
    if left:
        text += f" Not taken over (they stay in that file): {left}."
    if counts["staged_left"]:
        text += (f" {_plural(counts['staged_left'], 'session')} it had read from KOReader's "
                 "statistics but not uploaded can be brought in with Import reading history.")
    return text


def _listing(parts: list[tuple[int, str]]) -> str:
    shown = [_plural(number, noun) for number, noun in parts if number]
    return ", ".join(shown[:-1]) + (" and " if len(shown) > 1 else "") + shown[-1] if shown else ""


def _plural(number: int, noun: str) -> str:
    """'1 rating', '3 ratings', '2 uploaded sessions', '4 queued sessions without ...'."""
    if number == 1:
        return f"1 {noun}"
    words = noun.split(" ")
    index = 1 if words[0] in ("queued", "uploaded") and len(words) > 1 else 0
    words[index] += "s"
    return f"{number} {' '.join(words)}"


def _count(rows: list[dict[str, Any]]) -> int:
    return int(rows[0]["n"]) if rows and isinstance(rows[0].get("n"), int) else 0


def _md5(value: Any) -> str | None:
    text = value.strip().lower() if isinstance(value, str) else ""
    return text if _MD5.match(text) else None


def _utc(value: Any) -> str | None:
    """Their times are ISO-8601 UTC with `Z`; a zone-less one is read as UTC too."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace(" ", "T")
    for candidate in (text, text + "+00:00"):
        try:
            return iso_utc(candidate)
        except ValueError:
            continue
    return None


def _epoch_text(value: Any, fallback: str) -> str:
    number = _int(value)
    return iso_utc(number) if number is not None and number > 0 else fallback


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,18}\s*", value):
        return int(value)
    return None


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _text(value: Any) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) and value != "" else None


def _pages(start: str | None, end: str | None) -> int | None:
    first, last = _int(start), _int(end)
    return max(0, last - first) if first is not None and last is not None else None
