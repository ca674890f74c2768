"""The BookLore Sync core as the plugin sees it: the facade's use cases as the plain
functions of `bookloresync/core`.

Quick, local calls (counts, settings, session events) answer on the Lua thread; anything
that may touch the network (sync, matching, Test Connection) is an async call that runs on
the bridge's worker and answers through a Lua callback, so the UI never waits on HTTP.
Created once per process, like KOReader's own start-up; that is also when a session a
crash left open is finished.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from bridge.api import CoreCall
from python_core.facade import BookLoreSync

log = logging.getLogger("booklore_sync.bridge")


class BookLoreCore:
    """A CoreProvider over one settings directory's database."""

    def __init__(self, settings_dir: str | os.PathLike):
        self.facade = BookLoreSync(settings_dir)
        self.import_progress = {"done": 0, "total": 0}
        recovered = self.facade.recover_reading()
        if recovered.get("recovered"):
            log.info("recovered an interrupted reading session (saved=%s)", recovered.get("saved"))

    def sync_calls(self) -> Mapping[str, CoreCall]:
        f = self.facade
        return {
            "queue_counts": f.queue_counts,
            "view_details": f.view_details,
            "clear_pending": lambda kinds=None: f.clear_pending(list(kinds or [])),
            "clear_cache": f.clear_cache,
            "get_settings": f.get_settings,
            "set_setting": f.set_setting,
            "start_reading": f.start_reading,
            "page_turned": f.page_turned,
            "finish_reading": f.finish_reading,
            "capture_rating_and_annotations": f.capture_rating_and_annotations,
            "manual_match_next": f.next_unmatched_book,
            "take_notices": f.take_notices,
            "import_progress": lambda: {"ok": True, **self.import_progress},
        }

    def async_calls(self) -> Mapping[str, CoreCall]:
        f = self.facade
        return {
            "sync_pending": lambda options=None: f.sync_pending(**_flags(options)),
            "match_unmatched": lambda options=None: f.match_unmatched(
                online=_flags(options)["online"]),
            "test_connection": lambda options=None: f.test_connection(),
            "identify_book": f.identify_book,
            "import_history": self._import_history,
            "manual_match_search": lambda options=None: f.search_matches(
                _text(options, "query"), online=_flags(options)["online"]),
            "manual_match_confirm": lambda options=None: f.confirm_match(
                options if isinstance(options, dict) else {}, online=_flags(options)["online"]),
        }

    def close(self) -> None:
        self.facade.close()

    def _import_history(self, options: Any = None) -> dict[str, Any]:
        """Settings → Import reading history: KOReader's own statistics and sidecars (the
        books under `books`, KOReader's home folder), with progress the menu polls."""
        options = options if isinstance(options, dict) else {}
        books = options.get("books")
        folders = [b for b in (books.values() if isinstance(books, dict) else books or [])
                   if isinstance(b, str) and b]
        self.import_progress = {"done": 0, "total": 0}

        def progress(done: int, total: int) -> None:
            self.import_progress = {"done": done, "total": total}

        return self.facade.import_history(books=folders, progress=progress)


def _flags(options: Any) -> dict[str, bool]:
    options = options if isinstance(options, dict) else {}
    return {"online": bool(options.get("online", True)),
            "interactive": bool(options.get("interactive", False))}


def _text(options: Any, key: str) -> str:
    value = options.get(key) if isinstance(options, dict) else None
    return value if isinstance(value, str) else ""
