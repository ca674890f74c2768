"""Log lines of the Lua side and the bridge, kept for `HeadlessHost.logs`.

Tests assert on what the plugin logged (handler errors, load failures), so the host
collects those records while it lives, whatever the process-wide logging setup is.
"""

from __future__ import annotations

import logging

CAPTURED_LOGGERS = ("booklore_sync.lua", "booklore_sync.bridge")


class LogCapture(logging.Handler):
    """Collects the Lua and bridge log lines for `HeadlessHost.logs` while the host lives."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self._levels = {}
        for name in CAPTURED_LOGGERS:
            logger = logging.getLogger(name)
            self._levels[name] = logger.level
            logger.setLevel(logging.DEBUG)  # else the root's WARNING level drops Lua's info lines
            logger.addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def detach(self) -> None:
        for name, level in self._levels.items():
            logger = logging.getLogger(name)
            logger.removeHandler(self)
            logger.setLevel(level)
