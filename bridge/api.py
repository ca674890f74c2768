"""The Python core as the Lua module `bookloresync/core`.

`main.lua` does `local core = require("bookloresync/core")` and calls `core.name(...)`
with dot syntax. The module is one Lua table built once, at start-up, before any plugin
code runs: each entry is a small Lua function that packs its arguments and calls a
single Python dispatcher, which is the only Python object Lua ever holds (kept as an
upvalue, never pushed again). That is the safe pattern of lupa-bridge.md §2.9.

Every call returns a Lua table. A Python exception never enters Lua: it is logged with
its traceback and returned as `{ok=false, message="..."}`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from bridge.convert import ConversionError, to_lua, to_python
from bridge.inbox import WorkerInbox
from bridge.runtime import LuaRuntime, lua_type
from python_core.errors import internal_error_text

log = logging.getLogger("booklore_sync.bridge")

CORE_MODULE = "bookloresync/core"

CoreCall = Callable[..., Mapping[str, Any]]


class CoreProvider(Protocol):
    """What the host needs from a core: plain functions taking and returning plain data.

    `sync_calls` run on the Lua thread and answer at once; `async_calls` run on the
    bridge's worker thread and answer through a Lua callback passed as the last argument.
    """

    def sync_calls(self) -> Mapping[str, CoreCall]: ...

    def async_calls(self) -> Mapping[str, CoreCall]: ...


_BUILD_MODULE = r"""
local dispatch, sync_names, async_names, module_name = ...
local core = {}
local function define(kind, name)
    core[name] = function(...) return dispatch(kind, name, table.pack(...)) end
end
for _, name in ipairs(sync_names) do define("sync", name) end
for _, name in ipairs(async_names) do define("async", name) end
package.loaded[module_name] = core
return core
"""


def build_core_table(
    lua: LuaRuntime,
    scheduler: WorkerInbox,
    sync_calls: Mapping[str, CoreCall],
    async_calls: Mapping[str, CoreCall],
) -> Any:
    """Build the core module table, install it in `package.loaded`, and return it."""
    both = set(sync_calls) & set(async_calls)
    if both:
        raise ValueError(f"core calls cannot be both sync and async: {sorted(both)}")
    calls = _CoreCalls(lua, scheduler, dict(sync_calls), dict(async_calls))
    names = (to_lua(lua, sorted(sync_calls)), to_lua(lua, sorted(async_calls)))
    return lua.execute(_BUILD_MODULE, calls.dispatch, *names, CORE_MODULE)


class _CoreCalls:
    """Runs the calls coming from Lua and turns every outcome into a Lua table."""

    def __init__(self, lua, inbox: WorkerInbox, sync_calls: dict, async_calls: dict) -> None:
        self._lua = lua
        self._inbox = inbox
        self._sync_calls = sync_calls
        self._async_calls = async_calls

    def dispatch(self, kind: str, name: str, packed: Any) -> Any:
        try:
            if kind == "sync":
                return self._call_sync(name, packed)
            return self._call_async(name, packed)
        except Exception as exc:  # a bridge fault (e.g. worker already stopped): still no raise
            return self._failure(name, internal_error_text(name, exc), exc)

    def _call_sync(self, name: str, packed: Any) -> Any:
        try:
            args = _arguments(packed, packed["n"])
        except ConversionError as exc:
            return self._failure(name, f"invalid argument to core.{name}: {exc}", exc)
        return self._result(name, *_call_guarded(name, self._sync_calls[name], args))

    def _call_async(self, name: str, packed: Any) -> Any:
        count = packed["n"]
        callback = packed[count] if count else None
        if lua_type(callback) != "function":
            return self._failure(name, f"core.{name} needs a callback function as its last argument")
        try:
            args = _arguments(packed, count - 1)
        except ConversionError as exc:
            return self._failure(name, f"invalid argument to core.{name}: {exc}", exc)
        function = self._async_calls[name]
        self._inbox.start(
            lambda: _call_guarded(name, function, args),
            lambda outcome: callback(self._result(name, *outcome)),
        )
        return to_lua(self._lua, {"ok": True, "started": True})

    def _result(self, name: str, succeeded: bool, value: Any) -> Any:
        if not succeeded:
            return to_lua(self._lua, {"ok": False, "message": value})
        if not isinstance(value, Mapping):
            return self._failure(name, f"core.{name} returned a {type(value).__name__}, not a table")
        try:
            return to_lua(self._lua, value)
        except ConversionError as exc:
            return self._failure(name, f"core.{name} returned a value Lua cannot hold: {exc}", exc)

    def _failure(self, name: str, message: str, exc: BaseException | None = None) -> Any:
        log.error("core.%s: %s", name, message, exc_info=exc)
        return to_lua(self._lua, {"ok": False, "message": message})


def _arguments(packed: Any, count: int) -> list[Any]:
    try:
        return [to_python(packed[index]) for index in range(1, count + 1)]
    except UnicodeDecodeError as exc:  # decoding happens as lupa reads the item
        raise ConversionError(f"Lua string is not valid UTF-8: {exc.reason} at byte {exc.start}") from None


def _call_guarded(name: str, function: CoreCall, args: list[Any]) -> tuple[bool, Any]:
    """Run a core function; an exception becomes (False, readable message), logged."""
    try:
        return True, function(*args)
    except Exception as exc:  # the boundary: nothing may propagate into Lua
        log.error("core.%s raised", name, exc_info=True)
        return False, internal_error_text(name, exc)
