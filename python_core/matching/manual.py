"""Match Unmatched Books, manual part: the walk through the books the automatic pass
could not match, one at a time.

The walk holds no state here. Each unmatched book has a `position` (the id of its oldest
cache row, which never changes), and the plugin asks for the next book after the one it
just showed, so skipped books stay unmatched and a book matched meanwhile (by a sync) is
left out. A book is searched by its title, or by its file name when it has none (on the
server, or in the library listing where the server has no search); up to five results
are offered with their author and score. A confirmed choice is stored like
an automatic match (cache rows and queued items of that fingerprint, in place) and that
book's queued items are uploaded at once.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from python_core.books.entry import book_entry
from python_core.books.fingerprint import is_fingerprint
from python_core.books.library import LibraryListing
from python_core.books.library_ranking import Ranked, rank
from python_core.books.matches import remember_match
from python_core.errors import (
    AuthError,
    BadResponse,
    BookLoreError,
    FingerprintError,
    NotFound,
    ServerError,
    Unreachable,
)
from python_core.store import Database, book_cache
from python_core.sync.report import SyncStatus
from python_core.sync.run import OFFLINE_TEXT, run_sync

RESULT_LIMIT = 5
SEARCH = "search"  # the client's name for the endpoint (server/features.py)
NO_RESULTS = "No books found on BookLore for “{query}”."
AUTH_FAILED = ("BookLore refused the account: {error}\n"
               "Check the BookLore account under Settings → Server and accounts.")
SEARCH_FAILED = "The search failed: {error}"
MATCH_STORED = "Matched “{title}”."
UPLOAD_LATER = "Its items will be uploaded with the next sync."
NOT_AN_ID = "A BookLore book ID is a whole number, e.g. 42."
NO_SUCH_ID = "BookLore has no book with ID {book_id} (or this account cannot see it)."


def next_book(db: Database, after: int | None) -> dict[str, Any]:
    """The unmatched book after position `after` (None: the first) and how many unmatched
    books come after it (`later`), or the walk's end."""
    row, later = book_cache.next_unmatched(db.connection(), int(after or 0))
    if row is None:
        left = book_cache.counts(db.connection())["unmatched"]
        return {"done": True, "unmatched": left, "message": _walk_finished(left)}
    file_name = os.path.basename(row["file_path"])
    title = (row["title"] or "").strip()
    return {"done": False, "later": later, "book": {
        "position": row["position"], "book_hash": row["book_hash"],
        "title": title or file_name, "author": row["author"], "file_name": file_name,
        "query": title or os.path.splitext(file_name)[0]}}


def book_for_file(db: Database, book: dict[str, Any], now: str) -> dict[str, Any]:
    """"Match Book" from the file browser: the file as a book to match, in the shape the
    walk shows (`next_book`), remembered in the book cache so a confirmed match has a
    row to be stored on."""
    entry = book_entry(book)
    if not entry["file_path"]:
        raise FingerprintError("Match Book needs the book's file")
    with db.atomic() as tx:
        book_cache.remember_file(tx, entry, now)
        row = book_cache.cached_file(tx, entry["file_path"])
    file_name = os.path.basename(entry["file_path"])
    title = (row["title"] or "").strip()
    return {"book": {"position": row["id"], "book_hash": entry["book_hash"],
                     "title": title or file_name, "author": row["author"],
                     "file_name": file_name,
                     "query": title or os.path.splitext(file_name)[0]}}


def lookup(make_client: Callable[[], Any], book_id: Any, online: bool = True) -> dict[str, Any]:
    """The BookLore book a reader named by its ID, as a search with one result (no score),
    or why there is none: the book is read first, so a mistyped ID is never stored."""
    wanted = _book_id(book_id)
    if wanted is None:
        return _problem("none", NOT_AN_ID, retry=False)
    if not online:
        return _problem("offline", OFFLINE_TEXT)
    with make_client() as client:
        try:
            book = client.get_book(wanted)
        except Unreachable as exc:
            return _problem("offline", f"{OFFLINE_TEXT}: {exc}")
        except AuthError as exc:
            return _problem("auth", AUTH_FAILED.format(error=exc))
        except NotFound:
            return _problem("none", NO_SUCH_ID.format(book_id=wanted), retry=False)
        except BookLoreError as exc:
            return _problem("failed", SEARCH_FAILED.format(error=exc))
    metadata = book.get("metadata") if isinstance(book.get("metadata"), dict) else {}
    authors = metadata.get("authors")
    result = {"book_id": wanted, "title": str(metadata.get("title") or f"Book {wanted}"),
              "score_percent": None,
              "author": ", ".join(str(a) for a in authors)
              if isinstance(authors, list) and authors else None}
    return {"status": "found", "query": str(wanted), "results": [result], "retry": False,
            "message": None}


def search(db: Database, settings: dict[str, Any], make_client: Callable[[], Any], query: str,
           online: bool = True) -> dict[str, Any]:
    """BookLore's best candidates for `query`, or why there are none.

    `status` is "found", "none", "offline", "auth" or "failed"; `retry` says whether
    asking again may help. A server with search is asked (its answer has no authors, so
    each shown result's author is read from its book, a cheap by-id lookup on the same
    connection); on a server without it (upstream), the library listing is ranked here
    (`books/library_ranking.py`), with no request at all while the cached copy is fresh.
    """
    query = (query or "").strip()
    if not query:
        return _problem("none", NO_RESULTS.format(query=query), retry=False)
    if not online:
        return _problem("offline", OFFLINE_TEXT)
    with make_client() as client:
        try:
            results = _server_search(client, query)
            if results is None:
                listing = LibraryListing(db, client, settings["server_url"])
                results = [_ranked(ranked) for ranked in
                           rank(listing.index_refreshed_if_stale().books, query, RESULT_LIMIT)]
        except Unreachable as exc:
            return _problem("offline", f"{OFFLINE_TEXT}: {exc}")
        except AuthError as exc:
            return _problem("auth", AUTH_FAILED.format(error=exc))
        except BookLoreError as exc:
            return _problem("failed", SEARCH_FAILED.format(error=exc))
    if not results:
        return _problem("none", NO_RESULTS.format(query=query), retry=False)
    return {"status": "found", "query": query, "results": results, "retry": False,
            "message": None}


def confirm(db: Database, settings: dict[str, Any], make_client: Callable[[], Any],
            choice: dict[str, Any], online: bool = True) -> dict[str, Any]:
    """Store the chosen BookLore book for this fingerprint, then upload its queued items."""
    book_hash, book_id = choice.get("book_hash"), _book_id(choice.get("book_id"))
    if not is_fingerprint(book_hash) or book_id is None:
        return {"ok": False, "matched": False, "message": "Not a book to match"}
    remember_match(db, book_hash, book_id, "manual")
    stored = MATCH_STORED.format(title=choice.get("title") or f"book {book_id}")
    result = {"matched": True, "book_hash": book_hash, "book_id": book_id}
    if not online:
        return {**result, "message": f"{stored}\n{UPLOAD_LATER} ({OFFLINE_TEXT})"}
    report = run_sync(db, settings, make_client, resolve_books=False)
    if report.status == SyncStatus.NOTHING:
        return {**result, "synced": report.synced, "message": stored}
    if report.status == SyncStatus.BUSY:
        return {**result, "synced": report.synced, "message": f"{stored}\n{UPLOAD_LATER}"}
    return {**result, "synced": report.synced, "message": f"{stored}\n{report.summary()}"}


def _server_search(client, query: str) -> list[dict[str, Any]] | None:
    """The server's results, or None where the server has no search (then the listing is
    ranked). Asked first, so a fork pays no probe; only when the search fails as a
    missing endpoint would is the server probed (once, then remembered)."""
    if client.knows(SEARCH) is False:
        return None
    try:
        hits = client.search_books(title=query)
    except (ServerError, BadResponse, NotFound):
        if client.has(SEARCH) is not False:
            raise  # the endpoint is there; this search failed
        return None
    results = [_result(hit) for hit in _best(hits)]
    _add_authors(client, results)
    return results


def _best(hits: list[dict]) -> list[dict]:
    usable = [hit for hit in hits if type(hit.get("id")) is int]
    usable.sort(key=lambda hit: -_score(hit))
    return usable[:RESULT_LIMIT]


def _score(hit: dict) -> float:
    score = hit.get("matchScore")
    return float(score) if isinstance(score, (int, float)) and not isinstance(score, bool) else 0.0


def _result(hit: dict) -> dict[str, Any]:
    return {"book_id": hit["id"], "title": str(hit.get("title") or f"Book {hit['id']}"),
            "score_percent": round(min(max(_score(hit), 0.0), 1.0) * 100), "author": None}


def _ranked(ranked: Ranked) -> dict[str, Any]:
    book = ranked.book
    title = book.title or (book.files[0][0] if book.files else f"Book {book.book_id}")
    return {"book_id": book.book_id, "title": title,
            "score_percent": round(ranked.score * 100),
            "author": ", ".join(book.authors) or None}


def _add_authors(client, results: list[dict[str, Any]]) -> None:
    """Best effort: a result whose book cannot be read is shown without its author."""
    for result in results:
        try:
            book = client.get_book(result["book_id"])
        except Unreachable:
            return
        except BookLoreError:
            continue
        authors = (book.get("metadata") or {}).get("authors")
        if isinstance(authors, list) and authors:
            result["author"] = ", ".join(str(author) for author in authors)


def _book_id(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if value == int(value) and value > 0 else None


def _problem(status: str, message: str, retry: bool = True) -> dict[str, Any]:
    return {"status": status, "results": [], "retry": retry, "message": message}


def _walk_finished(unmatched: int) -> str:
    if unmatched == 0:
        return "All books are matched"
    return f"Manual matching finished ({unmatched} still unmatched)."
