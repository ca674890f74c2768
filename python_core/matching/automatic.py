"""Match Unmatched Books, automatic part: ask the server about every unmatched book over
one keep-alive connection, by the one chain every match takes (`books/resolver.py`: the
fingerprint, then the exact ISBN, and on servers without those the library listing's ISBN
or file name and size, fetched at most once), store each BookLore ID found (for every
cached file with that fingerprint and every queued item), then upload what became
uploadable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from python_core.books.matches import remember_match
from python_core.books.resolver import BookResolver
from python_core.errors import AuthError, BookLoreError, Unreachable
from python_core.progress import MATCHING, Progress, StageCounter, no_progress
from python_core.store import Database, book_cache
from python_core.sync.run import OFFLINE_TEXT

ASK_MANUAL = "No new matches found ({n} still unmatched).\n\nDo you want to manually match the books?"


def match_unmatched(db: Database, settings: dict[str, Any], make_client: Callable[[], Any],
                    progress: Progress = no_progress) -> dict[str, Any]:
    books = book_cache.unmatched_books(db.connection())
    if not books:
        return {"matched": 0, "remaining": 0, "ask_manual": False,
                "summary": "All books are matched"}
    with make_client() as client:
        asked = StageCounter(progress, "match", MATCHING, len(books))
        matched, problem = _ask_each(db, BookResolver(db, client, settings), books, asked)
    remaining = len(books) - matched
    return {"matched": matched, "remaining": remaining,
            "ask_manual": matched == 0 and remaining > 0 and problem is None,
            "summary": _summary(matched, remaining, problem)}


def _ask_each(db: Database, resolver: BookResolver, books: list,
              asked: StageCounter) -> tuple[int, str | None]:
    matched = 0
    for done, book in enumerate(books):
        asked.at(done)
        try:
            found = resolver.find(dict(book))
        except Unreachable:
            return matched, OFFLINE_TEXT
        except AuthError as exc:
            return matched, f"Book lookup refused: {exc}"
        except BookLoreError:
            continue  # this book stays unmatched; the next may work
        if found is not None:
            remember_match(db, book["book_hash"], found.book_id, found.source)
            matched += 1
    asked.finish()
    return matched, None


def _summary(matched: int, remaining: int, problem: str | None) -> str:
    if problem:
        return problem if not matched else f"Matched {matched} book(s). {problem}"
    if matched == 0:
        return ASK_MANUAL.format(n=remaining)
    tail = f"; {remaining} still unmatched" if remaining else ""
    return f"Matched {matched} book(s){tail}"
