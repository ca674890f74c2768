"""The boundary every use case of the facade runs inside: nothing raises past it.

Expected trouble (a vanished book file, a bad setting) becomes `{"ok": False, "message"}`
with a sentence for the reader. Trouble with the database becomes the store's own
sentence (what is wrong, which file, what to do) with `store` saying which kind and
`needs_you` / `try_later` for the command line's exit status; when the store has just
moved a recording core to the side database because of it, the call runs once more
there, so the session being saved is not lost. Anything else is a bug: logged with its
traceback, reported as an internal error. A store problem is logged as one INFO line (its
traceback only at DEBUG): it is the reader's to fix, not a crash.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from python_core.errors import (
    DamagedDatabase,
    DatabaseUnusable,
    FingerprintError,
    SettingsError,
    StoreBusy,
    StoreError,
    internal_error_text,
)

log = logging.getLogger("booklore_sync.core")

_EXPECTED = (FingerprintError, SettingsError)


def use_case(method):
    """Run `method(self, ...)` under `self.store` (a StoreKeeper) and return a result dict."""
    name = method.__name__

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs) -> dict[str, Any]:
        store = self.store
        for attempt in (1, 2):
            with store.using():
                if store.db is None:
                    return store_failure(store.problem)
                before = store.generation
                try:
                    return {"ok": True, **method(self, *args, **kwargs)}
                except Exception as exc:  # noqa: BLE001 - the boundary: nothing may escape
                    if _expected(exc):
                        return {"ok": False, "message": str(exc)}
                    error, problem = exc, store.failed(exc)
                if problem is None:
                    log.error("%s failed", name, exc_info=error)
                    return {"ok": False, "message": internal_error_text(name, error)}
                if attempt == 1 and store.generation != before:
                    log.info("%s: %s; done again on %s", name, problem, store.db.path)
                    continue
                log.info("%s: %s", name, problem)
                log.debug("%s: the store's error in full", name, exc_info=error)
                return store_failure(problem)
        raise AssertionError("unreachable")  # pragma: no cover
    return wrapper


def _expected(exc: BaseException) -> bool:
    """Trouble with the input, a book file or another program's file (e.g. KOReader's
    statistics being imported): its message is the answer."""
    return isinstance(exc, _EXPECTED) or (isinstance(exc, StoreError)
                                          and not isinstance(exc, DatabaseUnusable))


def store_failure(problem: StoreError) -> dict[str, Any]:
    kind = ("busy" if isinstance(problem, StoreBusy) else
            "damaged" if isinstance(problem, DamagedDatabase) or problem.side_database_helps
            else "unusable")
    return {"ok": False, "message": str(problem), "store": kind,
            "try_later": kind == "busy", "needs_you": kind != "busy"}
