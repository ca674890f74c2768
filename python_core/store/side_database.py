"""The side database: where reading goes on being recorded while the real one is unusable.

When `booklore-sync.sqlite` turns out to be damaged (or is not ours, or is a folder), the
plugin must neither lose the reading that follows nor write to that file. It records into
`booklore-sync.side.sqlite` beside it instead: a database of ours like any other, seeded
with whatever settings, logins and book matches can still be read from the damaged file,
so syncing goes on too. As long as the side file exists the real one is not used; the
repair (`repair.py`) moves the side file's rows into the repaired database and removes it.

Moving rows in follows natural keys, never the side file's row ids (the repaired database
has its own): a session already in the history is not queued again, the newer rating or
setting wins, and a batch marked as being sent keeps pointing at the same sessions.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from pathlib import Path

from python_core.store import notices, salvage
from python_core.store.connect import connect
from python_core.store.db import DB_FILENAME, Database

SIDE_FILENAME = "booklore-sync.side.sqlite"
NOTICE_TOPIC = "damaged_database"
#: What the side file starts with, read from the damaged one where it can be.
SEEDED_TABLES = ("settings", "auth_tokens", "server_capabilities", "book_cache")
#: Tables whose rows from the side file win over the repaired file's on a clash of their
#: natural key (given): the row is updated in place, so it keeps its id. Never
#: delete-and-insert (`INSERT OR REPLACE`): a new id orphans what refers to the old one
#: (lessons.md #2). tests/reliability/test_damaged_plugin.py checks each key is the
#: table's one natural key in the schema.
NEWER_WINS = {
    "settings": ("key",), "auth_tokens": ("account",), "server_capabilities": ("server_url",),
    "open_session": ("slot",), "book_cache": ("file_path",), "pending_ratings": ("book_hash",),
    "uploaded_ratings": ("book_hash",),
    "pending_annotations": ("book_hash", "created", "kind"),
    "uploaded_annotations": ("book_hash", "created", "kind"),
}
#: Tables whose side rows are merged only where the repaired file has none.
KEEP_FIRST = ("historical_sessions", "no_match_told", "notices")
_NOT_MERGED = ("sync_lease", "pending_sessions", "sending_batches")

KNOWN_PENDING = "SELECT id FROM pending_sessions WHERE book_hash = ? AND start_time = ?"
IN_HISTORY = "SELECT 1 FROM historical_sessions WHERE book_hash = ? AND start_time = ?"


def path_in(folder: Path) -> Path:
    return Path(folder) / SIDE_FILENAME


def in_use(folder: Path) -> bool:
    """True while the side file holds the reading (until a repair moved it in)."""
    return path_in(folder).is_file()


def open_side(folder: Path, why: str, now: str) -> Database:
    """The side database, created and seeded on first use; the reader is told once."""
    path = path_in(folder)
    new = not path.exists()
    side = Database(path)
    if new:
        _seed(side, Path(folder) / DB_FILENAME)
    with side.atomic() as tx:
        notices.add_notice(tx, NOTICE_TOPIC, notice_text(why), now)
    return side


def notice_text(why: str) -> str:
    return (f"{why}\n\nUntil then BookLore Sync records your reading into {SIDE_FILENAME} "
            "beside it, so nothing read from now on is lost, and the repair takes it over.")


def _seed(side: Database, damaged: Path) -> None:
    """Best effort, from a copy (the damaged file is only read): whatever cannot be read
    is simply not seeded."""
    if not damaged.is_file():
        return
    with contextlib.suppress(OSError, sqlite3.Error), salvage.readable_copy(damaged) as source:
        with side.atomic() as tx:
            for table in SEEDED_TABLES:
                salvage.copy_table(source, tx, table)


def merge_into(side_path: Path, target: sqlite3.Connection) -> dict[str, int]:
    """Every row of the side file into `target` (the caller's transaction): how many rows
    of each table went in."""
    source = connect(side_path)
    source.row_factory = sqlite3.Row
    try:
        moved = {"pending_sessions": 0}
        new_ids = _merge_pending_sessions(source, target, moved)
        _merge_markers(source, target, new_ids)
        for table in salvage.our_tables(source):
            if table in _NOT_MERGED or table not in salvage.our_tables(target):
                continue
            moved[table] = _merge_table(source, target, table)
    finally:
        source.close()
    return {table: n for table, n in moved.items() if n}


def _merge_table(source: sqlite3.Connection, target: sqlite3.Connection, table: str) -> int:
    wanted = [name for name in salvage.columns(source, table)
              if name != "id" and name in salvage.columns(target, table)]
    insert = _merging_insert(table, wanted)
    moved = 0
    for row in source.execute(f"SELECT {salvage.names(wanted)} FROM {salvage.quoted(table)}"):
        if table == "notices" and row["topic"] == NOTICE_TOPIC:
            continue  # about the damage the repair is ending
        moved += target.execute(insert, tuple(row)).rowcount
    return moved


def _merging_insert(table: str, columns: list[str]) -> str:
    """The side row goes in; on a clash, the side wins in place (NEWER_WINS) or the
    repaired file's row stays (every other table)."""
    key = NEWER_WINS.get(table)
    values = ", ".join("?" for _ in columns)
    insert = (f"{'INSERT' if key else 'INSERT OR IGNORE'} INTO {salvage.quoted(table)} "
              f"({salvage.names(columns)}) VALUES ({values})")
    if key is None:
        return insert
    updates = ", ".join(f"{salvage.quoted(name)} = excluded.{salvage.quoted(name)}"
                        for name in columns if name not in key)
    action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    return f"{insert} ON CONFLICT ({salvage.names(list(key))}) {action}"


def _merge_pending_sessions(source, target, moved: dict[str, int]) -> dict[int, int]:
    """Queued sessions, unless the repaired file already uploaded them; side id → new id."""
    wanted = [name for name in salvage.columns(source, "pending_sessions") if name != "id"]
    insert = (f"INSERT OR IGNORE INTO pending_sessions ({salvage.names(wanted)}) "
              f"VALUES ({', '.join('?' for _ in wanted)})")
    new_ids = {}
    for row in source.execute(f"SELECT id, {salvage.names(wanted)} FROM pending_sessions"):
        key = (row["book_hash"], row["start_time"])
        if target.execute(IN_HISTORY, key).fetchone() is not None:
            continue
        moved["pending_sessions"] += target.execute(insert, tuple(row)[1:]).rowcount
        found = target.execute(KNOWN_PENDING, key).fetchone()
        if found is not None:
            new_ids[row["id"]] = found[0]
    return new_ids


def _merge_markers(source, target, new_ids: dict[int, int]) -> None:
    """A batch the side file marked as being sent: the same sessions, under their new ids,
    so the next sync still counts them as possibly uploaded."""
    for session_ids, started_at in source.execute(
            "SELECT session_ids, started_at FROM sending_batches"):
        ids = [new_ids[i] for i in json.loads(session_ids) if i in new_ids]
        if ids:
            target.execute("INSERT OR IGNORE INTO sending_batches (session_ids, started_at) "
                           "VALUES (?, ?)", (json.dumps(ids), started_at))


def remove(folder: Path) -> None:
    """Delete the side file and its journals (after its rows are safely elsewhere)."""
    path = path_in(folder)
    for suffix in ("-wal", "-shm", "-journal", ""):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{path}{suffix}")
