"""The schema's linear migrations (`migrations.py`), applied.

The schema version lives in `PRAGMA user_version` (as in KOReader's statistics plugin),
and each migration sets it inside the same `BEGIN IMMEDIATE` transaction as its own
statements: a crash or an error mid-migration leaves both the tables and the version as
they were, so the migration simply runs again next time. Before migrating a database that
already holds data, a backup copy is written beside it. A database from a newer version of
the plugin is refused rather than guessed at.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

from python_core.errors import StoreError
from python_core.store.connect import connect
from python_core.store.migrations import LATEST_VERSION, MIGRATIONS, Migration
from python_core.store.transaction import transaction

log = logging.getLogger("booklore_sync.store")


def migrate(conn: sqlite3.Connection, path: Path, backup: bool = True) -> None:
    """Bring the database at `path` to LATEST_VERSION, one transaction per migration
    (after a backup copy, unless the file is new or `backup` is off)."""
    version = _version(conn)
    if version > LATEST_VERSION:
        raise newer_schema(path, version)
    if backup and 0 < version < LATEST_VERSION:
        _backup(conn, path, version)
    build_to(conn, LATEST_VERSION)


def build_to(conn: sqlite3.Connection, version: int) -> None:
    """Apply the migrations up to `version` (the repair rebuilds a damaged database at its
    own schema version first, so its rows go in as they were written). A new file gets
    them all in one transaction: one fsync instead of one per migration (the first start
    of the plugin waits for it)."""
    if _version(conn) == 0:
        _build_new(conn, version)
    for number in range(_version(conn) + 1, version + 1):
        _apply(conn, number)


def _build_new(conn: sqlite3.Connection, version: int) -> None:
    with transaction(conn):
        if _version(conn) != 0:  # another process built it while we waited
            return
        for number in range(1, version + 1):
            _run(conn, MIGRATIONS[number - 1])
        conn.execute(f"PRAGMA user_version = {int(version)}")
    log.info("new database built at schema %d", version)


def newer_schema(path: Path, version: int) -> StoreError:
    return StoreError(f"{path.name} was written by a newer BookLore Sync (schema {version}, "
                      f"this version knows {LATEST_VERSION}); update the plugin")


def _version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


version_of = _version


def _apply(conn: sqlite3.Connection, number: int) -> None:
    migration = MIGRATIONS[number - 1]
    with transaction(conn):
        if _version(conn) >= number:  # another process migrated while we waited
            return
        _run(conn, migration)
        conn.execute(f"PRAGMA user_version = {int(number)}")
    log.info("database migrated to schema %d (%s)", number, migration.name)


def _run(conn: sqlite3.Connection, migration: Migration) -> None:
    if callable(migration.steps):
        migration.steps(conn)
    else:
        for statement in migration.steps:
            conn.execute(statement)


def _backup(conn: sqlite3.Connection, path: Path, version: int) -> None:
    target = path.with_name(f"{path.name}.bkp.v{version}")
    # Owner-only before the first byte of the copy (it holds passwords), not after.
    os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o600))
    target.chmod(0o600)
    with connect(target) as copy:
        conn.backup(copy)
    copy.close()
    target.chmod(0o600)
