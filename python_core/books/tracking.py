"""Per-book tracking: "Don't track this book", from the file browser's long-press dialog
or the reader's menu while the book is open.

A book switched off records nothing new until it is switched back on: no reading session
(the one running when it is switched off is dropped, not saved), no rating, no highlight,
note or bookmark, and no look-up of it on the server at open. What is already queued for
it is left as it is and uploads as usual; the reader can clear it under Manage Sessions.
"""

from __future__ import annotations

import os
from typing import Any

from python_core.books.entry import book_entry, is_book_file
from python_core.errors import FingerprintError
from python_core.store import Database, book_cache, untracked_books

STOPPED = ("BookLore Sync no longer records “{title}”: no reading sessions, ratings, "
           "highlights or bookmarks until you switch it back on. What is already queued "
           "for it stays in the queue.")
RESUMED = "BookLore Sync records “{title}” again."


def status(db: Database, book: dict[str, Any]) -> dict[str, Any]:
    """What the per-book entries show for a file: whether it is a book at all, whether it
    is tracked, and whether BookLore knows it (local only, no network)."""
    path = book.get("file_path")
    if isinstance(path, str) and not book.get("partial_md5") and not is_book_file(path):
        return {"is_book": False}
    entry = book_entry(book)
    conn = db.connection()
    book_id = book_cache.known_book_id(conn, entry["book_hash"])
    return {"is_book": True, "book_hash": entry["book_hash"], "title": _title(book),
            "tracked": not untracked_books.is_untracked(conn, entry["book_hash"]),
            "book_id": book_id, "matched": book_id is not None}


def set_tracking(db: Database, book: dict[str, Any], tracked: bool, now: str) -> dict[str, Any]:
    entry = book_entry(book)
    title = _title(book)
    with db.atomic() as tx:
        if tracked:
            untracked_books.track_again(tx, entry["book_hash"])
        else:
            untracked_books.stop_tracking(tx, entry["book_hash"], title, now)
    text = RESUMED if tracked else STOPPED
    return {"book_hash": entry["book_hash"], "tracked": tracked,
            "message": text.format(title=title)}


def is_untracked(db: Database, data: dict[str, Any]) -> bool:
    """Whether the book an event is about was switched off; an event that names no book
    is left to the use case to refuse."""
    try:
        book_hash = book_entry(data)["book_hash"]
    except FingerprintError:
        return False
    return untracked_books.is_untracked(db.connection(), book_hash)


def _title(book: dict[str, Any]) -> str:
    title = book.get("title")
    if isinstance(title, str) and title.strip():
        return title.strip()
    path = book.get("file_path")
    return os.path.splitext(os.path.basename(path))[0] if isinstance(path, str) else "this book"
