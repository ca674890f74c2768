"""A book as the importer sees it: its title from the statistics or its sidecar, and its
sidecar read as the close-of-book event that live capture already understands, so imported
ratings, highlights and notes follow exactly the rules of live ones (× 2 stars, drawers,
colours, CFIs from the EPUB, the reader's sync settings, nothing queued twice)."""

from __future__ import annotations

from typing import Any

#: How the statistics plugin writes a missing title or author.
_MISSING = "N/A"


def statistics_title(book: dict[str, Any], sidecar) -> str | None:
    """The title in the statistics (without the trailing NUL old PDFs carry), else the
    sidecar's."""
    title = _clean(book.get("title"))
    if title or sidecar is None:
        return title
    props = sidecar.data.get("doc_props") if isinstance(sidecar.data.get("doc_props"), dict) else {}
    stats = sidecar.data.get("stats") if isinstance(sidecar.data.get("stats"), dict) else {}
    return _clean(props.get("title")) or _clean(stats.get("title"))


def capture_event(sidecar) -> dict[str, Any]:
    """The sidecar as `close_capture` reads a closing book."""
    data = sidecar.data
    summary = data.get("summary") if isinstance(data.get("summary"), dict) else {}
    props = data.get("doc_props") if isinstance(data.get("doc_props"), dict) else {}
    finished = data.get("percent_finished")
    return {
        "reason": "close",
        "rating": summary.get("rating"),
        "status": summary.get("status"),
        "progress": finished * 100 if isinstance(finished, (int, float)) else None,
        "annotations": _entries(data.get("annotations")),
        "book_hash": sidecar.md5,
        "file_path": str(sidecar.book_file) if sidecar.book_file else None,
        "title": _clean(props.get("title")),
        "authors": _clean(props.get("authors")),
        "identifiers": props.get("identifiers") if isinstance(props.get("identifiers"), str)
        else None,
    }


def _entries(annotations: Any) -> list:
    if isinstance(annotations, list):
        return annotations
    if isinstance(annotations, dict):  # an array with holes reads as a table
        return [annotations[key] for key in sorted(k for k in annotations if type(k) is int)]
    return []


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.rstrip("\0").strip()
    return None if not text or text == _MISSING else text
