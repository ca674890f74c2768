"""KOReader's own files, built in its real formats: `statistics.sqlite3` with the schema the
statistics plugin creates (koreader-host.md §9, `DB_SCHEMA_VERSION` 20221111), and book
sidecars written by LuaJIT's `%q` through the headless host's `dump.lua` (the format of
DocSettings, §14), in any of KOReader's three sidecar locations."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import lupa.luajit21 as lupa

from tools.koreader_files import SCHEMA_VERSION, STATISTICS_SCHEMA, add_book, statistics_db

__all__ = ["SCHEMA_VERSION", "STATISTICS_SCHEMA", "add_book", "statistics_db", "read",
           "copy_with_wal", "write_sidecar"]

def read(conn: sqlite3.Connection, book: int, start: int, pages: list[int],
         seconds: int = 60, total: int = 300) -> int:
    """Visits of `pages` one after another, `seconds` each, from `start`; returns the end."""
    at = start
    for page in pages:
        conn.execute("INSERT INTO page_stat_data VALUES (?, ?, ?, ?, ?)",
                     (book, page, at, seconds, total))
        at += seconds
    return at


def copy_with_wal(conn: sqlite3.Connection, source: Path, target: Path) -> None:
    """Copy a WAL-mode file as a mounted reader leaves it: recent commits only in `-wal`."""
    conn.commit()
    shutil.copyfile(f"{source}-wal", f"{target}-wal")
    shutil.copyfile(source, target)


_LUA = lupa.LuaRuntime(unpack_returned_tuples=True)
_DUMP = _LUA.execute((Path(__file__).parent.parent / "bridge" / "lua" / "dump.lua").read_text())


def lua_value(value):
    if isinstance(value, dict):
        table = _LUA.table()
        for key, item in value.items():
            table[key] = lua_value(item)
        return table
    if isinstance(value, (list, tuple)):
        return lua_value({index + 1: item for index, item in enumerate(value)})
    return value


def write_sidecar(sdr: Path, extension: str, data: dict, device_path: str) -> Path:
    """`metadata.<ext>.lua` as DocSettings writes it: a comment line, then `return <dump>`."""
    sdr.mkdir(parents=True, exist_ok=True)
    path = sdr / f"metadata.{extension}.lua"
    path.write_text(f"-- {device_path}\nreturn {_DUMP(lua_value(data))}\n", encoding="utf-8")
    return path
