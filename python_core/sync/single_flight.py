"""One sync at a time, across threads and processes that share the database.

A lease row is claimed in a short `BEGIN IMMEDIATE` transaction and released the same
way; it is never held open across HTTP. A lease whose owner process is gone (same host,
pid no longer alive) or whose time ran out is taken over, so a killed sync never blocks
the next one for long. The time limit is renewed as the sync makes progress.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
import uuid
from collections.abc import Iterator

from python_core.store import Database, config_tables

LEASE_NAME = "sync"
LEASE_SECONDS = 300.0


class SyncLease:
    """A held lease; `renew_if_due()` pushes its expiry forward while work goes on."""

    def __init__(self, db: Database, owner: str):
        self._db = db
        self.owner = owner
        self._renewed_at = time.monotonic()

    def renew_if_due(self) -> None:
        """Cheap to call per batch: writes only once a minute."""
        if time.monotonic() - self._renewed_at < LEASE_SECONDS / 5:
            return
        with self._db.atomic() as conn:
            config_tables.claim_lease(conn, LEASE_NAME, self.owner, time.time() + LEASE_SECONDS)
        self._renewed_at = time.monotonic()


@contextlib.contextmanager
def single_flight(db: Database) -> Iterator[SyncLease | None]:
    """Yield a lease, or None when another sync holds it (the caller reports "already running")."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"
    with db.atomic() as conn:
        holder = config_tables.lease_holder(conn, LEASE_NAME)
        if holder is not None and _alive(holder["owner"], holder["expires_at"]):
            claimed = False
        else:
            config_tables.claim_lease(conn, LEASE_NAME, owner, time.time() + LEASE_SECONDS)
            claimed = True
    if not claimed:
        yield None
        return
    try:
        yield SyncLease(db, owner)
    finally:
        with db.atomic() as conn:
            config_tables.drop_lease(conn, LEASE_NAME, owner)


def _alive(owner: str, expires_at: float) -> bool:
    if expires_at < time.time():
        return False
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
