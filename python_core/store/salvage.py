"""Reading every row that can still be read out of a damaged database, and moving rows
from one of our databases into another.

A damaged page stops a plain `SELECT *` at the first row it holds, and everything after
it in the table looks lost. The rows are read in rowid order instead, one cursor at a
time; when a read fails, the next readable rowid is found by seeking (a seek goes down
the b-tree by other pages, so it can get past a broken leaf), and only the rowids in
between are reported as unreadable. Rows that can be read but break the schema's rules
(a CHECK, a NOT NULL) are counted as rejected, never forced in.

Table and column names come from our own schema (`sqlite_master`, `PRAGMA table_info`),
never from the damaged file alone, and every value is bound.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from python_core.store.connect import streaming

#: Not worth saving: who holds the sync lease is only true while that sync runs.
SKIPPED_TABLES = ("sync_lease",)
_FIRST = -(2 ** 63)
_LAST = 2 ** 63 - 1


class TableSalvage:
    """What the salvage of one table gave (a plain class: dataclasses stays off the
    plugin's start, which imports this module through the side database)."""

    def __init__(self) -> None:
        self.saved = 0
        self.rejected = 0
        #: (after, before): rowids strictly between them could not be read; None = to the end.
        self.unreadable: list[tuple[int, int | None]] = []
        #: The table itself could not be found or read at all.
        self.missing = False


def readable_copy(path: Path):
    """A connection to a throw-away copy of a damaged file and its journals: SQLite may
    replay a `-wal` or roll back a hot journal in the copy, never in the file itself, and
    a copy cut short is padded so what is left can be reached."""
    from python_core.store.sqlite_snapshot import open_snapshot  # tempfile: not at every start
    return open_snapshot(path, damaged=True)


def our_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                        "AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall()
    return [row[0] for row in rows if row[0] not in SKIPPED_TABLES]


def columns(conn: sqlite3.Connection, table: str) -> list[str]:
    # PRAGMA arguments cannot be bound; `table` comes from our own sqlite_master.
    return [row[1] for row in conn.execute(f"PRAGMA table_info({quoted(table)})")]


def copy_table(source: sqlite3.Connection, target: sqlite3.Connection,
               table: str) -> TableSalvage:
    """Every readable row of `table` in `source` into the same table of `target` (the
    caller's transaction), with its rowid, so ids that other rows name stay right."""
    result = TableSalvage()
    try:
        wanted = [name for name in columns(target, table) if name in columns(source, table)]
    except sqlite3.DatabaseError:
        wanted = []
    if not wanted:
        result.missing = True
        return result
    insert = (f"INSERT OR IGNORE INTO {quoted(table)} (rowid, {names(wanted)}) "
              f"VALUES (?, {', '.join('?' for _ in wanted)})")
    for row in readable_rows(source, table, wanted, result):
        if all(value is None for value in tuple(row)[1:]):
            continue  # an empty cell on a page the damage rewrote: no row was ever there
        try:
            inserted = target.execute(insert, tuple(row)).rowcount
        except sqlite3.IntegrityError:
            inserted = 0
        if inserted:
            result.saved += 1
        else:  # breaks a rule of the schema, or repeats a row already saved
            result.rejected += 1
    return result


def readable_rows(conn: sqlite3.Connection, table: str, wanted: list[str],
                  result: TableSalvage) -> Iterator[sqlite3.Row]:
    """(rowid, *wanted) of every row that can be read, in rowid order; the gaps go to
    `result.unreadable`.

    A scan is the fast way, but it reads one row ahead, so when it breaks, the row before
    the break is lost with it; after every break the next whole row is therefore found
    and read on its own, and the scan goes on after it."""
    select = (f"SELECT rowid, {names(wanted)} FROM {quoted(table)} WHERE rowid > ? "
              "ORDER BY rowid")
    last = _FIRST
    while True:
        try:
            with streaming(conn, select, (last,)) as rows:
                for row in rows:
                    last = row[0]
                    yield row
            return
        except sqlite3.DatabaseError:
            found = _next_whole_row(conn, table, wanted, last)
            following = None if found is None else found[0]
            if following is None or following - last > 1:
                result.unreadable.append((last, following))
            if found is None:
                return
            last = following
            yield found


def _next_whole_row(conn: sqlite3.Connection, table: str, wanted: list[str],
                    after: int) -> sqlite3.Row | None:
    """The first row above rowid `after` that can be reached and read as a whole."""
    one = f"SELECT rowid, {names(wanted)} FROM {quoted(table)} WHERE rowid = ?"
    while True:
        found = _next_readable(conn, table, after)
        if found is None:
            return None
        try:
            row = conn.execute(one, (found,)).fetchone()
        except sqlite3.DatabaseError:
            after = found
            continue
        if row is not None:
            return row
        after = found


def _next_readable(conn: sqlite3.Connection, table: str, after: int) -> int | None:
    """The first rowid above `after` that a seek reaches, found by widening steps and then
    narrowed down, so few readable rows are given up for the broken ones."""
    seek = f"SELECT rowid FROM {quoted(table)} WHERE rowid >= ? ORDER BY rowid LIMIT 1"

    def reach(start: int) -> int | None | bool:  # rowid, None (nothing above), False (broken)
        try:
            row = conn.execute(seek, (start,)).fetchone()
        except sqlite3.DatabaseError:
            return False
        return None if row is None else row[0]

    if after >= _LAST:
        return None
    found = reach(after + 1)
    if found is not False:
        return found
    step = 1
    while found is False:
        if after + 1 + step > _LAST:
            return None
        found = reach(after + 1 + step)
        if found is False:
            step *= 2
    if found is None:
        return None
    # narrow: the lowest start that still seeks past the damage
    broken, start, good = after + 1, after + 1 + step, found
    while start - broken > 1:
        middle = (broken + start) // 2
        reached = reach(middle)
        if reached is False:
            broken = middle
        else:
            start, good = middle, reached if reached is not None else good
    return good


def names(columns: list[str]) -> str:
    return ", ".join(quoted(name) for name in columns)


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
