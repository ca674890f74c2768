"""The bridge between the KOReader plugin (Lua) and the Python core, and a headless host.

The only package that imports lupa, and only once the in-process host is used.
`HeadlessHost` runs the plugin in a KOReader-compatible LuaJIT runtime inside Python and
drives it like a reader would; `StandaloneHost` (bridge/standalone.py) does the same in a
separate luajit against the sidecar; `CoreProvider` is what a core offers to be reachable
from Lua as `require("bookloresync/core")`.
"""

import importlib

__all__ = ["CoreProvider", "HeadlessHost", "LuaError"]

_HOME = {"CoreProvider": "bridge.api", "HeadlessHost": "bridge.host", "LuaError": "bridge.runtime"}


def __getattr__(name: str):
    """lupa is imported when the in-process host is first used, so `bridge.standalone`
    (the host in a separate luajit) works where lupa is not installed."""
    if name in _HOME:
        return getattr(importlib.import_module(_HOME[name]), name)
    raise AttributeError(f"module 'bridge' has no attribute {name!r}")
