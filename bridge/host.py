"""HeadlessHost: drive the KOReader plugin the way a reader and a device would.

A LuaJIT runtime with the host's KOReader modules, the plugins loaded by KOReader's
rules, and a file manager on screen. Every method runs on the thread that created the
host (the only thread that touches Lua) and returns once the UI has settled: tasks due
at the current virtual time (nextTick, scheduleIn(0)) have run. Nothing waits for the
core's worker thread except `run_until_idle`. Virtual time moves only in `advance`.

Labels (menu entries, buttons, check boxes, input fields) are matched by exact text
first, else by the one label that starts with the given text: "Sync Pending Now" finds
"Sync Pending Now (3s, 1a, 2r)". No match or an ambiguous prefix raises LookupError
listing what is on offer.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bridge.api import CoreProvider, build_core_table
from bridge.book_spec import book_spec
from bridge.booklore_core import BookLoreCore
from bridge.convert import to_lua, to_python
from bridge.inbox import WorkerInbox
from bridge.log_capture import LogCapture
from bridge.runtime import make_runtime
from bridge.screen import as_list, menu_node, window

log = logging.getLogger("booklore_sync.bridge")

#: The plugin folder of this repository (repo_root/lua_plugin).
DEFAULT_PLUGINS_DIR = Path(__file__).resolve().parent.parent / "lua_plugin"


#: Python hands the interpreter lock to a waiting thread only after the running one has
#: held it this long (5 ms by default). The Lua thread enters Python several times in a
#: page turn; behind the core's worker busy building or parsing a batch, each entry waited
#: up to 5 ms (page turns during a sync: p99 5-8 ms). 1 ms bounds that wait; the worker
#: only switches more often while the Lua thread actually wants in. Process-wide, so it is
#: only lowered, never raised (the sidecar sets the same for its own threads).
GIL_SWITCH_SECONDS = 0.001
NETWORK_STATES = ("off", "connected", "online")


class HeadlessHost:
    """A KOReader-compatible host with the plugin loaded; use it as a context manager."""

    def __init__(
        self,
        settings_dir: str | os.PathLike,
        plugins_dir: str | os.PathLike | list[str | os.PathLike] | None = None,
        core: CoreProvider | None = None,
        online: bool = False,
        clock_start: float = 1_767_225_600.0,
    ) -> None:
        self._owner = threading.get_ident()
        if sys.getswitchinterval() > GIL_SWITCH_SECONDS:
            sys.setswitchinterval(GIL_SWITCH_SECONDS)
        self._closed = False
        self._own_core = None
        #: Whether the last tap_menu left the menu open (keep_menu_open, checkable entries).
        self.menu_open = False
        settings = Path(settings_dir).resolve()
        settings.mkdir(parents=True, exist_ok=True)
        self._capture = LogCapture()
        self._inbox = WorkerInbox()
        try:
            self._start(settings, plugins_dir, core, online, clock_start)
        except BaseException:
            self._inbox.close(timeout=0)
            self._capture.detach()
            raise

    def _start(self, settings: Path, plugins_dir, core, online: bool, clock_start: float) -> None:
        """Runtime, core module (before any plugin code), plugins, then the file manager."""
        self.lua = make_runtime()
        if core is None:  # the real thing: BookLore Sync's core over this settings folder
            core = self._own_core = BookLoreCore(settings)
        build_core_table(self.lua, self._inbox, core.sync_calls(), core.async_calls())
        self._control = self.lua.eval('require("headless/control")')
        config = {
            "settings_dir": str(settings),
            "data_dir": str(settings.parent),
            "home_dir": str(settings.parent),
            "clock_start": float(clock_start),
        }
        plugins = discover_plugins(plugins_dir if plugins_dir is not None else DEFAULT_PLUGINS_DIR)
        network = "online" if online else "off"
        self._control.start(to_lua(self.lua, config), to_lua(self.lua, plugins), network)
        self._settle()

    # Lifecycle -----------------------------------------------------------------

    def __enter__(self) -> HeadlessHost:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the book (plugins see CloseDocument) and the file manager; stop the worker."""
        if self._closed:
            return
        self._closed = True
        try:
            self._control.shutdown()
        except Exception:
            log.exception("error while closing the headless host")
        finally:
            self._inbox.close()
            self._capture.detach()
            if self._own_core is not None:
                self._own_core.close()

    def crash(self) -> None:
        """The device dies (battery, kill): no CloseDocument, no flush, nothing more runs.
        The database keeps what was committed, and the last page-turn save the core had
        handed to its writer thread (a device dies later than the milliseconds it takes)."""
        if self._closed:
            return
        self._closed = True
        self._inbox.close(timeout=0)
        self._capture.detach()
        if self._own_core is not None:
            self._own_core.close()

    # Device and clock ----------------------------------------------------------

    def now(self) -> float:
        """The device's wall-clock time, in epoch seconds (what Lua's os.time() reports,
        floored); it moves with `advance` and `jump_wall_clock`."""
        return float(self._call("now", settle=False))

    def advance(self, seconds: float) -> None:
        """Move the virtual clock forward, running each timer that falls due on the way."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._call("advance", float(seconds))

    def jump_wall_clock(self, seconds: float) -> None:
        """The device's wall clock is set forward or back (NTP, a dead RTC battery):
        os.time() jumps by `seconds`, while timers keep their monotonic schedule."""
        self._call("jump_wall_clock", float(seconds), settle=False)

    def set_online(self, online: bool) -> None:
        """Network up or down: `set_network("online")` or `set_network("off")`."""
        self.set_network("online" if online else "off")

    def set_network(self, state: str) -> None:
        """Set the network: "off", "connected" (an address but no way out, as behind a
        captive portal) or "online".

        Connecting broadcasts NetworkConnected, then runs the callbacks waiting for a
        connection (runWhenConnected, willRerun*); going off broadcasts NetworkDisconnected.
        """
        if state not in NETWORK_STATES:
            raise ValueError(f"network state must be one of {', '.join(NETWORK_STATES)}")
        self._call("set_network", state)

    def set_reader_setting(self, key: str, value: Any) -> None:
        """A KOReader-wide setting (G_reader_settings), e.g. "wifi_enable_action":
        "prompt" (KOReader's default), "turn_on" or "ignore"."""
        self._call("set_reader_setting", key, to_lua(self.lua, value), settle=False)

    def network(self) -> dict:
        """{state, turn_on_requests, waiting}: what NetworkMgr knows, how often Wi-Fi was
        asked to turn on, and how many callbacks wait for a connection."""
        state = self._call("network", settle=False)
        state.pop("stalls", None)
        return state

    @property
    def ui_stalls(self) -> list[dict]:
        """Every blocking NetworkMgr call (isOnline and the helpers that call it) made on
        the Lua thread so far: {call, seconds, traceback}. Readable after close."""
        stalls = to_python(self.lua.eval('require("ui/network/manager")._stalls'))
        return as_list(stalls)

    def suspend(self) -> None:
        self._call("suspend")

    def resume(self) -> None:
        self._call("resume")

    # The book --------------------------------------------------------------------

    def open_book(self, path: str | os.PathLike, title: str | None = None, authors=None,
                  identifiers=None, pages: int = 100, page: int | None = None,
                  has_pages: bool | None = None, rating: int | None = None,
                  annotations: list[dict] | None = None, status: str | None = None) -> None:
        """Open a book (closing any open one); see bridge.book_spec for the fields.

        `page` None reopens at the page saved for this file in this host, else page 1.
        """
        spec = book_spec(path, title=title, authors=authors, identifiers=identifiers,
                         pages=pages, page=page, has_pages=has_pages, rating=rating,
                         status=status, annotations=annotations)
        self._call("open_book", to_lua(self.lua, spec))

    def close_book(self) -> None:
        self._call("close_book")

    def turn_page(self, n: int = 1) -> None:
        """n page turns (each its own PageUpdate); negative goes back."""
        self._call("turn_page", int(n))

    def swipe_page(self, n: int = 1) -> None:
        """n page turns by swipe, through UIManager's input routing as a finger's would go:
        a toast lets them through (and closes), a dialog on top takes them."""
        self._call("swipe", int(n))

    def goto_page(self, p: int) -> None:
        self._call("goto_page", int(p))

    def goto_percent(self, x: float) -> None:
        """Jump to progress x in 0..1 (reflowable books keep x exactly)."""
        if not 0.0 <= x <= 1.0:
            raise ValueError("progress is a fraction between 0 and 1")
        self._call("goto_percent", float(x))

    def set_annotations(self, annotations: list[dict]) -> None:
        """Replace `ui.annotation.annotations` of the open book."""
        self._call("set_annotations", to_lua(self.lua, list(annotations)))

    def book_state(self) -> dict | None:
        """{file, page, pages, percent} of the open book, or None in the file manager."""
        return self._call("book_state", settle=False)

    def long_press(self, path: str | os.PathLike) -> None:
        """Long-press a file (or folder) in the file browser: its file dialog opens, with
        the rows plugins added (FileManager:addFileDialogButtons); `tap_button` presses them."""
        path = Path(path)
        self._call("long_press", str(path), not path.is_dir())

    # Menu and dispatcher ---------------------------------------------------------

    def menu(self, *path: str, tab: str = "tools") -> dict:
        """The menu entry at `path` in `tab` with all its submenus, evaluated now.

        Each node: {text, enabled, checked, checkable, separator, has_children, children}.
        With no path, the tab itself (its entries are the children).
        """
        return menu_node(self._call("menu", tab, to_lua(self.lua, list(path)), None, settle=False)["node"])

    def menu_entry(self, *path: str, tab: str = "tools") -> dict:
        """One entry, without evaluating its submenus (children is [])."""
        return menu_node(self._call("menu", tab, to_lua(self.lua, list(path)), 0, settle=False)["node"])

    def tap_menu(self, *path: str, tab: str = "tools") -> bool:
        """Tap the entry at `path`; False if it (or a submenu on the way) is greyed out."""
        result = self._call("tap_menu", tab, to_lua(self.lua, list(path)))
        self.menu_open = result["menu_open"]
        return result["acted"]

    @property
    def menu_redraws(self) -> int:
        """How often the last tap's touch menu was redrawn (updateItems) so far."""
        return self._call("menu_redraws", settle=False)

    def dispatch(self, name: str) -> bool:
        """Fire a dispatcher action by id or event name; False if disabled here."""
        return self._call("dispatch", name)["ran"]

    # Screen ----------------------------------------------------------------------

    def screen(self) -> list[dict]:
        """Windows from bottom to top: {type, text, title, subtitle, buttons, checks, input,
        items, fields}."""
        return [window(described) for described in as_list(self._call("screen", settle=False))]

    @property
    def toasts(self) -> list[str]:
        """Every InfoMessage and Notification text shown so far, in order."""
        return as_list(self._call("toasts", settle=False))

    def tap_button(self, text: str) -> bool:
        """Tap a button (or list item) of the topmost dialog; False if it is greyed out."""
        return self._call("tap_button", text)["acted"]

    def toggle_check(self, text: str) -> bool:
        return self._call("toggle_check", text)["acted"]

    def type_text(self, text: str, field: int | str | None = None) -> None:
        """Replace the topmost input's text; `field` picks a MultiInputDialog field
        by 0-based index or by its hint/description label."""
        lua_field = field + 1 if isinstance(field, int) else field
        self._call("type_text", text, lua_field)

    def dismiss(self) -> bool:
        """Tap outside the topmost dialog; False if it is not dismissable."""
        return self._call("dismiss")["acted"]

    # Background work ---------------------------------------------------------------

    def run_until_idle(self, timeout: float = 10.0) -> None:
        """Deliver core results to Lua and run due tasks until no core call is running."""
        deadline = time.monotonic() + timeout
        while True:
            self._settle()
            if self._inbox.pending == 0:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{self._inbox.pending} core call(s) still running after {timeout} s")
            self._inbox.drain(wait=min(remaining, 0.05))

    @property
    def logs(self) -> list[str]:
        """Log lines of the Lua side and the bridge: "LEVEL logger: message"."""
        return list(self._capture.lines)

    # Plumbing --------------------------------------------------------------------

    def _call(self, name: str, *args: Any, settle: bool = True) -> Any:
        """Run a control function; an action then lets the UI settle, a read does not."""
        if threading.get_ident() != self._owner:
            raise RuntimeError("HeadlessHost may only be used from the thread that created it")
        if self._closed:
            raise RuntimeError("HeadlessHost is closed")
        result = to_python(self._control[name](*args))
        if isinstance(result, dict) and "error" in result:
            raise LookupError(result["error"])
        if settle:
            self._settle()
        return result

    def _settle(self) -> None:
        self._control.settle()


def discover_plugins(roots: str | os.PathLike | list[str | os.PathLike]) -> list[dict]:
    """The `*.koplugin` directories of the roots, in KOReader's load order."""
    if isinstance(roots, (str, os.PathLike)):
        roots = [roots]
    found = []
    for root in roots:
        root = Path(root).resolve()
        if root.is_dir():
            found += [entry for entry in root.iterdir() if entry.is_dir() and entry.name.endswith(".koplugin")]
    found.sort(key=lambda entry: (not entry.name.startswith("provider"), str(entry)))
    return [{"root": str(entry), "name": entry.name[: -len(".koplugin")]} for entry in found]
