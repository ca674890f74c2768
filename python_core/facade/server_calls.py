"""Every call that talks to BookLore: the background look-up of an opened book, the sync,
matching (automatic and by hand), the history import and Test Connection. Each builds the
server client only if it needs one (`_client_factory`), and imports its engine when it
runs, not when the plugin starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from python_core import __version__
from python_core.clock import utc_now
from python_core.facade.use_case import use_case
from python_core.progress import Progress, fan_out

#: Where KOReader's statistics plugin keeps its database: its settings folder.
STATISTICS_FILE = "statistics.sqlite3"


class ServerCalls:
    """Mixed into BookLoreSync (core.py), whose `db`, `settings()`, `work`, `runs_in` and
    `_client_factory()` these use."""

    @use_case
    def identify_book(self, book: dict[str, Any]) -> dict[str, Any]:
        """Background lookup of the opened book's BookLore ID (cache, hash, exact ISBN)."""
        current = self.settings()
        if not current["server_url"] or not book.get("online", True):
            return {"book_id": None, "message": None}
        from python_core.books import identity as book_identity
        return book_identity.identify(self.db, current, self._client_factory(current), book)

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
