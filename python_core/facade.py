"""The use cases of BookLore Sync, as the plugin (through the bridge) and the CLI call them.

Every public method returns plain data (dicts of str, int, float, bool, None, lists) and
never raises: expected trouble (a vanished book file, a bad setting, a server refusal)
becomes `{"ok": False, "message": ...}` with a sentence for the reader, and anything
unexpected is logged with its traceback and reported the same way.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from python_core import __version__

# Imported here: what opening the database, reading a book and drawing the menu need.
# Everything that talks to a server (requests alone costs ~100 ms to import), the sync
# engine, matching, annotation capture and the previous plugin's adoption are imported
# by the use case that needs them, so the plugin's (and the sidecar's) start stays close
# to a bare interpreter's (docs/PERFORMANCE.md §6).
from python_core import settings as settings_rules
from python_core.books import tracking as book_tracking
from python_core.books.entry import book_entry
from python_core.clock import iso_utc, utc_now
from python_core.errors import (
    SettingsError,
    StoreError,
    internal_error_text,
)
from python_core.progress import Progress, ProgressBoard, fan_out
from python_core.reading import sessions as session_rules
from python_core.reading.sessions import session_row
from python_core.reading.tracker import ReadingTracker
from python_core.store import (
    Database,
    applied_calls,
    book_cache,
    config_tables,
    item_queues,
    library_listing,
    notices,
    session_queue,
)
from python_core.store.keeper import StoreKeeper
from python_core.use_case import store_failure, use_case

if TYPE_CHECKING:
    from python_core.server.client import BookLoreClient

log = logging.getLogger("booklore_sync.core")

CACHE_CLEARED = "Local book cache cleared"
#: Where KOReader's statistics plugin keeps its database: its settings folder.
STATISTICS_FILE = "statistics.sqlite3"
_DECIDES_FEATURES = ("server_url", "username", "password", "booklore_username",
                     "booklore_password")


class BookLoreSync:
    """One settings directory's database and the use cases over it.

    `keep_recording=True` is for the plugin's hosts (the in-process bridge, the sidecar): a
    database that cannot be used never stops the core, which records into a side database
    instead and tells the reader once (store/keeper.py). Without it (the command line)
    such a database is a StoreError here, with the sentence to show."""

    def __init__(self, settings_dir: str | os.PathLike, *, keep_recording: bool = False):
        self.store = StoreKeeper(settings_dir, _adopt_previous_plugin,
                                 keep_recording=keep_recording, now=utc_now)
        self.reading = ReadingTracker(self.db, self.record_session)
        #: The reading session of each KOReader this core serves; None is the one the
        #: in-process host has (the sidecar may serve two KOReaders on one folder).
        self.readers: dict[str | None, ReadingTracker] = {None: self.reading}
        #: Where this core runs, for Test Connection (the sidecar names its process).
        self.runs_in = "inside KOReader's process"
        #: How far the long work running now has got (`work_progress`).
        self.work = ProgressBoard()

    @property
    def db(self) -> Database | None:
        """The database the core runs on now (the same object when it moves to the side
        database or back: its file changes underneath); None with no usable folder."""
        return self.store.db

    def __enter__(self) -> "BookLoreSync":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        for tracker in self.readers.values():
            tracker.close()  # each writes the page-turn save it was handed, then stops
        self.store.close()

    def settings(self) -> dict[str, Any]:
        return settings_rules.with_defaults(config_tables.all_settings(self.db.connection()))

    @use_case
    def get_settings(self) -> dict[str, Any]:
        return {"settings": settings_rules.masked(self.settings())}

    @use_case
    def set_setting(self, key: str, value: Any) -> dict[str, Any]:
        if key not in settings_rules.PUBLIC:
            raise SettingsError(f"Unknown setting '{key}'. Known: "
                                f"{', '.join(settings_rules.PUBLIC)}")
        value = settings_rules.coerce(key, value)
        stored_key, stored_value = settings_rules.stored(key, value)
        before = self.settings()
        with self.db.atomic() as tx:
            config_tables.set_setting(tx, stored_key, stored_value)
            if key in ("server_url", "booklore_username", "booklore_password"):
                _forget_login(tx, before)
            if key in _DECIDES_FEATURES and before.get(stored_key) != stored_value:
                # What the server offers *to these accounts*: a 403 to a wrong KOReader
                # password must not leave "no batch endpoint" behind once it is fixed.
                config_tables.forget_capabilities(tx)
            if key in ("server_url", "booklore_username") and before.get(key) != value:
                library_listing.forget(tx)  # another server or another account's books
        shown = settings_rules.masked({key: value})[key]
        return {"key": key, "value": shown, "message": f"{key} saved"}

    @use_case
    def record_book(self, book: dict[str, Any]) -> dict[str, Any]:
        """A book was opened: fingerprint it and remember the file (no network)."""
        entry = book_entry(book)
        with self.db.atomic() as tx:
            book_cache.remember_file(tx, entry, utc_now())
            book_id = book_cache.known_book_id(tx, entry["book_hash"])
        return {"book_hash": entry["book_hash"], "book_id": book_id}

    @use_case
    def record_session(self, data: dict[str, Any]) -> dict[str, Any]:
        """Validate a finished session and queue it, before any network is attempted."""
        current = self.settings()
        if not current["tracking_enabled"]:
            return {"saved": False, "reason": "tracking is off", "message": None}
        if book_tracking.is_untracked(self.db, data):
            return {"saved": False, "reason": "book not tracked", "message": None}
        verdict = session_rules.judge(data, current)
        if not verdict.keep:
            message = None if current["silent_mode"] else session_rules.NOT_SAVED
            return {"saved": False, "reason": verdict.reason, "message": message}
        entry = book_entry(data)
        row = session_row(data, entry, verdict.end_time)
        with self.db.atomic() as tx:
            if data.get("file_path"):
                book_cache.remember_file(tx, entry, row["created_at"])
            row["book_id"] = row["book_id"] or book_cache.known_book_id(tx, entry["book_hash"])
            saved = session_queue.insert(tx, row)
        return {"saved": saved, "reason": None if saved else "already recorded",
                "message": None, "book_hash": entry["book_hash"], "book_id": row["book_id"]}

    def tracker(self, reader: str | None) -> ReadingTracker:
        if reader not in self.readers:
            self.readers[reader] = ReadingTracker(self.db, self.record_session)
        return self.readers[reader]

    @use_case
    def start_reading(self, event: dict[str, Any], reader: str | None = None) -> dict[str, Any]:
        """A book was opened or the device woke up with a book open."""
        _prepare_in_background(PREPARED_AT_OPEN)
        current = self.settings()
        tracker = self.tracker(reader)
        if not current["tracking_enabled"]:
            tracker.state = None
            return {"tracking": False}
        if book_tracking.is_untracked(self.db, event):
            tracker.state = None
            return {"tracking": False, "untracked": True}
        entry = book_entry(event)
        with self.db.atomic() as tx:
            book_cache.remember_file(tx, entry, utc_now())
            entry["book_id"] = entry["book_id"] or book_cache.known_book_id(
                tx, entry["book_hash"])
        tracker.start(entry, event, current["idle_cap_minutes"] * 60)
        return {"tracking": True, **{k: entry[k] for k in (
            "book_hash", "book_id", "title", "isbn13", "isbn10")}}

    @use_case
    def identify_book(self, book: dict[str, Any]) -> dict[str, Any]:
        """Background lookup of the opened book's BookLore ID (cache, hash, exact ISBN)."""
        current = self.settings()
        if not current["server_url"] or not book.get("online", True):
            return {"book_id": None, "message": None}
        from python_core.books import identity as book_identity
        return book_identity.identify(self.db, current, self._client_factory(current), book)

    @use_case
    def page_turned(self, event: dict[str, Any], reader: str | None = None) -> dict[str, Any]:
        return {"closed": self.tracker(reader).page_turned(event)}

    @use_case
    def finish_reading(self, event: dict[str, Any], reader: str | None = None) -> dict[str, Any]:
        """The book was closed or the device suspended: the session ends here."""
        result = self.tracker(reader).finish(event)
        return result or {"saved": False, "reason": "no session open", "message": None}

    @use_case
    def capture_rating_and_annotations(self, event: dict[str, Any]) -> dict[str, Any]:
        """The book closes or the device sleeps: queue its changed star rating (at close)
        and the highlights and notes BookLore does not have yet (no network)."""
        if book_tracking.is_untracked(self.db, event):
            return {"ratings": 0, "annotations": 0, "queued": False, "untracked": True}
        from python_core.annotations import close_capture
        return close_capture.capture(self.db, self.settings(), event, utc_now())

    @use_case
    def book_status(self, book: dict[str, Any]) -> dict[str, Any]:
        """For the per-book entries (file browser, reader menu): whether the file is a
        book, whether it is tracked, whether BookLore knows it (local, no network)."""
        return book_tracking.status(self.db, book)

    @use_case
    def set_book_tracking(self, book: dict[str, Any], reader: str | None = None
                          ) -> dict[str, Any]:
        """"Don't track this book" ({file_path or partial_md5, title, tracked}): switched
        off, the session `reader` is running for it ends unsaved; its queued items stay."""
        tracked = bool(book.get("tracked"))
        result = book_tracking.set_tracking(self.db, book, tracked, utc_now())
        tracker = self.tracker(reader)
        state = tracker.state
        if not tracked and state is not None and state["book_hash"] == result["book_hash"]:
            tracker.discard()
        return result

    @use_case
    def recover_reading(self) -> dict[str, Any]:
        """At start-up: a session a crash left open is finished at its last activity."""
        result = self.reading.recover()
        return {"recovered": result is not None, **(result or {})}

    def take_notices(self) -> dict[str, Any]:
        """What the reader must be told once (what was taken over from the previous
        BookLore plugin, that the database is damaged); each notice comes a single time."""
        if self.store.db is None:  # no database to keep notices in: told once per start
            once = self.store.take_problem_once()
            return {"ok": True, "notices": [once] if once else []}
        return self._stored_notices()

    @use_case
    def _stored_notices(self) -> dict[str, Any]:
        if not notices.any_unshown(self.db.connection()):
            return {"notices": []}
        with self.db.atomic() as tx:
            return {"notices": notices.take_unshown(tx, utc_now())}

    def database_status(self) -> dict[str, Any]:
        """Whether the core runs on its database, on the side database (damaged: a repair
        is offered) or on none (the settings folder cannot be used)."""
        store = self.store
        state = "none" if store.db is None else "side" if store.on_side else "ok"
        problem = store.problem if state != "ok" else None
        return {"ok": True, "state": state, "damaged": state == "side",
                "message": str(problem) if problem else None}

    def repair_database(self) -> dict[str, Any]:
        """Settings → Repair database: `booklore-sync doctor` inside the running core."""
        from python_core.store import repair
        if self.store.db is None:
            return store_failure(self.store.problem)
        try:
            outcome = self.store.repair()
        except StoreError as exc:
            return store_failure(exc)
        except Exception as exc:  # noqa: BLE001 - the boundary: nothing may escape
            log.exception("repair_database failed")
            return {"ok": False, "message": internal_error_text("repair_database", exc)}
        return {"ok": True, "state": outcome.state, "summary": repair.describe(outcome)}

    @use_case
    def import_history(self, statistics: str | None = None, books: list[str] | None = None,
                       dry_run: bool = False, progress: Progress | None = None,
                       settings_dir: str | None = None) -> dict[str, Any]:
        """Queue the reading in KOReader's statistics and the ratings and highlights in its
        sidecars (under the KOReader home beside the settings folder and under `books`);
        `dry_run` writes nothing. Safe to run again: nothing is imported twice.
        `settings_dir` is KOReader's settings folder when the queue is elsewhere.
        `progress` hears how many page visits are done, as does `work_progress`."""
        from python_core.history.import_report import report_text
        from python_core.history.statistics_import import ImportRequest, run_import
        folder = Path(settings_dir) if settings_dir else self.db.path.parent
        request = ImportRequest(Path(statistics) if statistics else folder / STATISTICS_FILE,
                                [folder.parent, *(Path(b) for b in books or [])], dry_run)
        current = self.settings()
        with self.work.running("import"):
            report = run_import(self.db, current, self._client_factory(current), request,
                                fan_out(self.work, progress))
        return {**report, "ok": "stopped" not in report, "message": report.get("stopped"),
                "text": report_text(report)}

    @use_case
    def continue_reading(self) -> dict[str, Any]:
        """At the sidecar's start-up: a session saved as open goes on, since KOReader may
        still be reading it (only the core process died); a new start finishes it."""
        return {"continued": self.reading.adopt(self.settings()["idle_cap_minutes"] * 60)}

    @use_case
    def end_reader(self, reader: str | None) -> dict[str, Any]:
        """A KOReader the sidecar served is gone: its open session ends at its last
        activity, as a crash's would."""
        tracker = self.readers.pop(reader, None) if reader is not None else self.reading
        result = tracker.end_at_last_activity() if tracker is not None else None
        return {"ended": result is not None, **(result or {})}

    @use_case
    def queue_counts(self) -> dict[str, Any]:
        conn = self.db.connection()
        return {**item_queues.counts(conn), "cache": book_cache.counts(conn)}

    @use_case
    def view_details(self) -> dict[str, Any]:
        conn = self.db.connection()
        cache, pending = book_cache.counts(conn), item_queues.counts(conn)
        return {"cache": cache, "pending": pending, "text": _details_text(cache, pending)}

    @use_case
    def work_progress(self) -> dict[str, Any]:
        """How far the long work running now (a sync, a match pass, an import) has got:
        {active} and, once it has begun a stage, {job, stage, done, total, text}."""
        return self.work.current()

    @use_case
    def sync_pending(self, online: bool = True,
                     progress: Progress | None = None) -> dict[str, Any]:
        """Upload everything queued. `progress` hears how far it has got, as does
        `work_progress` meanwhile."""
        from python_core.sync.run import run_sync
        current = self.settings()
        with self.work.running("sync"):
            report = run_sync(self.db, current, self._client_factory(current), online=online,
                              progress=fan_out(self.work, progress))
        return report.as_dict()

    @use_case
    def match_unmatched(self, online: bool = True,
                        progress: Progress | None = None) -> dict[str, Any]:
        """Match by fingerprint, then upload the newly matched books' items quietly."""
        from python_core.matching import automatic as matching
        from python_core.sync.run import OFFLINE_TEXT, run_sync
        if not online:
            return {"matched": 0, "summary": OFFLINE_TEXT}
        current = self.settings()
        told = fan_out(self.work, progress)
        with self.work.running("match"):
            result = matching.match_unmatched(self.db, current, self._client_factory(current),
                                             told)
            if result["matched"]:
                report = run_sync(self.db, current, self._client_factory(current),
                                  resolve_books=False, progress=told)
                result["synced"] = report.synced
        return result

    @use_case
    def next_unmatched_book(self, after: int | None = None) -> dict[str, Any]:
        """Manual matching: the unmatched book after position `after` (local, no network)."""
        from python_core.matching import manual as manual_matching
        return manual_matching.next_book(self.db, after)

    @use_case
    def book_for_matching(self, book: dict[str, Any]) -> dict[str, Any]:
        """Match Book: the file ({file_path, title}) as a book for the matching screens."""
        from python_core.matching import manual as manual_matching
        return manual_matching.book_for_file(self.db, book, utc_now())

    @use_case
    def lookup_book_id(self, book_id: Any, online: bool = True) -> dict[str, Any]:
        """Match Book by ID: the BookLore book with that ID, as a search with one result."""
        from python_core.matching import manual as manual_matching
        current = self.settings()
        return manual_matching.lookup(self._client_factory(current), book_id, online)

    @use_case
    def search_matches(self, query: str, online: bool = True) -> dict[str, Any]:
        """Manual matching: up to five BookLore books for a title, with author and score."""
        from python_core.matching import manual as manual_matching
        current = self.settings()
        return manual_matching.search(self.db, current, self._client_factory(current), query,
                                      online)

    @use_case
    def confirm_match(self, choice: dict[str, Any], online: bool = True) -> dict[str, Any]:
        """Manual matching: store {book_hash, book_id, title} and upload that book's items."""
        from python_core.matching import manual as manual_matching
        current = self.settings()
        return manual_matching.confirm(self.db, current, self._client_factory(current),
                                       choice, online)

    @use_case
    def test_connection(self) -> dict[str, Any]:
        """Server, accounts and features, and which core answered (version, Python, where)."""
        from python_core.server import connection_check
        current = self.settings()
        result = connection_check.test_connection(self.db, current,
                                                  self._client_factory(current))
        import platform  # only Test Connection says which Python runs the core
        core = (f"Core: BookLore Sync {__version__}, {platform.python_implementation()} "
                f"{platform.python_version()}, {self.runs_in}")
        return {**result, "text": f"{result['text']}\n{core}", "core_version": __version__}

    @use_case
    def forget_applied_calls(self, days: int) -> dict[str, Any]:
        """The sidecar's record of applied call ids, beyond any journal's age, goes."""
        with self.db.atomic() as tx:
            forgotten = applied_calls.forget_before(tx, iso_utc(time.time() - days * 86400))
        return {"forgotten": forgotten}

    @use_case
    def clear_pending(self, kinds: list[str]) -> dict[str, Any]:
        from python_core.sync.report import KINDS
        unknown = [kind for kind in kinds if kind not in KINDS]
        if unknown:
            raise SettingsError(f"Unknown queue(s): {', '.join(unknown)}; use {', '.join(KINDS)}")
        with self.db.atomic() as tx:
            cleared = item_queues.clear(tx, kinds)
        parts = [f"{n} {kind}" for kind, n in cleared.items()]
        return {"cleared": cleared, "message": f"Cleared {', '.join(parts)}"}

    @use_case
    def clear_cache(self) -> dict[str, Any]:
        with self.db.atomic() as tx:
            removed = book_cache.clear(tx)
        return {"removed": removed, "message": CACHE_CLEARED}

    def _client_factory(self, current: dict[str, Any]) -> Callable[[], BookLoreClient]:
        """What the use cases hand down: they build the client only if they need one."""
        return functools.partial(self.make_client, current)

    def make_client(self, current: dict[str, Any]) -> BookLoreClient:
        from python_core.server.from_settings import client_for
        return client_for(self.db, current)


#: What closing a book needs beyond the start's imports (annotation capture: zip and XML
#: parsing, ~30 ms here, far more on an e-reader), imported on a thread of its own as soon
#: as a book opens, so that the close, which the reader waits for, does not pay for it.
PREPARED_AT_OPEN = ("python_core.annotations.close_capture",)


def _prepare_in_background(names: tuple[str, ...]) -> None:
    missing = [name for name in names if name not in sys.modules]
    if not missing:
        return

    def prepare() -> None:
        for name in missing:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the use case imports it again and reports
                log.warning("preparing %s failed", name, exc_info=True)
    threading.Thread(target=prepare, name="booklore-prepare", daemon=True).start()


def _adopt_previous_plugin(path):
    """Only a reader who switches from the previous plugin needs the adoption code."""
    from python_core.history import previous_plugin
    return previous_plugin.adopt(path)


def check_database(settings_dir: str | os.PathLike, repair_it: bool = True) -> dict[str, Any]:
    """`booklore-sync doctor`: check the database in `settings_dir` and repair it if it is
    damaged, without opening it the normal way (a damaged file could not be)."""
    from python_core.store import repair
    folder = Path(settings_dir)
    if not folder.is_dir():
        return {"ok": False, "needs_you": True,
                "message": f"{folder} is not a folder; give KOReader's settings folder"}
    try:
        outcome = repair.check(folder, repair=repair_it)
    except StoreError as exc:
        return store_failure(exc)
    damaged = outcome.state == repair.NEEDS_REPAIR
    return {"ok": not damaged, "state": outcome.state, "summary": repair.describe(outcome),
            "needs_you": damaged, "kept": outcome.kept}


def _forget_login(tx, before: dict[str, Any]) -> None:
    from python_core.server.token_store import account_key
    config_tables.forget_account(tx, account_key(before["server_url"], before["booklore_username"]))


def _details_text(cache: dict[str, int], pending: dict[str, int]) -> str:
    return (
        "Book cache\n"
        f"  Total books: {cache['total']}\n"
        f"  Matched: {cache['matched']}\n"
        f"  Unmatched: {cache['unmatched']}\n\n"
        "Pending uploads\n"
        f"  Sessions: {pending['sessions']}\n"
        f"  Annotations: {pending['annotations']}\n"
        f"  Ratings: {pending['ratings']}"
    )
