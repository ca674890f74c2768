"""`BookLoreSync`: the settings folder's store, the reading trackers and the settings,
with the calls of the three groups mixed in (`reading_calls`, `server_calls`,
`queue_calls`), each of which uses only what is defined here.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

# Imported here: what opening the database, reading a book and drawing the menu need.
# Everything that talks to a server (requests alone costs ~100 ms to import), the sync
# engine, matching, annotation capture and the previous plugin's adoption are imported
# by the use case that needs them, so the plugin's (and the sidecar's) start stays close
# to a bare interpreter's (docs/PERFORMANCE.md §6).
from python_core import settings as settings_rules
from python_core.clock import utc_now
from python_core.errors import SettingsError
from python_core.facade.queue_calls import QueueCalls
from python_core.facade.reading_calls import ReadingCalls
from python_core.facade.server_calls import ServerCalls
from python_core.facade.use_case import use_case
from python_core.progress import ProgressBoard
from python_core.reading.tracker import ReadingTracker
from python_core.store import Database, config_tables, library_listing
from python_core.store.keeper import StoreKeeper

if TYPE_CHECKING:
    from python_core.server.client import BookLoreClient

_DECIDES_FEATURES = ("server_url", "username", "password", "booklore_username",
                     "booklore_password")


class BookLoreSync(ReadingCalls, ServerCalls, QueueCalls):
    """One settings directory's database and the use cases over it.

    `keep_recording=True` is for the plugin's hosts (the in-process bridge, the sidecar): a
    database that cannot be used never stops the core, which records into a side database
    instead and tells the reader once (store/keeper.py). Without it (the command line)
    such a database is a StoreError here, with the sentence to show."""

    def __init__(self, settings_dir: str | os.PathLike, *, keep_recording: bool = False):
        self.store = StoreKeeper(settings_dir, _adopt_previous_plugin,
                                 keep_recording=keep_recording, now=utc_now)
        self.reading = ReadingTracker(self.db, self.record_session)
        #: The reading session of each KOReader this core serves; None is the one the
        #: in-process host has (the sidecar may serve two KOReaders on one folder).
        self.readers: dict[str | None, ReadingTracker] = {None: self.reading}
        #: Where this core runs, for Test Connection (the sidecar names its process).
        self.runs_in = "inside KOReader's process"
        #: How far the long work running now has got (`work_progress`).
        self.work = ProgressBoard()

    @property
    def db(self) -> Database | None:
        """The database the core runs on now (the same object when it moves to the side
        database or back: its file changes underneath); None with no usable folder."""
        return self.store.db

    def __enter__(self) -> "BookLoreSync":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        for tracker in self.readers.values():
            tracker.close()  # each writes the page-turn save it was handed, then stops
        self.store.close()

    def settings(self) -> dict[str, Any]:
        return settings_rules.with_defaults(config_tables.all_settings(self.db.connection()))

    @use_case
    def get_settings(self) -> dict[str, Any]:
        return {"settings": settings_rules.masked(self.settings())}

    @use_case
    def set_setting(self, key: str, value: Any) -> dict[str, Any]:
        if key not in settings_rules.PUBLIC:
            raise SettingsError(f"Unknown setting '{key}'. Known: "
                                f"{', '.join(settings_rules.PUBLIC)}")
        value = settings_rules.coerce(key, value)
        stored_key, stored_value = settings_rules.stored(key, value)
        before = self.settings()
        with self.db.atomic() as tx:
            config_tables.set_setting(tx, stored_key, stored_value)
            if key in ("server_url", "booklore_username", "booklore_password"):
                _forget_login(tx, before)
            if key in _DECIDES_FEATURES and before.get(stored_key) != stored_value:
                # What the server offers *to these accounts*: a 403 to a wrong KOReader
                # password must not leave "no batch endpoint" behind once it is fixed.
                config_tables.forget_capabilities(tx)
            if key in ("server_url", "booklore_username") and before.get(key) != value:
                library_listing.forget(tx)  # another server or another account's books
        shown = settings_rules.masked({key: value})[key]
        return {"key": key, "value": shown, "message": f"{key} saved"}

    def _client_factory(self, current: dict[str, Any]) -> Callable[[], BookLoreClient]:
        """What the use cases hand down: they build the client only if they need one."""
        return functools.partial(self.make_client, current)

    def make_client(self, current: dict[str, Any]) -> BookLoreClient:
        from python_core.server.from_settings import client_for
        return client_for(self.db, current)


def _adopt_previous_plugin(path):
    """Only a reader who switches from the previous plugin needs the adoption code."""
    from python_core.history import previous_plugin
    return previous_plugin.adopt(path)


def _forget_login(tx, before: dict[str, Any]) -> None:
    from python_core.server.token_store import account_key
    config_tables.forget_account(tx, account_key(before["server_url"], before["booklore_username"]))
