"""The bridge between the KOReader plugin (Lua) and the Python core, and a headless host.

The only package that imports lupa. `HeadlessHost` runs the plugin in a KOReader-compatible
LuaJIT runtime and drives it like a reader would; `CoreProvider` is what a core offers
to be reachable from Lua as `require("bookloresync/core")`.
"""

from bridge.api import CoreProvider
from bridge.host import HeadlessHost
from bridge.runtime import LuaError

__all__ = ["CoreProvider", "HeadlessHost", "LuaError"]
