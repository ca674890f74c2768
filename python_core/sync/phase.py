"""What every phase of a sync is handed, and the one rule for a failed upload.

A phase (book resolution, ratings, annotations, sessions) needs the same few things: the
database, the client, the report it adds to, the clock, and the hooks of the run
(`checkpoint`, which the kill tests use to stop the process at a named step, `keepalive`,
which renews the sync lease during a long drain, and `progress`, which tells whoever
started the sync how far it has got). They travel together as one `PhaseContext` instead
of as argument lists that grow with every phase. A phase calls `between_requests()` before
each request it sends: the lease is renewed and the upload count told.

The failure rule is the same for every upload, whatever it carries:

- nothing was sent (`Unreachable`): the whole sync stops as offline (`Offline`), and no
  counter moves;
- the server answered, or the answer was lost on the way: the failure is recorded on the
  items (retry count, the server's words), counted in the report and noted once, and the
  phase goes on with the next item;
- the account was refused (`AuthError`): the same, and then the phase stops (`StopPhase`)
  and the report asks for the reader's attention, because every further request would be
  refused the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from python_core.errors import AuthError, BookLoreError, Unreachable
from python_core.progress import UPLOADING, Progress, StageCounter, no_progress
from python_core.store import Database
from python_core.sync.report import SINGULAR, SyncReport

#: Where the reader fixes a refused account, per kind of upload.
CHECK_ACCOUNT = "Check the KOReader account under Settings → Server and accounts."
CHECK_BOOKLORE_ACCOUNT = "Check the BookLore account under Settings → Server and accounts."
_ACCOUNT_HINT = {"sessions": CHECK_ACCOUNT, "ratings": CHECK_BOOKLORE_ACCOUNT,
                 "annotations": CHECK_BOOKLORE_ACCOUNT}

#: Writes the failure onto the items inside the transaction it is given.
Record = Callable[[Any], None]


class Offline(Exception):
    """No network: the sync stops, nothing more is sent and no retry counter moves."""


class StopPhase(Exception):
    """Further requests in this phase would fail the same way; leave the rest queued.
    Whoever raises it has already said why in the report."""


def no_checkpoint(step: str) -> None:
    pass


def no_keepalive() -> None:
    pass


@dataclass
class PhaseContext:
    db: Database
    client: Any
    report: SyncReport
    now: Callable[[], str]
    checkpoint: Callable[[str], None] = no_checkpoint
    keepalive: Callable[[], None] = no_keepalive
    progress: Progress = no_progress
    _uploads: StageCounter | None = None

    def count_uploads(self, total: int) -> None:
        """The upload phases begin with `total` items ready to send."""
        self._uploads = StageCounter(self.progress, "sync", UPLOADING, total)

    def between_requests(self) -> None:
        """Before each request of a phase: renew the lease, tell how many items are done
        (uploaded or failed; both count, as neither is left to send in this sync)."""
        self.keepalive()
        self.tell_uploads()

    def tell_uploads(self, accepted_not_recorded: int = 0) -> None:
        """`accepted_not_recorded`: items the server accepted whose move to the history is
        not committed yet (the sessions phase commits on a thread of its own)."""
        if self._uploads is not None:
            done = sum(self.report.synced.values()) + sum(self.report.failed.values())
            self._uploads.at(done + accepted_not_recorded)

    def upload_failed(self, kind: str, exc: BookLoreError, record: Record, count: int = 1,
                      unsent: Record | None = None) -> None:
        """The one failure rule (module docstring). `record` writes the failure onto the
        items; `unsent` undoes what was prepared for a request that never left."""
        if isinstance(exc, Unreachable):
            if unsent is not None:
                with self.db.atomic() as tx:
                    unsent(tx)
            raise Offline(str(exc)) from None
        if not isinstance(exc, AuthError):
            self.count_failure(kind, count, f"{_label(kind)} upload failed: {exc}", record)
            return
        self.count_failure(kind, count,
                           f"{_label(kind)} upload refused: {exc}. {_ACCOUNT_HINT[kind]}", record)
        self.report.needs_attention = True
        raise StopPhase

    def count_failure(self, kind: str, count: int, note: str, record: Record) -> None:
        """Record a failure on the items, count it and say it once in the summary."""
        with self.db.atomic() as tx:
            record(tx)
        self.report.failed[kind] += count
        self.report.note(note)


def _label(kind: str) -> str:
    return SINGULAR[kind].capitalize()
