"""The LuaJIT runtime every Lua side of BookLore Sync runs in, set up like KOReader's.

lupa's default `LuaRuntime` is plain Lua 5.5 and hands Lua a Python escape hatch
(`python.eval`, attribute access to `__globals__`, ...). KOReader runs a patched LuaJIT 2.1
with `table.pack`/`table.unpack`. So the runtime here is `lupa.luajit21` with every Python
door shut except plain calls, KOReader's two table functions added, and the process-level
side effects of Lua (`os.exit`, `print` to C stdout) made harmless for a Python host.
See shared/spec/lupa-bridge.md §0, §2.7 and §6.
"""

from __future__ import annotations

import logging
from pathlib import Path

from lupa import luajit21

LuaError = luajit21.LuaError  # not lupa.LuaError: each backend module has its own class
LuaRuntime = luajit21.LuaRuntime
lua_type = luajit21.lua_type

#: The host's own Lua modules (KOReader module names plus `headless/*`).
HOST_LUA_DIR = Path(__file__).resolve().parent / "lua"

LUA_LOGGER = logging.getLogger("booklore_sync.lua")

# Runs once in every fresh runtime, before any plugin code. `...` is the Python log sink,
# kept only as an upvalue so Lua never receives that Python object again (lupa §2.9).
_PREPARE = r"""
local emit = ...
table.pack = table.pack or function(...) return { n = select("#", ...), ... } end
table.unpack = table.unpack or unpack
python.as_attrgetter, python.as_itemgetter, python.set_overflow_handler = nil, nil, nil
python.eval, python.builtins = nil, nil

os.exit = function(code)
    error("os.exit(" .. tostring(code) .. ") called: a Lua host must not end the process", 2)
end

-- Python decodes every string it receives as UTF-8; a log line is never worth an error.
local function log(level, text)
    text = tostring(text)
    if not pcall(emit, level, text) then emit(level, (text:gsub("[\128-\255]", "?"))) end
end
package.loaded["headless/pylog"] = log

print = function(...)
    local parts = {}
    for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
    log(20, table.concat(parts, "\t"))
end
"""


def deny_all_attributes(obj: object, name: object, is_setting: bool) -> str:
    """Attribute filter: Lua may call a Python function, but never reach into an object.

    This closes `obj.__class__`, `fn.__globals__` and the `e.__traceback__.tb_frame`
    walk; Python functions stored in Lua tables stay callable without attribute access.
    """
    raise AttributeError(f"Lua may not access Python attribute {name!r}")


def _emit_lua_log(level: int, text: str) -> None:
    LUA_LOGGER.log(level, "%s", text)


def make_runtime() -> LuaRuntime:
    """Create a sandboxed LuaJIT 2.1 runtime with KOReader's table polyfills.

    `package.path` starts with the host modules so `require("ui/uimanager")` and the other
    KOReader module names resolve to the clean-room fakes in `bridge/lua/`.
    """
    lua = LuaRuntime(
        unpack_returned_tuples=True,
        register_eval=False,
        register_builtins=False,
        attribute_filter=deny_all_attributes,
    )
    lua.execute(_PREPARE, _emit_lua_log)
    prefix = f"{HOST_LUA_DIR}/?.lua;{HOST_LUA_DIR}/?/init.lua;"
    lua.execute("package.path = ... .. package.path", prefix)
    return lua
