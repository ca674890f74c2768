"""What a book leaves for BookLore when it closes or the device sleeps: its star rating
(at close), the highlights and notes BookLore does not have yet, and (when the reader
syncs them) its page bookmarks, queued before any network is tried.

The plugin sends KOReader's live state as plain values: the book's `summary` (rating 1–5
stars, status) and the annotation list. Everything deciding what to queue is here, with
the reader's settings: rating sync, highlight sync, the notes destination, whether
highlights wait until the book is finished, and bookmark sync (bookmarks are positions,
queued at every session end; only those the EPUB can place, as BookLore keeps a bookmark
as a CFI). Only new or changed annotations are worked
on, so the book file is opened (for CFIs) only when there is something to place.
"""

from __future__ import annotations

import logging
import os
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from typing import Any, NamedTuple

from python_core.annotations import items as annotation_items
from python_core.annotations.epub_file import EpubFile
from python_core.books.entry import book_entry
from python_core.store import Database, book_cache, item_queues

log = logging.getLogger("booklore_sync.capture")

#: The book counts as finished from here (percent), or when KOReader says "complete".
FINISHED_PERCENT = 99.0
EPUB_EXTENSIONS = (".epub", ".kepub")


class Capture(NamedTuple):
    """What one book leaves to queue: its book entry, star count, new annotations, and
    the (identity, digest) of annotations another plugin uploaded, seen for the first time."""
    book: dict[str, Any]
    stars: int | None
    items: list[dict[str, Any]]
    adopted: list[tuple[tuple, str]]


def capture(db: Database, settings: dict[str, Any], event: dict[str, Any],
            now: str) -> dict[str, Any]:
    """Queue what changed; answers how many ratings and annotations were queued."""
    found = plan(db, settings, event, now)
    if found is None:
        return {"ratings": 0, "annotations": 0, "queued": False}
    with db.atomic() as tx:
        rated, queued = apply(tx, found, now)
    return {"ratings": int(rated), "annotations": queued, "queued": rated or bool(queued),
            "book_hash": found.book["book_hash"]}


def plan(db: Database, settings: dict[str, Any], event: dict[str, Any],
         now: str) -> Capture | None:
    """What `event` would queue, worked out without writing (the book file is read for
    CFIs); None when it carries neither a rating nor annotations to sync."""
    at_close = event.get("reason") == "close"
    stars = _star_count(event.get("rating")) if at_close and settings["rating_sync"] else None
    entries, wanted = _annotation_entries(settings, event)
    if not stars and not entries:
        return None
    book = book_entry(event)
    book["book_id"] = book["book_id"] or book_cache.known_book_id(db.connection(),
                                                                   book["book_hash"])
    destination = settings["notes_destination"]
    items, adopted = _new_annotations(db, entries, lambda entry: _item(
        entry, wanted, book, destination, now))
    _place_in_book(items, book["file_path"])
    placed = [item for item in items if item["kind"] != "bookmark" or item["cfi"]]
    return Capture(book, stars, placed, adopted)


def apply(tx, found: Capture, now: str) -> tuple[bool, int]:
    """Queue a planned capture in the caller's transaction: (rating queued, annotations)."""
    rated = queue_star_rating(tx, found.book, found.stars, now)
    for item in found.items:
        item_queues.queue_annotation(tx, item)
    for key, version in found.adopted:
        item_queues.set_uploaded_digest(tx, key, version)
    return rated, len(found.items)


def queue_star_rating(tx, book: dict[str, Any], stars: Any, now: str) -> bool:
    """KOReader's 1–5 stars as BookLore's 1–10 (× 2), unless that is what BookLore has."""
    count = _star_count(stars)
    if not count:
        return False
    return item_queues.queue_rating(tx, book["book_hash"], book["book_id"], count * 2, now)


def book_finished(event: dict[str, Any]) -> bool:
    progress = event.get("progress")
    read_to_end = isinstance(progress, (int, float)) and progress >= FINISHED_PERCENT
    return read_to_end or event.get("status") == "complete"


def _star_count(stars: Any) -> int | None:
    if isinstance(stars, bool) or not isinstance(stars, (int, float)):
        return None
    return int(stars) if stars == int(stars) and 1 <= stars <= 5 else None


class _Wanted(NamedTuple):
    highlights: bool
    bookmarks: bool


def _annotation_entries(settings: dict[str, Any], event: dict[str, Any]) -> tuple[list, _Wanted]:
    """The live annotation list and which of its kinds to sync now: highlights and notes
    when synced and it is time for them, bookmarks when synced."""
    entries = event.get("annotations")
    highlights = bool(settings["annotation_sync"]) and (
        settings["annotation_upload"] != "finished" or book_finished(event))
    wanted = _Wanted(highlights, bool(settings.get("bookmark_sync")))
    if not isinstance(entries, list) or not entries or not any(wanted):
        return [], wanted
    return entries, wanted


def _item(entry: Any, wanted: _Wanted, book: dict[str, Any], destination: str,
          now: str) -> dict[str, Any] | None:
    if annotation_items.is_bookmark(entry):
        return annotation_items.bookmark_item(entry, book, now) if wanted.bookmarks else None
    return annotation_items.queue_item(entry, book, destination, now) if wanted.highlights else None


def _new_annotations(db: Database, entries: list, make_item: Callable[[Any], dict | None]
                     ) -> tuple[list[dict[str, Any]], list[tuple[tuple, str]]]:
    """Items neither uploaded nor queued in this exact version (by digest), and the
    (identity, digest) of those the previous plugin uploaded, seen here for the first time."""
    conn, fresh, seen, adopted = db.connection(), [], set(), []
    for entry in entries:
        item = make_item(entry)
        if item is None or annotation_items.identity(item) in seen:
            continue
        seen.add(annotation_items.identity(item))
        version = annotation_items.digest(item)
        uploaded = item_queues.uploaded_annotation(conn, annotation_items.identity(item))
        queued = item_queues.pending_annotation(conn, annotation_items.identity(item))
        if uploaded is not None and uploaded["content_digest"] == version:
            continue
        if uploaded is not None and uploaded["content_digest"] == annotation_items.ADOPTED_DIGEST:
            adopted.append((annotation_items.identity(item), version))
            continue
        if queued is not None and annotation_items.digest(queued) == version:
            continue
        fresh.append(item)
    return fresh, adopted


def _place_in_book(items: list[dict[str, Any]], path: str | None) -> None:
    """Give each EPUB highlight and bookmark its CFI; a highlight the book cannot place
    keeps None (and goes to BookLore's notes page instead of a wrong spot in its reader);
    such a bookmark is not queued."""
    placeable = [item for item in items if item["pos0"]]
    if not placeable or not path or not path.lower().endswith(EPUB_EXTENSIONS):
        return
    try:
        with EpubFile(path) as book:
            for item in placeable:
                item["cfi"] = book.cfi(item["pos0"], item["pos1"])
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, ET.ParseError) as exc:
        log.warning("cannot read %s for highlight positions: %s", os.path.basename(path), exc)
