"""Taking over a database file that is not ours: a byte-for-byte copy kept under a clear
name, a scratch copy to read from, and our new file put in its place with one rename.

The steps are ordered so that a crash or a full disk at any point loses nothing and the
next start simply tries again:

1. keep: the file (and a non-empty `-journal` or `-wal` beside it, which may hold the last
   transaction) is copied to `booklore-sync.previous-plugin.sqlite`, fsynced, then renamed
   into place. An identical copy left by an interrupted attempt is reused; a different one
   (a reader who switched back and forth) is never overwritten: a numbered name is used.
2. read: the kept copy is read as of its last commit (`sqlite_snapshot`): a hot journal
   is rolled back in a temporary copy, never in either file.
3. build: our schema and the adopted rows go into `booklore-sync.sqlite.adopting` with a
   rollback journal (so the finished file is one file), in one transaction, fsynced.
4. swap: the original's non-empty journals are removed (their bytes are in the kept copy;
   left there they would be applied to our file), then `os.replace` puts the new file in
   place: the original is either all there (and step 1 finds its identical copy) or
   replaced.
"""

from __future__ import annotations

import contextlib
import filecmp
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from python_core.store import schema
from python_core.store.connect import connect
from python_core.store.sqlite_snapshot import holds_data, open_snapshot
from python_core.store.transaction import transaction

KEPT_STEM = "booklore-sync.previous-plugin"
JOURNALS = ("-journal", "-wal")
COMPANIONS = ("-journal", "-wal", "-shm")

try:  # not on Windows, where the CLI may run; there two first starts at once are not guarded
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Only one process adopts a file at a time (the plugin and the CLI may start together)."""
    lock_path = path.with_name(path.name + ".adopting.lock")
    fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            lock_path.unlink()


def keep_copy(path: Path, stem: str = KEPT_STEM) -> Path:
    """Step 1: the byte-for-byte copy of `path` (with its journals) under the kept name
    (`stem`.sqlite; the repair keeps a damaged file under a dated stem)."""
    for number in range(1, 1000):
        kept = path.with_name(f"{stem}{'' if number == 1 else f'-{number}'}.sqlite")
        if not kept.exists():
            _copy_set(path, kept)
            return kept
        if _same_set(path, kept):
            return kept
    raise OSError(f"too many kept copies of {path.name} beside it")


def scratch_copy(kept: Path):
    """Step 2: a connection to the kept file as of its last commit (a journal left by a
    crash is rolled back in a throw-away copy, never in the kept one)."""
    return open_snapshot(kept)


def replace_with_new(path: Path, fill: Callable[[sqlite3.Connection], None],
                     version: int | None = None) -> None:
    """Steps 3 and 4: our schema plus what `fill` writes (one transaction), then the swap.
    With `version`, `fill` runs on the schema of that version and the migrations after it
    run on what it wrote (the repair puts rows back as they were written)."""
    new = path.with_name(path.name + ".adopting")
    _remove_set(new)
    try:
        _build(new, fill, schema.LATEST_VERSION if version is None else version)
        for suffix in COMPANIONS:  # a journal beside our file would be applied to it
            companion = Path(f"{path}{suffix}")
            if suffix == "-shm" or _present(companion):
                with contextlib.suppress(FileNotFoundError):
                    companion.unlink()
        os.replace(new, path)
    except BaseException:
        _remove_set(new)
        raise
    _fsync_folder(path.parent)


def _build(new: Path, fill: Callable[[sqlite3.Connection], None], version: int) -> None:
    os.close(os.open(new, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600))
    conn = connect(new, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=DELETE").fetchall()  # read it: PyPy keeps an unread statement open
        schema.build_to(conn, version)
        with transaction(conn):
            fill(conn)
        schema.migrate(conn, new, backup=False)
    finally:
        conn.close()
    _fsync(new)


def _copy_set(source: Path, kept: Path) -> None:
    """Journals first, the main file last: a kept main file always has its journals."""
    for suffix in (*JOURNALS, ""):
        original = Path(f"{source}{suffix}")
        if not _present(original):
            continue
        partial = Path(f"{kept}{suffix}.partial")
        os.close(os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600))
        shutil.copyfile(original, partial)
        shutil.copystat(original, partial)
        partial.chmod(0o600)
        _fsync(partial)
        os.replace(partial, f"{kept}{suffix}")
    _fsync_folder(kept.parent)


def _same_set(source: Path, kept: Path) -> bool:
    return filecmp.cmp(source, kept, shallow=False)


_present = holds_data


def _remove_set(path: Path) -> None:
    for suffix in ("", *COMPANIONS):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{path}{suffix}")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):  # folders cannot be opened for fsync on Windows
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
