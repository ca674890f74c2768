"""Damaged databases and unusable settings folders, made the ways they happen: a file cut
short by a power cut, pages overwritten or zeroed by a failing card, a file that never was
a database, a folder where the file should be, a settings path that is a file.

`populated` writes a real database of ours through the facade; every damage is applied to
the bytes of a copy, so each test starts from the same file.
"""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

from python_core.facade import BookLoreSync
from python_core.store import DB_FILENAME

T0 = 1_767_225_600
PAGE = 4096
SESSIONS = 1500


def session(n: int, book_id: int | None = None) -> dict:
    return {"book_hash": f"{n % 40:032x}", "book_id": book_id or n % 40 + 1,
            "book_type": "EPUB", "start_time": T0 + n * 3600, "end_time": T0 + n * 3600 + 600,
            "pages_read": 5, "title": f"Book {n % 40} " + "x" * 120}


def populated(folder: Path, sessions: int = SESSIONS) -> bytes:
    """A database of ours with settings and `sessions` queued sessions; its bytes."""
    with BookLoreSync(folder) as core:
        for key, value in {"server_url": "http://127.0.0.1:9", "username": "reader-ko",
                           "password": "012345", "min_pages": 7}.items():
            assert core.set_setting(key, value)["ok"]
        for n in range(sessions):
            assert core.record_session(session(n))["saved"]
    return (folder / DB_FILENAME).read_bytes()


def _overwrite(data: bytes, start_page: int, pages: int, filler: bytes | None) -> bytes:
    cut = slice(start_page * PAGE, (start_page + pages) * PAGE)
    replacement = filler * pages if filler is not None else random.Random(start_page).randbytes(
        pages * PAGE)
    return data[:cut.start] + replacement + data[cut.stop:]


#: name → what to do with the bytes of a populated database.
FILE_DAMAGE = {
    "truncated to half": lambda data: data[: len(data) // 2],
    "truncated to one page": lambda data: data[:PAGE],
    "truncated mid-page": lambda data: data[: PAGE * 3 + 100],
    "garbage after the header page": lambda data: _overwrite(data, 1, len(data) // PAGE - 1,
                                                              None),
    "random bytes, no header": lambda data: random.Random(1).randbytes(len(data)),
    "a text file": lambda data: b"these are my notes, not a database\n" * 50,
}
#: Damage in the middle: the file opens, and the first read of the broken pages fails.
MID_FILE_DAMAGE = {
    "pages overwritten in the middle": lambda data: _overwrite(data, len(data) // PAGE // 2, 3,
                                                                None),
    "a page zeroed in the middle": lambda data: _overwrite(data, len(data) // PAGE // 3, 1,
                                                           bytes(PAGE)),
}


def write_damaged(folder: Path, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / DB_FILENAME
    path.write_bytes(data)
    return path


def fingerprint(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file in the folder: (content digest, mtime). Equal before and after = untouched."""
    found = {}
    for entry in sorted(folder.iterdir()):
        if entry.is_file():
            found[entry.name] = (hashlib.sha256(entry.read_bytes()).hexdigest(),
                                 entry.stat().st_mtime_ns)
        else:
            found[entry.name] = ("folder", entry.stat().st_mtime_ns)
    return found


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0
