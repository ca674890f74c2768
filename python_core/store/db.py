"""The SQLite connection: file creation, durability pragmas and the one `atomic()` block.

Every write in BookLore Sync goes through `Database.atomic()`, which starts with
`BEGIN IMMEDIATE` so a transaction that will write takes the write lock up front: a
deferred transaction that reads and then writes fails with SQLITE_BUSY_SNAPSHOT at once,
whatever the busy timeout, when another connection committed in between.

Durability (see docs/DATABASE.md): WAL with `synchronous=FULL`, so every committed
transaction is on disk before COMMIT returns and survives a power cut, at the cost of one
fsync per commit. Where WAL cannot be used (some e-reader file systems) the rollback
journal with FULL gives the same guarantee.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from python_core.errors import StoreError
from python_core.store import file_kind, health, schema
from python_core.store.connect import connect
from python_core.store.transaction import transaction

DB_FILENAME = "booklore-sync.sqlite"
BUSY_TIMEOUT_SECONDS = 5.0

log = logging.getLogger("booklore_sync.store")

Adopt = Callable[[Path], None]


class Database:
    """One database file, one connection per thread.

    Connections are never shared between threads; `check_same_thread` is off only so
    that `close()` may close a worker thread's connection after the worker finished.
    """

    def __init__(self, path: str | os.PathLike, adopt_previous: Adopt | None = None,
                 verify: bool = False):
        """`adopt_previous(path)` replaces the previous BookLore plugin's database at
        `path` with ours (history/previous_plugin.py); without it such a file is refused,
        like any database that is not ours, and left untouched. `verify` reads the whole
        file once first (quick_check) and refuses a damaged one before anything is
        written to it: for the command line, where a few milliseconds do not matter."""
        self.path = Path(path)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._generation = 0
        try:
            _prepare_file(self.path, adopt_previous)
            if verify:
                _verify(self.connection(), self.path)
            schema.migrate(self.connection(), self.path)
        except BaseException as exc:
            self.close()
            problem = health.explain(exc, self.path)
            if problem is None or problem is exc:
                raise
            raise problem from None

    @classmethod
    def in_settings_dir(cls, settings_dir: str | os.PathLike,
                        adopt_previous: Adopt | None = None) -> "Database":
        return cls(settings_folder(settings_dir) / DB_FILENAME, adopt_previous)

    def connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.generation != self._generation \
                and not self._local.depth:
            conn.close()  # this thread's connection to the file used before `use_instead`
            conn = None
        if conn is None:
            generation = self._generation
            conn = _open(self.path)
            self._local.conn = conn
            self._local.depth = 0
            self._local.generation = generation
            with self._lock:
                self._connections.append(conn)
        return conn

    def use_instead(self, other: "Database") -> None:
        """Run on `other`'s file from now on, in every thread (each thread moves at its
        next call outside a transaction): the side database when this file turned out to
        be damaged, or the repaired file afterwards. `other` is closed; its file lives on
        here."""
        other.close()
        with self._lock:
            self.path = other.path
            self._generation += 1

    @contextlib.contextmanager
    def atomic(self, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """Run the block as one write transaction; nested blocks join the outer one.

        `durable=False` skips the fsync of this one commit (it becomes durable with the
        next durable commit): for bookkeeping whose loss in a power cut loses no data,
        such as marking rows as being sent.
        """
        conn = self.connection()
        if self._local.depth:
            self._local.depth += 1
            try:
                yield conn
            finally:
                self._local.depth -= 1
            return
        if not durable:
            conn.execute("PRAGMA synchronous=NORMAL")
        self._local.depth = 1
        try:
            with transaction(conn):
                yield conn
        finally:
            self._local.depth = 0
            if not durable:
                conn.execute("PRAGMA synchronous=FULL")

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close_thread_connection(self) -> None:
        """Close this thread's connection, if it has one: for a thread that ends while the
        database stays open (the sessions phase's commit thread, one per sync)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            return
        with self._lock:
            self._connections = [kept for kept in self._connections if kept is not conn]
        conn.close()
        self._local.conn = None

    def close(self) -> None:
        """Close every thread's connection (the caller guarantees no thread still uses one)."""
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()


def settings_folder(settings_dir: str | os.PathLike) -> Path:
    """The settings folder, created owner-only when the core is the one to create it (the
    database in it holds account secrets); trouble with it is a SettingsFolderError."""
    folder = Path(settings_dir)
    try:
        if not folder.is_dir():
            folder.parent.mkdir(parents=True, exist_ok=True)
            folder.mkdir(mode=0o700)
            folder.chmod(0o700)  # mkdir's mode passes through the umask, which may add bits
    except OSError as exc:
        if not (isinstance(exc, FileExistsError) and folder.is_dir()):  # not a race we lost
            raise health.folder_problem(exc, folder) from None
    return folder


def _verify(conn: sqlite3.Connection, path: Path) -> None:
    problems = health.integrity_problems(conn, limit=3, quick=True)
    if problems:
        raise health.damaged(path, health.summary_of(problems))


def _prepare_file(path: Path, adopt_previous: Adopt | None) -> None:
    """Before the first connection (which would already write to it): create a new file,
    take over the previous plugin's, or refuse anything else without touching it."""
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a database file; it was left untouched. "
                         "Move it elsewhere to start with an empty database")
    found = file_kind.recognise(path)
    if found.kind == file_kind.PREVIOUS_PLUGIN and adopt_previous is not None:
        from python_core.store import adoption_file  # rare: keep it off every start
        with adoption_file.exclusive(path):
            if file_kind.recognise(path).kind == file_kind.PREVIOUS_PLUGIN:
                _adopt(path, adopt_previous)
        found = file_kind.recognise(path)
    if found.kind == file_kind.PREVIOUS_PLUGIN:
        raise StoreError(f"{path} belongs to the previous BookLore plugin; open it with "
                         "BookLore Sync's plugin or command line to take it over")
    if found.kind == file_kind.DAMAGED:
        raise health.damaged(path, found.detail)
    if found.kind == file_kind.UNKNOWN:
        raise StoreError(f"{path} is not a BookLore Sync database ({found.detail}); it was "
                         "left untouched. Move it elsewhere to start with an empty one")
    _create_private_file(path)


def _adopt(path: Path, adopt_previous: Adopt) -> None:
    try:
        adopt_previous(path)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"Could not take over the previous BookLore plugin's database "
                         f"{path.name} ({exc}); it was left as it was") from None


def _create_private_file(path: Path) -> None:
    """Create the file owner-only before SQLite does: it holds account passwords."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)


def _open(path: Path) -> sqlite3.Connection:
    conn = None
    try:
        conn = connect(
            path, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False
        )
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode.lower() != "wal":
            log.info("WAL not available on this file system; using the %s journal", mode)
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        problem = health.explain(exc, path)
        if problem is None:
            raise
        raise problem from None
    conn.row_factory = sqlite3.Row
    return conn
