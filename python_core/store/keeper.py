"""Which database file the core runs on, and what it does when that file fails.

Normally that is `booklore-sync.sqlite`. When it cannot be used (damaged, not ours, a
folder where the file should be), a core that must keep recording (the plugin's:
`keep_recording=True`) runs on the side database instead (side_database.py), from the
start or from the moment the damage shows up in the middle of a call; the damaged file is
not written to again. A core without that duty (the command line) reports the problem
and stops. When even the settings folder cannot be written, there is no database at all:
every call answers with the one sentence saying why.

A repair swaps files under the running core, so it waits until no call is in progress and
holds new calls back until it is done (`using` / the repair's exclusive turn).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from python_core.errors import StoreError
from python_core.store import health, notices
from python_core.store import side_database as side
from python_core.store.db import DB_FILENAME, Adopt, Database, settings_folder

log = logging.getLogger("booklore_sync.store")

SIDE_IN_USE = ("BookLore Sync found {main} damaged earlier and records into {side} until "
               "it is repaired. " + health.REPAIR)


class StoreKeeper:
    def __init__(self, settings_dir, adopt_previous: Adopt | None = None, *,
                 keep_recording: bool = False, now: Callable[[], str]):
        self._now = now
        self._adopt = adopt_previous
        self._keep_recording = keep_recording
        self._turn = threading.Condition()
        self._calls = 0
        self._repairing = False
        self._told = False
        #: Why the core is not running on booklore-sync.sqlite (None: it is).
        self.problem: StoreError | None = None
        self.db: Database | None = None
        self.folder = Path(settings_dir)
        try:
            self.folder = settings_folder(settings_dir)
            self.db = self._open_main()
        except StoreError as exc:
            if not keep_recording:
                raise
            self._fall_back(exc)

    @property
    def on_side(self) -> bool:
        return self.db is not None and self.db.path.name == side.SIDE_FILENAME

    @property
    def generation(self) -> object:
        """Changes whenever the core moves to another file (a call that failed on the old
        file may then be run again)."""
        return None if self.db is None else self.db.path

    def _open_main(self) -> Database:
        if side.in_use(self.folder):
            if not self._keep_recording:
                raise StoreError(SIDE_IN_USE.format(main=self.folder / DB_FILENAME,
                                                    side=side.SIDE_FILENAME))
            return self._open_side(None)
        # Without a side database to fall back to, a damage is found before any write.
        return Database(self.folder / DB_FILENAME, self._adopt,
                        verify=not self._keep_recording)

    def _open_side(self, problem: StoreError | None) -> Database:
        why = str(problem) if problem is not None else SIDE_IN_USE.format(
            main=DB_FILENAME, side=side.SIDE_FILENAME)
        db = side.open_side(self.folder, why, self._now())
        told = notices.text_of(db.connection(), side.NOTICE_TOPIC) or why
        self.problem = problem or StoreError(told.split("\n\n")[0])
        log.warning("recording into %s: %s", db.path, self.problem)
        return db

    def _fall_back(self, problem: StoreError) -> None:
        self.problem = problem
        if problem.side_database_helps:
            try:
                self.db = self._open_side(problem)
                return
            except StoreError as side_problem:
                self.problem = side_problem
        log.warning("no database: %s", self.problem)

    def failed(self, exc: BaseException) -> StoreError | None:
        """What `exc` (raised by a call) means for the store, after acting on it: a damaged
        file in a recording core is left for the side database. None: not a store error."""
        if self.db is None:
            return self.problem
        problem = health.explain(exc, self.db.path)
        if problem is None or not (self._keep_recording and problem.side_database_helps):
            return problem
        with self._turn:
            if self.on_side:
                return problem  # the side file itself failed: nothing further to fall to
            try:
                self.db.use_instead(self._open_side(problem))
            except StoreError as side_problem:
                return side_problem
        return problem

    def take_problem_once(self) -> str | None:
        """With no database at all, why: once per process (the reader is told once)."""
        if self.db is not None or self._told:
            return None
        self._told = True
        return str(self.problem)

    @contextlib.contextmanager
    def using(self) -> Iterator[None]:
        """One call of the core; waits while a repair swaps the files."""
        with self._turn:
            while self._repairing:
                self._turn.wait()
            self._calls += 1
        try:
            yield
        finally:
            with self._turn:
                self._calls -= 1
                self._turn.notify_all()

    def repair(self):
        """Repair with no call in progress, then run on the repaired file; the
        `repair.Outcome`."""
        from python_core.store import repair  # rare: keep it off every start
        with self._turn:
            while self._repairing or self._calls:
                self._turn.wait()
            self._repairing = True
        try:
            if self.db is not None:
                self.db.close()
            outcome = repair.check(self.folder)
            repaired = Database(self.folder / DB_FILENAME, self._adopt)
            if self.db is None:
                self.db = repaired
            else:
                self.db.use_instead(repaired)
            self.problem = None
            return outcome
        finally:
            with self._turn:
                self._repairing = False
                self._turn.notify_all()

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
