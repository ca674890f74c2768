"""StandaloneHost: the headless host in Debian's standalone `luajit`, without lupa.

The same KOReader stand-ins (`bridge/lua`) and the same `main.lua` as HeadlessHost, but
in a separate LuaJIT process where nothing preloads `bookloresync/core`: the plugin uses
its own client (`bookloresync/core.lua`) and reaches a real `booklore-sync serve` over
loopback, as it does in a real KOReader. Driven line by line over the process's stdin and
stdout (`bridge/lua/headless/stdio.lua`); it offers the methods of HeadlessHost that the
plugin scenarios use, so one scenario can run in both hosts.

Needs `luajit`, `lua-socket` and `lua-dkjson` (Debian's packages).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from bridge.book_spec import book_spec
from bridge.screen import as_list, menu_node, window

HOST_LUA_DIR = Path(__file__).resolve().parent / "lua"
DEFAULT_PLUGINS_DIR = Path(__file__).resolve().parent.parent / "lua_plugin"
CLOCK_START = 1_767_225_600.0


def luajit_available() -> str | None:
    """Why the standalone host cannot run here, or None when it can."""
    if shutil.which("luajit") is None:
        return "luajit is not installed (Debian: apt-get install luajit lua-socket lua-dkjson)"
    probe = subprocess.run(["luajit", "-e", 'require("socket") require("dkjson")'],
                           capture_output=True, text=True)
    if probe.returncode:
        return "lua-socket or lua-dkjson is missing: " + probe.stderr.strip().splitlines()[0]
    return None


class StandaloneHost:
    """One KOReader (a luajit process) with the plugin loaded, for one settings folder."""

    def __init__(self, settings_dir: str | os.PathLike, online: bool = False,
                 python: str | None = None, plugins_dir: str | os.PathLike | None = None,
                 clock_start: float = CLOCK_START, core_timeout: float | None = None):
        """`core_timeout`: how long the plugin's client waits for a quick answer (KOReader's
        `bookloresync_core_timeout`; 50 ms when None). Scenario tests on a busy machine
        give it room; tests of the 50 ms rule leave it alone."""
        settings = Path(settings_dir).resolve()
        settings.mkdir(parents=True, exist_ok=True)
        self.settings_dir = settings
        plugins = Path(plugins_dir or DEFAULT_PLUGINS_DIR).resolve()
        self.process = subprocess.Popen(
            ["luajit", str(HOST_LUA_DIR / "headless" / "stdio.lua")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, encoding="utf-8", errors="replace", bufsize=1)
        self.menu_open = False
        config = {"settings_dir": str(settings), "data_dir": str(settings.parent),
                  "home_dir": str(settings.parent), "clock_start": float(clock_start)}
        found = sorted(p for p in plugins.iterdir() if p.name.endswith(".koplugin"))
        self._call("start", config, [{"root": str(p), "name": p.name[:-9]} for p in found],
                   "online" if online else "off")
        if python:
            self._call("set_reader_setting", "bookloresync_python", python)
        if core_timeout is not None:
            self._call("set_reader_setting", "bookloresync_core_timeout", float(core_timeout))

    # Lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> StandaloneHost:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self._call("shutdown")
            finally:
                self.process.stdin.close()
                self.process.wait(10)
        self.process.stdout.close()

    def crash(self) -> None:
        """KOReader dies (kill -9): nothing more runs in it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process.stdin.close()
        self.process.stdout.close()

    # What HeadlessHost offers --------------------------------------------------------

    def advance(self, seconds: float) -> None:
        self._call("advance", float(seconds))

    def set_online(self, online: bool) -> None:
        self.set_network("online" if online else "off")

    def set_network(self, state: str) -> None:
        """"off", "connected" (no way out) or "online", as HeadlessHost.set_network."""
        self._call("set_network", state)

    def set_reader_setting(self, key: str, value: Any) -> None:
        """A KOReader-wide setting (G_reader_settings), e.g. "bookloresync_python"."""
        self._call("set_reader_setting", key, value)

    def suspend(self) -> None:
        self._call("suspend")

    def resume(self) -> None:
        self._call("resume")

    def open_book(self, path, **spec: Any) -> None:
        self._call("open_book", book_spec(path, **spec))

    def close_book(self) -> None:
        self._call("close_book")

    def turn_page(self, n: int = 1) -> None:
        self._call("turn_page", int(n))

    def swipe_page(self, n: int = 1) -> None:
        self._call("swipe", int(n))

    def long_press(self, path: str | os.PathLike) -> None:
        path = Path(path)
        self._call("long_press", str(path), not path.is_dir())

    def type_text(self, text: str) -> None:
        self._call("type_text", text)

    def menu(self, *path: str, tab: str = "tools") -> dict:
        return menu_node(self._call("menu", tab, list(path), None)["node"])

    def tap_menu(self, *path: str, tab: str = "tools") -> bool:
        result = self._call("tap_menu", tab, list(path))
        self.menu_open = result["menu_open"]
        return result["acted"]

    def dispatch(self, name: str) -> bool:
        return self._call("dispatch", name)["ran"]

    def screen(self) -> list[dict]:
        return [window(w) for w in as_list(self._call("screen"))]

    def tap_button(self, text: str) -> bool:
        return self._call("tap_button", text)["acted"]

    def dismiss(self) -> bool:
        return self._call("dismiss")["acted"]

    @property
    def toasts(self) -> list[str]:
        return as_list(self._call("toasts"))

    @property
    def logs(self) -> list[str]:
        return as_list(self._call("logs"))

    def run_until_idle(self, timeout: float = 10.0) -> None:
        """Let the core answer, in real time, until the plugin's client has nothing left."""
        if not self._call("run_until_idle", float(timeout)):
            raise TimeoutError(f"the core client is still busy after {timeout} s: "
                               f"{self.client_state()}")

    # Its own --------------------------------------------------------------------------

    def client_state(self) -> dict:
        return self._call("client_state")

    def request(self, name: str, *args: Any) -> Any:
        """Any request of the driver (e.g. the timing helpers of tools/bench)."""
        return self._call(name, *args)

    def _call(self, name: str, *args: Any) -> Any:
        if self.process.poll() is not None:
            raise RuntimeError(f"luajit exited with {self.process.returncode}")
        self.process.stdin.write(json.dumps({"call": name, "args": list(args),
                                             "n": len(args)}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"luajit ended during {name} (exit {self.process.wait(5)})")
        answer = json.loads(line)
        if not answer["ok"]:
            raise (LookupError if answer.get("lookup") else RuntimeError)(answer["error"])
        return answer.get("result")


def wait_for(predicate, timeout: float = 10.0, step: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(step)
