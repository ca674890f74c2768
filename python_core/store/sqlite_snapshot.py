"""Reading a SQLite file another program owns (KOReader's statistics, the previous plugin's
database) as of its last commit, without changing it or creating anything beside it.

Without a journal beside it, the file is opened `immutable=1`: no lock, no `-wal`, no
`-shm`, no change to its mtime. With a non-empty `-wal` (KOReader's statistics run in WAL
mode) or `-journal` (a transaction in progress, or one a crash left), `immutable` would
read the main file alone and miss or half-see the latest transactions, so the file and its
journals are copied to a temporary folder and the copy is opened normally: SQLite replays
the WAL, or rolls the journal back, in the copy only.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

from python_core.store.connect import connect

JOURNALS = ("-wal", "-journal")


@contextlib.contextmanager
def open_snapshot(path: Path, damaged: bool = False) -> Iterator[sqlite3.Connection]:
    """`damaged`: always read a copy, padded with empty pages to the length its header
    gives if it was cut short, which lets SQLite open a truncated file and reach the
    pages that are left (the missing ones read as damaged)."""
    journals = [suffix for suffix in JOURNALS if holds_data(Path(f"{path}{suffix}"))]
    if not journals and not damaged:
        conn = connect(f"{path.resolve().as_uri()}?immutable=1", uri=True)
        try:
            yield conn
        finally:
            conn.close()
        return
    with tempfile.TemporaryDirectory(prefix="booklore-sync-read-") as folder:
        copy = Path(folder) / "snapshot.sqlite"
        for suffix in journals:  # journals first: a commit in between only makes them newer
            shutil.copyfile(f"{path}{suffix}", f"{copy}{suffix}")
        shutil.copyfile(path, copy)
        if damaged:
            _pad_to_header_length(copy)
        conn = connect(copy)
        try:
            yield conn
        finally:
            conn.close()


def _pad_to_header_length(copy: Path) -> None:
    with open(copy, "r+b") as handle:
        header = handle.read(100)
        if len(header) < 100:
            return
        page_size = int.from_bytes(header[16:18], "big")
        page_size = 65536 if page_size == 1 else page_size
        wanted = page_size * int.from_bytes(header[28:32], "big")
        size = handle.seek(0, 2)
        if page_size >= 512 and size < wanted <= 64 * size + 2 ** 20:  # not absurd
            handle.truncate(wanted)


def holds_data(path: Path) -> bool:
    """A journal of length 0 (truncated after a commit) holds nothing."""
    try:
        return path.stat().st_size > 0
    except OSError:
        return False
