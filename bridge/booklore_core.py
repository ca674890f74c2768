"""The BookLore Sync core as the in-process host provides it: the facade's use cases as
the plain functions of `bookloresync/core`, from the one table of calls
(`python_core/calls.py`) that the sidecar serves too.

Quick calls answer on the Lua thread; slow calls (anything that may touch the network)
run on the bridge's worker and answer through a Lua callback, so the UI never waits on
HTTP. Created once per process, like KOReader's own start-up; that is also when a session
a crash left open is finished.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from bridge.api import CoreCall
from python_core import calls
from python_core.facade import BookLoreSync

log = logging.getLogger("booklore_sync.bridge")


class BookLoreCore:
    """A CoreProvider over one settings directory's database."""

    def __init__(self, settings_dir: str | os.PathLike):
        # The plugin keeps recording whatever state the database is in (store/keeper.py).
        self.facade = BookLoreSync(settings_dir, keep_recording=True)
        self._calls = calls.bind(self.facade)
        recovered = self.facade.recover_reading()
        if recovered.get("recovered"):
            log.info("recovered an interrupted reading session (saved=%s)", recovered.get("saved"))

    def sync_calls(self) -> Mapping[str, CoreCall]:
        return {name: self._calls[name] for name in calls.QUICK}

    def async_calls(self) -> Mapping[str, CoreCall]:
        return {name: self._calls[name] for name in calls.SLOW}

    def close(self) -> None:
        self.facade.close()
