"""How the sidecar applies calls: the same table as the in-process host, one at a time,
each reading call once.

Quick calls run under one lock, as they run on the one Lua thread in-process: the reading
tracker and the order of events stay as the plugin sent them, whichever connection or the
journal they come from. Slow calls run on one worker thread, in the order they arrived.

A reading call that carries a record id (every one the plugin makes) is applied inside one
transaction with the record of its id (`store/applied_calls`), so replaying it from the
journal after the answer was lost changes nothing. A call that wrote nothing (a close with
no new highlight) records no id either: its transaction then writes nothing and costs no
fsync, and replaying it is as harmless as it was the first time. Page turns are the exception: they are
the hot path, so they are not recorded, and a replayed turn is already harmless (the
tracker ignores a turn older than the last one it counted).

Each KOReader the sidecar serves (the plugin names itself at hello) has its own reading
session. The first one takes the session the core had open when it started (it may be
the same KOReader, still reading); a KOReader that went away without closing its book has
its session finished at its last activity when another one arrives.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from python_core import calls
from python_core.clock import utc_now
from python_core.errors import internal_error_text
from python_core.store import applied_calls

log = logging.getLogger("booklore_sync.sidecar")

UNSEEN_CALL = "not a call of this core"


class _Refused(Exception):
    """The call answered ok=false: roll back whatever it wrote, and do not record its id."""

    def __init__(self, result: Mapping[str, Any]):
        super().__init__("refused")
        self.result = result


class CallRunner:
    """The facade's calls for every reader of one settings folder."""

    def __init__(self, core: Any):
        self.core = core
        self.lock = threading.RLock()
        self._readers: dict[str, str | None] = {}  # client name -> facade reader key
        self._bound: dict[str | None, dict] = {}

    def reader_key(self, client: str) -> str | None:
        """The facade's reader for a client: the first one gets the session the core
        started with (key None); later ones their own."""
        with self.lock:
            if client not in self._readers:
                taken = None in self._readers.values()
                self._readers[client] = client if taken else None
            return self._readers[client]

    def retire_absent(self, present: set[str]) -> None:
        """Finish the open sessions of clients that are gone (not in `present`)."""
        with self.lock:
            for client in [c for c in self._readers if c not in present]:
                key = self._readers.pop(client)
                result = self.core.end_reader(key)
                self._bound.pop(key, None)
                if result.get("ended"):
                    log.info("a KOReader left with a book open: its session ended at its "
                             "last activity (saved=%s)", result.get("saved"))

    def quick(self, name: str, args: list[Any], client: str, record: str | None = None
              ) -> Mapping[str, Any]:
        """Run a quick call now (under the lock); never raises."""
        try:
            return self.replay(name, args, client, record)
        except Exception as exc:  # the database itself failed (locked, unreadable)
            log.error("core.%s could not be applied", name, exc_info=True)
            return {"ok": False, "message": internal_error_text(name, exc)}

    def replay(self, name: str, args: list[Any], client: str, record: str | None = None
               ) -> Mapping[str, Any]:
        """Run a quick call; raises only when the database could not be used, so that the
        journal keeps a record it could not apply."""
        call = calls.CALLS.get(name)
        if call is None or call.slow:
            return {"ok": False, "message": f"core.{name} is {UNSEEN_CALL}"}
        with self.lock:
            function = self._function(name, self.reader_key(client))
            if call.journaled and record and name != "page_turned":
                return self._once(name, function, args, record)
            return _guarded(name, function, args)

    def slow(self, name: str, args: list[Any]) -> Mapping[str, Any]:
        """Run a slow call (on the worker thread); never raises."""
        call = calls.CALLS.get(name)
        if call is None or not call.slow:
            return {"ok": False, "message": f"core.{name} is {UNSEEN_CALL}"}
        return _guarded(name, self._function(name, None), args)

    def _function(self, name: str, key: str | None):
        if key not in self._bound:
            self._bound[key] = calls.bind(self.core, key)
        return self._bound[key][name]

    def _once(self, name: str, function, args: list[Any], record: str) -> Mapping[str, Any]:
        """Apply a reading call and record its id in one transaction, or skip a replay."""
        try:
            with self.core.db.atomic() as tx:
                if applied_calls.seen(tx, record):
                    return {"ok": True, "replayed": True}
                before = tx.total_changes
                result = _guarded(name, function, args)
                if not result.get("ok"):
                    raise _Refused(result)
                if tx.total_changes != before:  # a call that wrote nothing: nothing to repeat
                    applied_calls.mark(tx, record, utc_now())
                return result
        except _Refused as refused:
            return refused.result


def _guarded(name: str, function, args: list[Any]) -> Mapping[str, Any]:
    try:
        result = function(*args)
    except Exception as exc:  # the boundary: nothing may reach the plugin as a failure
        log.error("core.%s raised", name, exc_info=True)
        return {"ok": False, "message": internal_error_text(name, exc)}
    if not isinstance(result, Mapping):
        return {"ok": False, "message": internal_error_text(name, TypeError())}
    return result
