"""KOReader's annotations as queue items: which entries count, what kind they are, how
their look translates to BookLore, and what makes two versions of one differ.

The plugin hands over KOReader's live annotation list as plain tables (datetime, text,
note, chapter, pos0/pos1, drawer, color, pageno, and page, the xpointer of a page
bookmark). An entry without a drawer is a page *bookmark* (`bookmark_item`, when the
reader syncs bookmarks); one with a drawer and note text is a *note*, else a *highlight*.
Together with the book fingerprint and KOReader's creation datetime that kind is the
item's identity, so re-reading the same list never queues anything twice.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

#: KOReader's highlight colours (ffi/blitbuffer.lua HIGHLIGHT_COLORS), sent as they are
#: so BookLore's reader shows the colour the reader chose.
KOREADER_COLOURS = {
    "red": "#FF3300", "orange": "#FF8800", "yellow": "#FFFF33", "green": "#00AA66",
    "olive": "#88FF77", "cyan": "#00FFEE", "blue": "#0066FF", "purple": "#EE00FF",
    "gray": "#808080", "grey": "#808080",
}
#: KOReader drawer → BookLore annotation style (BookLore has no inverted highlight).
BOOKLORE_STYLES = {
    "lighten": "highlight", "underscore": "underline", "strikeout": "strikethrough",
    "invert": "highlight",
}
DIGEST_FIELDS = ("text", "note", "color", "style", "pos0", "pos1")
#: The digest of an annotation another plugin uploaded, whose content we never saw: the
#: first time KOReader shows it to us it counts as uploaded, and its digest is recorded
#: then, so later edits are recognised.
ADOPTED_DIGEST = "uploaded-by-previous-plugin"

_HEX = re.compile(r"^#?([0-9A-Fa-f]{6})$")


def queue_item(entry: Any, book: dict[str, Any], destination: str, now: str) -> dict | None:
    """The pending_annotations row for one KOReader annotation; None for a bookmark or an
    entry without a creation time (it could not be told apart from others)."""
    if not isinstance(entry, dict) or not _text(entry.get("drawer")):
        return None
    created = _text(entry.get("datetime"))
    if not created:
        return None
    note = _text(entry.get("note"))
    return {
        "book_id": book.get("book_id"), "book_hash": book["book_hash"],
        "kind": "note" if note and note.strip() else "highlight",
        "created": created, "text": _text(entry.get("text")), "note": note,
        "chapter": _text(entry.get("chapter")), "page": _page(entry),
        "pos0": _text(entry.get("pos0")), "pos1": _text(entry.get("pos1")), "cfi": None,
        "color": booklore_colour(entry.get("color")),
        "style": BOOKLORE_STYLES.get(str(entry.get("drawer")), "highlight"),
        "destination": destination, "created_at": now, "updated_at": now,
    }


def is_bookmark(entry: Any) -> bool:
    """KOReader's page bookmarks are the annotation entries without a drawer."""
    return isinstance(entry, dict) and not _text(entry.get("drawer"))


def bookmark_item(entry: Any, book: dict[str, Any], now: str) -> dict | None:
    """The pending_annotations row for one page bookmark; None when it has no creation
    time or no xpointer (PDF and CBZ bookmarks are page numbers: BookLore's bookmarks are
    positions in its EPUB reader, which a page number cannot give)."""
    if not is_bookmark(entry):
        return None
    created = _text(entry.get("datetime"))
    where = _text(entry.get("pos0")) or _text(entry.get("page"))
    if not created or not where:
        return None
    return {
        "book_id": book.get("book_id"), "book_hash": book["book_hash"], "kind": "bookmark",
        "created": created, "text": _text(entry.get("text")), "note": _text(entry.get("note")),
        "chapter": _text(entry.get("chapter")), "page": _page(entry), "pos0": where,
        "pos1": None, "cfi": None, "color": None, "style": None, "destination": "booklore",
        "created_at": now, "updated_at": now,
    }


def bookmark_title(item: Any) -> str:
    """What BookLore lists the bookmark as: the reader's own note, else where it is
    (chapter and page), as KOReader's bookmark list shows it."""
    note = (item["note"] or "").strip()
    if note:
        return note
    where = " · ".join(part for part in (item["chapter"], item["page"] and f"page {item['page']}")
                       if part)
    return where or "Bookmark"


def booklore_colour(colour: Any) -> str | None:
    """`#RRGGBB` for a KOReader colour name or hex value; None lets BookLore use its default."""
    if not isinstance(colour, str):
        return None
    named = KOREADER_COLOURS.get(colour.strip().lower())
    if named:
        return named
    match = _HEX.match(colour.strip())
    return f"#{match.group(1).upper()}" if match else None


def digest(item: Any) -> str:
    """What makes two versions of one annotation different: an edited note, a new colour
    or moved ends upload again. Computed from the positions, not the CFI, so unchanged
    highlights are recognised without opening the book file."""
    fields = {key: item[key] for key in DIGEST_FIELDS}
    return hashlib.sha1(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def identity(item: Any) -> tuple[str, str, str]:
    return item["book_hash"], item["created"], item["kind"]


def _page(entry: dict) -> str | None:
    """The page number to show: `pageno` (reflowable), else a numeric `page` (PDF, CBZ)."""
    for key in ("pageno", "page"):
        value = entry.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            return str(int(value))
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value != "" else None
