"""What a failure of the database or its folder means, in one sentence for the reader.

SQLite and the file system report trouble as `sqlite3.DatabaseError` and `OSError` with
terse texts ("file is not a database", "database disk image is malformed", "database is
locked", "Not a directory"). `explain` turns them into the store's own errors
(python_core/errors.py), each saying what is wrong, which file, and what to do, so no
caller above the store ever sees a SQLite exception or shows a traceback.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from python_core.errors import (
    DamagedDatabase,
    DatabaseUnusable,
    SettingsFolderError,
    StoreBusy,
    StoreError,
)

#: The first 16 bytes of every SQLite database file.
SQLITE_HEADER = b"SQLite format 3\x00"

REPAIR = ("Repair it with Settings → Repair database in the plugin, or “booklore-sync "
          "doctor” on a computer: what can be read is saved into a new database and the "
          "damaged file is kept beside it")
_DAMAGE_WORDS = ("malformed", "not a database", "disk image", "corrupt", "encrypted")


def damaged(path: Path, detail: str) -> DamagedDatabase:
    return DamagedDatabase(f"The database {path} is damaged ({detail}); it was left as it "
                           f"is. {REPAIR}")


def explain(exc: BaseException, path: Path) -> StoreError | None:
    """The store error `exc` means for the database at `path`, or None if it is not one
    (a bug: the caller reports it as an internal error)."""
    if isinstance(exc, StoreError):
        return exc
    if isinstance(exc, OSError):
        return folder_problem(exc, path.parent)
    if not isinstance(exc, sqlite3.DatabaseError) or isinstance(
            exc, (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError)):
        return None
    text = str(exc)
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        return StoreBusy(f"The database {path} is in use by another program ({text}); "
                         "try again in a moment")
    if "full" in lowered:
        return SettingsFolderError(f"The storage holding {path.parent} is full ({text}); "
                                   "free some space, then try again")
    if "readonly" in lowered or "read-only" in lowered or "unable to open" in lowered:
        return _not_writable(path, text)
    if "i/o" in lowered:
        return DamagedDatabase(f"The database {path} could not be read from the storage "
                               f"({text}); it was left as it is. {REPAIR}")
    if type(exc) is sqlite3.DatabaseError or any(word in lowered for word in _DAMAGE_WORDS):
        return damaged(path, text)
    return None


def _not_writable(path: Path, text: str) -> DatabaseUnusable:
    folder = path.parent
    if folder.is_dir() and os.access(folder, os.W_OK):
        return DatabaseUnusable(f"The database {path} cannot be written ({text}); it was left as "
                          "it is. Check its permissions, or move it away to start a new one")
    return SettingsFolderError(f"The settings folder {folder} cannot be written ({text}); "
                               "check that it exists and is writable")


def folder_problem(exc: OSError, folder: Path) -> SettingsFolderError:
    """An OSError while creating or writing the settings folder, as one sentence."""
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        in_the_way = _file_on_the_way(folder)
        what = (f"{folder} is a file, not a folder" if in_the_way == folder
                else f"{in_the_way} is a file, so {folder} cannot be a folder")
    elif isinstance(exc, PermissionError):
        what = f"{folder} cannot be created or written (permission denied)"
    elif exc.errno == errno.ENOSPC:
        what = f"the storage holding {folder} is full"
    elif exc.errno == errno.EROFS:
        what = f"{folder} is on a read-only file system"
    else:
        what = f"{folder} cannot be used ({exc.strerror or exc})"
    return SettingsFolderError(f"The settings folder cannot be used: {what}. BookLore Sync "
                               "keeps its database in KOReader's settings folder; check that "
                               "folder (or --settings-dir)")


def _file_on_the_way(folder: Path) -> Path:
    """The nearest of `folder` and its parents that exists and is not a folder."""
    for parent in (folder, *folder.parents):
        if parent.exists() and not parent.is_dir():
            return parent
    return folder


def integrity_problems(conn: sqlite3.Connection, limit: int = 20,
                       quick: bool = False) -> list[str]:
    """`PRAGMA integrity_check`'s findings (empty when the file is sound); a file too
    damaged to be checked at all is one finding. `quick`: quick_check, which skips
    comparing indexes with their tables (what a salvage rebuilds anyway)."""
    pragma = "quick_check" if quick else "integrity_check"
    try:
        rows = [row[0] for row in conn.execute(f"PRAGMA {pragma}({int(limit)})")]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    return [] if rows == ["ok"] else rows


def looks_like_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def summary_of(problems: list[str]) -> str:
    """The integrity check's findings as a short phrase: the first, and how many more."""
    lines = [line.strip() for problem in problems for line in problem.splitlines()
             if line.strip() and not line.startswith("***")]
    if not lines:
        return "the integrity check failed"
    more = f" and {len(lines) - 1} more problem{'s' if len(lines) > 2 else ''}" \
        if len(lines) > 1 else ""
    return lines[0] + more
