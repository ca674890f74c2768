"""`import`: KOReader's own reading history into the queue, from its statistics and sidecars.

One pass over `statistics.sqlite3`, book by book: the book's page visits, less what is
already known (queued or uploaded sessions, earlier imports, what BookLore holds), become
sittings; sittings that pass the same rules as live sessions are queued as sessions and
their spans recorded, a chunk of books per transaction so the plugin is never held up for
long. Then every sidecar found queues its rating and the highlights and notes BookLore does
not have, exactly as closing the book would. `dry_run` writes nothing and answers the same
counts. Nothing is sent: `sync` uploads the queue as usual.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_core.annotations import close_capture
from python_core.books.fingerprint import is_fingerprint
from python_core.clock import epoch, iso_utc, utc_now
from python_core.history import sidecars as sidecar_files
from python_core.history.server_reading import ImportStopped, ServerReading
from python_core.history.sidecar_books import capture_event, statistics_title
from python_core.history.sittings import KnownSpans, Sitting, Visit, new_visits, sittings
from python_core.progress import IMPORTING, Progress, StageCounter, no_progress
from python_core.reading import sessions as session_rules
from python_core.store import Database, book_cache, imported_reading, item_queues, session_queue
from python_core.store.koreader_statistics import open_statistics

log = logging.getLogger("booklore_sync.history")

#: Books per transaction: short enough for the plugin's own writes to wait < 1 s.
CHUNK_BOOKS = 25


@dataclass
class ImportRequest:
    statistics: Path
    roots: list[Path]           # where sidecars and book files are looked for
    dry_run: bool = False


@dataclass
class BookResult:
    title: str | None
    book_hash: str
    sessions: int = 0
    seconds: int = 0
    known: int = 0          # page visits left out: reading already recorded
    too_short: int = 0      # sittings that fail the session rules
    ratings: int = 0
    annotations: int = 0


@dataclass
class _Plan:
    """Rows planned for the next transaction."""
    sessions: list[dict[str, Any]] = field(default_factory=list)
    spans: list[tuple[str, int, int]] = field(default_factory=list)
    cache: list[dict[str, Any]] = field(default_factory=list)
    captures: list[close_capture.Capture] = field(default_factory=list)
    books: int = 0


def run_import(db: Database, settings: dict[str, Any], client_factory: Callable,
               request: ImportRequest, progress: Progress = no_progress) -> dict[str, Any]:
    scan = sidecar_files.scan(request.roots)
    results: dict[str, BookResult] = {}
    server = ServerReading(db, settings, client_factory)
    counts = {"books_without_fingerprint": 0, "visits": 0}
    stopped = None
    try:
        with open_statistics(request.statistics) as stats:
            _import_statistics(db, settings, request, stats, scan, server, results, counts,
                               progress)
        _import_sidecars(db, settings, request, scan, results)
    except ImportStopped as stop:
        stopped = stop
    finally:
        server.close()
    return _summary(request, results, counts, scan, server, stopped)


def _import_statistics(db, settings, request, stats, scan, server, results, counts,
                       progress) -> None:
    books, total = stats.books(), stats.visit_count()
    plan, now, done = _Plan(), utc_now(), 0
    counted = StageCounter(progress, "import", IMPORTING, total)
    try:
        for book_id, visits in stats.visits_by_book():
            done += len(visits)
            book = books.get(book_id) or {}
            md5 = (book.get("md5") or "").strip().lower()
            if not is_fingerprint(md5):
                counts["books_without_fingerprint"] += 1
                counted.at(done)  # passed over, but done: the count still reaches the total
                continue
            sidecar = scan.sidecars.get(md5)
            result = results.setdefault(md5, BookResult(statistics_title(book, sidecar), md5))
            _plan_book(db, settings, server, md5, visits, sidecar, result, plan, now)
            if plan.books >= CHUNK_BOOKS:
                _write(db, plan, request.dry_run)
                plan = _Plan()
            counted.at(done)
    finally:
        _write(db, plan, request.dry_run)  # what was checked is kept, even if the server stopped
    counts["visits"] = done


def _plan_book(db, settings, server, md5: str, visits: list[Visit], sidecar, result: BookResult,
               plan: _Plan, now: str) -> None:
    conn = db.connection()
    spans = [(epoch(a), epoch(b)) for a, b in imported_reading.known_sessions(conn, md5)]
    spans += imported_reading.imported_spans(conn, md5)
    book_id = server.book_id(md5) if server.enabled else book_cache.known_book_id(conn, md5)
    fresh = new_visits(visits, KnownSpans(spans))
    if fresh and server.enabled:
        fresh = new_visits(fresh, KnownSpans(server.spans(book_id, fresh[0][1])))
    result.known += len(visits) - len(fresh)
    book_type = _book_type(sidecar)
    for sitting in sittings(fresh):
        if not _keep(sitting, settings):
            result.too_short += 1
            continue
        plan.sessions.append(_session_row(sitting, md5, book_id, book_type, result.title, now))
        plan.spans.append((md5, sitting.start, sitting.end))
        result.sessions += 1
        result.seconds += sitting.reading_seconds
    plan.cache.append({"book_hash": md5, "book_id": book_id, "title": result.title,
                       "file_path": str(sidecar.book_file) if sidecar and sidecar.book_file
                       else f"statistics://{md5}"})
    plan.books += 1


def _keep(sitting: Sitting, settings: dict[str, Any]) -> bool:
    """The live-session rules, on reading time (pauses excluded) and page turns."""
    verdict = session_rules.judge({"start_time": sitting.start,
                                   "end_time": sitting.start + sitting.reading_seconds,
                                   "pages_read": sitting.turns}, settings)
    return verdict.keep


def _session_row(sitting: Sitting, md5: str, book_id, book_type: str, title, now: str) -> dict:
    return {
        "book_id": book_id, "book_hash": md5, "book_type": book_type, "title": title,
        "start_time": iso_utc(sitting.start), "end_time": iso_utc(sitting.end),
        "duration_seconds": sitting.reading_seconds,
        "start_progress": sitting.start_progress, "end_progress": sitting.end_progress,
        "start_location": str(sitting.first_page), "end_location": str(sitting.last_page),
        "pages_read": sitting.turns, "created_at": now,
    }


def _book_type(sidecar) -> str:
    if sidecar is not None:
        path = sidecar.data.get("doc_path") or (sidecar.book_file and str(sidecar.book_file))
        if isinstance(path, str) and path:
            return session_rules.book_type_for(path)
    return "EPUB"


def _write(db: Database, plan: _Plan, dry_run: bool) -> None:
    if dry_run or not (plan.sessions or plan.cache or plan.captures):
        return
    now = utc_now()
    with db.atomic() as tx:
        for row in plan.sessions:
            session_queue.insert(tx, row)
        for md5, start, end in plan.spans:
            imported_reading.record_span(tx, md5, start, end)
        for book in plan.cache:
            _remember(tx, book, now)
        for found in plan.captures:
            close_capture.apply(tx, found, now)


def _remember(tx, book: dict[str, Any], now: str) -> None:
    """A cache row per imported book, so Match Unmatched Books can show it; the book's
    file when it was found, else a `statistics://` placeholder that a later open of the
    real file takes over (a moved file keeps its row)."""
    if book_cache.rows_for_hash(tx, book["book_hash"]) and book["file_path"].startswith(
            "statistics://"):
        return
    book_cache.remember_file(tx, {"file_path": book["file_path"], "book_hash": book["book_hash"],
                                  "book_id": book["book_id"], "title": book["title"]}, now)
    if book["book_id"]:
        book_cache.set_book_id(tx, book["book_hash"], book["book_id"], "import", now)


def _import_sidecars(db, settings, request, scan, results) -> None:
    plan, now = _Plan(), utc_now()
    for md5, sidecar in scan.sidecars.items():
        found = close_capture.plan(db, settings, capture_event(sidecar), now)
        if found is None:
            continue
        result = results.setdefault(md5, BookResult(statistics_title({}, sidecar), md5))
        result.ratings += int(bool(found.stars) and _rating_is_new(db, md5, found.stars))
        result.annotations += len(found.items)
        plan.captures.append(found)
        plan.books += 1
        if plan.books >= CHUNK_BOOKS:
            _write(db, plan, request.dry_run)
            plan = _Plan()
    _write(db, plan, request.dry_run)


def _rating_is_new(db: Database, md5: str, stars: int) -> bool:
    return item_queues.rating_differs(db.connection(), md5, stars * 2)


def _summary(request, results, counts, scan, server, stopped) -> dict[str, Any]:
    books = [vars(r) for r in results.values() if r.sessions or r.ratings or r.annotations]
    books.sort(key=lambda r: (r["title"] or "").lower())
    totals = {key: sum(r[key] for r in books) for key in ("sessions", "seconds", "ratings",
                                                          "annotations")}
    known = sum(r.known for r in results.values())
    too_short = sum(r.too_short for r in results.values())
    report = {"dry_run": request.dry_run, "books": books, "totals": totals,
              "visits_read": counts["visits"], "visits_already_known": known,
              "sittings_too_short": too_short,
              "books_without_fingerprint": counts["books_without_fingerprint"],
              "books_not_checked_on_server": server.unchecked,
              "server_checked": server.enabled,
              "unreadable_sidecars": [f"{path}: {why}" for path, why in scan.unreadable]}
    if stopped is not None:
        report.update(stopped=stopped.message, status=stopped.status)
    return report
