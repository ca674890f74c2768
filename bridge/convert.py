"""Plain data across the Lua/Python boundary, and nothing else.

Only str, numbers, booleans, nil and real Lua tables may cross: pushing Python objects
into Lua per call is what triggers lupa 2.8's wrong-object bug (lupa-bridge.md §2.9), and
Lua tables handed to Python are live views that must not outlive the call. So values are
copied both ways into fresh, plain structures.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bridge.runtime import LuaRuntime, lua_type

#: Deeper nesting than this is taken for a cycle.
MAX_DEPTH = 64
#: Integers beyond this lose precision as LuaJIT doubles; refuse them instead.
MAX_EXACT_INT = 2**53

_SCALARS = (str, int, float, bool, type(None))


class ConversionError(ValueError):
    """A value cannot cross between Lua and Python as plain data."""


def to_python(value: Any, _depth: int = 0) -> Any:
    """Copy a Lua value into plain Python data.

    A table whose keys are exactly 1..n becomes a list, any other table a dict (so an
    empty table is `{}`). Functions, coroutines and userdata are refused, as is a Lua
    string that is not valid UTF-8.
    """
    kind = lua_type(value)
    if kind is None:
        if isinstance(value, _SCALARS):
            return value
        raise ConversionError(f"a Python {type(value).__name__} came back from Lua")
    if kind != "table":
        raise ConversionError(f"a Lua {kind} cannot be converted to plain data")
    if _depth >= MAX_DEPTH:
        raise ConversionError("Lua table nested too deeply (does it contain itself?)")
    try:
        items = list(value.items())
    except UnicodeDecodeError as exc:
        raise ConversionError(f"Lua string is not valid UTF-8: {exc.reason} at byte {exc.start}") from None
    keys = [key for key, _ in items]
    if keys and keys == list(range(1, len(keys) + 1)):
        return [to_python(item, _depth + 1) for _, item in items]
    return {_key(key): to_python(item, _depth + 1) for key, item in items}


def _key(key: Any) -> Any:
    if isinstance(key, _SCALARS):
        return key
    raise ConversionError(f"a Lua table key of type {lua_type(key)} cannot be converted")


def to_lua(lua: LuaRuntime, value: Any) -> Any:
    """Turn plain Python data into Lua values: dicts and lists become real Lua tables.

    None values inside dicts are dropped (Lua cannot store nil); None inside a list
    leaves a hole. Anything that is not plain data raises ConversionError, so no Python
    object is ever pushed into Lua.
    """
    plain = _plain(value, 0)
    if isinstance(plain, (dict, list)):
        return lua.table_from(plain, recursive=True)
    return plain


def _plain(value: Any, depth: int) -> Any:
    if depth >= MAX_DEPTH:
        raise ConversionError("value nested too deeply (does it contain itself?)")
    if isinstance(value, bool) or value is None or isinstance(value, (str, bytes, float)):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_EXACT_INT:
            raise ConversionError(f"integer {value} is too large for a Lua number")
        return value
    if isinstance(value, Mapping):
        return {_plain_key(k): _plain(v, depth + 1) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(item, depth + 1) for item in value]
    raise ConversionError(f"a {type(value).__name__} is not plain data and cannot go to Lua")


def _plain_key(key: Any) -> Any:
    if isinstance(key, str) or (isinstance(key, int) and not isinstance(key, bool)):
        return key
    raise ConversionError(f"a dict key of type {type(key).__name__} cannot go to Lua")
