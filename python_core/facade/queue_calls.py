"""The queue, the database and what the reader must be told: counts and details for
Manage Sessions, clearing, the notices shown once, the database's state and its repair
(also as `booklore-sync doctor`, `check_database`), and how far long work has got.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from python_core.clock import iso_utc, utc_now
from python_core.errors import SettingsError, StoreError, internal_error_text
from python_core.facade.use_case import store_failure, use_case
from python_core.store import applied_calls, book_cache, item_queues, notices

log = logging.getLogger("booklore_sync.core")

CACHE_CLEARED = "Local book cache cleared"


class QueueCalls:
    """Mixed into BookLoreSync (core.py), whose `store`, `db` and `work` these use."""

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
