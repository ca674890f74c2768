"""`booklore-sync doctor` and Settings → Repair database: check the database and, when it
is damaged, put every row that can still be read into a new one.

The damaged file is never written to. It is copied byte for byte (with its journals) to
`booklore-sync.damaged-<date>.sqlite` beside it, and everything is read from a second,
throw-away copy. The rows go into a new file built at the damaged file's own schema
version (so the migrations that come after it run on them as they would have), followed
by what the side database recorded meanwhile (`side_database.py`); the new file replaces
the damaged one with one rename (adoption_file.py: a crash at any step leaves either the
old file or the new one in place, and the next repair simply runs again). Only then is the
side file removed.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from python_core.errors import StoreError
from python_core.store import adoption_file, file_kind, health, salvage, schema
from python_core.store import side_database as side
from python_core.store.db import DB_FILENAME, Database

HEALTHY, REPAIRED, NOTHING, NEEDS_REPAIR = "healthy", "repaired", "nothing", "needs_repair"
DAMAGED_STEM = "booklore-sync.damaged-{stamp}"


@dataclass
class Outcome:
    state: str
    problems: list[str] = field(default_factory=list)
    salvaged: dict[str, salvage.TableSalvage] = field(default_factory=dict)
    from_side: dict[str, int] = field(default_factory=dict)
    kept: str | None = None
    #: A side file holds reading not yet taken in (a check without repair leaves it).
    side_waiting: bool = False


def check(folder: Path, repair: bool = True, now: datetime | None = None) -> Outcome:
    """Check the database in `folder`; with `repair`, also repair it (and take in the side
    file). StoreError for what only the reader can fix (a newer plugin's file)."""
    main = Path(folder) / DB_FILENAME
    with adoption_file.exclusive(main):
        problems = _problems(main)
        if not problems and not main.exists() and not side.in_use(folder):
            return Outcome(NOTHING)
        if not problems:
            return _healthy(folder, main, repair)
        if not repair:
            return Outcome(NEEDS_REPAIR, problems, side_waiting=side.in_use(folder))
        return _rebuild(folder, main, problems, now or datetime.now())


def _problems(main: Path) -> list[str]:
    """What is wrong with the file at `main`; empty when it is a sound database of ours."""
    if main.is_dir():
        return [f"{main.name} is a folder, not a database file"]
    found = file_kind.recognise(main)
    if found.kind == file_kind.NEW:
        return []
    if found.kind == file_kind.PREVIOUS_PLUGIN:
        raise StoreError(f"{main} is the previous BookLore plugin's database: open BookLore "
                         "Sync once (plugin or command line) to take it over")
    if found.kind == file_kind.UNKNOWN:
        return [f"{main.name} is not a BookLore Sync database ({found.detail})"]
    if found.kind == file_kind.DAMAGED:
        return [found.detail or "it cannot be read"]
    with salvage.readable_copy(main) as copy:
        version = _version(copy)
        if version is not None and version > schema.LATEST_VERSION:
            raise schema.newer_schema(main, version)
        return health.integrity_problems(copy)


def _healthy(folder: Path, main: Path, repair: bool) -> Outcome:
    """A sound file; a side file left beside it (a repair interrupted just before its last
    step, or a file put back by hand) is taken in."""
    outcome = Outcome(HEALTHY, side_waiting=side.in_use(folder))
    if repair:
        _take_side(folder, main, outcome)
    return outcome


def _rebuild(folder: Path, main: Path, problems: list[str], now: datetime) -> Outcome:
    outcome = Outcome(REPAIRED, problems)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    with _readable(main) as source:
        version = _version(source) if source is not None else None
        if version is None or version > schema.LATEST_VERSION:
            version = schema.LATEST_VERSION
        outcome.kept = _keep(main, DAMAGED_STEM.format(stamp=stamp))

        def fill(conn: sqlite3.Connection) -> None:
            if source is not None:
                for table in salvage.our_tables(conn):
                    outcome.salvaged[table] = salvage.copy_table(source, conn, table)

        adoption_file.replace_with_new(main, fill, version)
    _take_side(folder, main, outcome)
    return outcome


def _take_side(folder: Path, main: Path, outcome: Outcome) -> None:
    """The side file's rows into the (sound or rebuilt) file at `main`, then the side file
    goes: a crash in between leaves it, and the next repair takes it in again without
    doubling anything (natural keys)."""
    if not side.in_use(folder):
        return
    with Database(main) as db, db.atomic() as tx:
        outcome.from_side = side.merge_into(side.path_in(folder), tx)
    side.remove(folder)
    outcome.side_waiting = False


@contextlib.contextmanager
def _readable(main: Path):
    """A copy of `main` to read rows from, or None when it is no SQLite file at all."""
    if not (main.is_file() and health.looks_like_sqlite(main)):
        yield None
        return
    with salvage.readable_copy(main) as copy:
        yield copy


def _keep(main: Path, stem: str) -> str | None:
    """The damaged file (or folder) kept beside the new one, under a dated name."""
    if main.is_dir():
        kept = main.with_name(f"{stem}.sqlite")
        main.rename(kept)
        return kept.name
    if not main.exists():
        return None
    return adoption_file.keep_copy(main, stem).name


def _version(conn: sqlite3.Connection) -> int | None:
    try:
        return schema.version_of(conn)
    except sqlite3.DatabaseError:
        return None


#: What a row of each table is, in the reader's words (one, many), in the summary's order.
TABLE_WORDS = {
    "pending_sessions": ("reading session waiting to upload",
                         "reading sessions waiting to upload"),
    "historical_sessions": ("uploaded reading session", "uploaded reading sessions"),
    "pending_ratings": ("rating waiting to upload", "ratings waiting to upload"),
    "pending_annotations": ("highlight or note waiting to upload",
                            "highlights and notes waiting to upload"),
    "uploaded_ratings": ("uploaded rating", "uploaded ratings"),
    "uploaded_annotations": ("uploaded highlight or note", "uploaded highlights and notes"),
    "book_cache": ("book match", "book matches"),
    "settings": ("setting", "settings"),
    "auth_tokens": ("saved login", "saved logins"),
}


def describe(outcome: Outcome) -> str:
    """The report of a check or a repair: what was wrong, what was saved, what was not."""
    if outcome.state == NOTHING:
        return "There is no database yet: nothing to check."
    if outcome.state == HEALTHY:
        lines = [f"{DB_FILENAME} is sound (integrity check: ok)."]
        if outcome.from_side:
            lines.append("Taken in from the side database: " + _counts(outcome.from_side) + ".")
        elif outcome.side_waiting:
            lines.append(f"{side.SIDE_FILENAME} holds reading recorded meanwhile; repair to "
                         "take it in.")
        return "\n".join(lines)
    found = health.summary_of(outcome.problems)
    if outcome.state == NEEDS_REPAIR:
        return (f"{DB_FILENAME} is damaged: {found}.\nNothing was changed. Run "
                "“booklore-sync doctor” without --check (or Settings → Repair database in "
                "the plugin) to save what can be read into a new database; the damaged file "
                "is kept beside it.")
    saved = {table: result.saved for table, result in outcome.salvaged.items()}
    lines = [f"{DB_FILENAME} was damaged: {found}.",
             "Saved into a new database: " + (_counts(saved) or "nothing could be read") + "."]
    lost = [line for table, result in outcome.salvaged.items() for line in _losses(table, result)]
    if not any(saved.values()) and all(r.missing for r in outcome.salvaged.values()):
        lost = ["what it held: not even its list of tables can be read"]
    lines.append("Could not be saved: " + ("; ".join(lost) if lost else "nothing") + ".")
    if outcome.from_side:
        lines.append("Taken in from the side database: " + _counts(outcome.from_side) + ".")
    if outcome.kept:
        lines.append(f"The damaged file is kept beside it as {outcome.kept}.")
    return "\n".join(lines)


def _counts(counts: dict[str, int]) -> str:
    ordered = [table for table in TABLE_WORDS if counts.get(table)]
    return ", ".join(f"{counts[table]} {TABLE_WORDS[table][counts[table] != 1]}"
                     for table in ordered)


def _losses(table: str, result: salvage.TableSalvage) -> list[str]:
    if table not in TABLE_WORDS:
        return []
    words = TABLE_WORDS[table][1]
    found = []
    for after, before in result.unreadable:
        if before is None:
            found.append(f"{words} after number {after}" if after > -(2 ** 62)
                         else f"all {words}")
        elif after < -(2 ** 62):
            found.append(f"{words} before number {before}")
        elif before - after == 2:
            found.append(f"{words} number {after + 1}")
        elif before - after > 2:
            found.append(f"{words} numbered {after + 1}–{before - 1}")
    if result.rejected:
        found.append(f"{result.rejected} {TABLE_WORDS[table][result.rejected != 1]} "
                     "too garbled to keep")
    return found
