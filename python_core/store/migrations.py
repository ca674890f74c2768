"""The schema's history: each migration as it was released, in order.

A released migration is never edited (a database that already ran it would not run it
again): a change to the schema is a new migration at the end. The runner that applies
them, one transaction each, is `schema.py`.

Queued items reference their book by fingerprint (`book_hash`), never by a `book_cache`
row, so clearing the cache cannot orphan or break them. Natural-key UNIQUE constraints
make a replayed insert harmless.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from python_core.store.connect import connect

log = logging.getLogger("booklore_sync.store")

_HASH = "TEXT NOT NULL CHECK (length(book_hash) = 32)"
_RETRY = "retry_count INTEGER NOT NULL DEFAULT 0, last_error TEXT"
_SESSION_COLUMNS = f"""
    book_id INTEGER,
    book_hash {_HASH},
    book_type TEXT NOT NULL,
    title TEXT,
    start_time TEXT NOT NULL,
    end_time TEXT NOT NULL,
    duration_seconds INTEGER NOT NULL CHECK (duration_seconds >= 0),
    start_progress REAL,
    end_progress REAL,
    start_location TEXT,
    end_location TEXT,
    pages_read INTEGER,
    created_at TEXT NOT NULL"""

_ANNOTATION_COLUMNS = (
    "id, book_id, book_hash, kind, created, text, note, chapter, page, pos0, pos1, cfi, "
    "color, style, destination, server_note_id, retry_count, last_error, created_at, "
    "updated_at")


class Migration(NamedTuple):
    """A schema change: SQL statements, or a function for data that SQL alone cannot move."""
    name: str
    steps: Sequence[str] | Callable[[sqlite3.Connection], None]


MIGRATIONS: list[Migration] = [
    Migration(
        "initial schema",
        [
            f"""CREATE TABLE book_cache (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                file_path TEXT NOT NULL UNIQUE,
                book_hash {_HASH},
                book_id INTEGER,
                title TEXT, author TEXT, isbn10 TEXT, isbn13 TEXT,
                file_size INTEGER,
                match_source TEXT,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL)""",
            "CREATE INDEX book_cache_by_hash ON book_cache(book_hash)",
            f"""CREATE TABLE pending_sessions (
                id INTEGER PRIMARY KEY AUTOINCREMENT,{_SESSION_COLUMNS},
                {_RETRY},
                unconfirmed_sends INTEGER NOT NULL DEFAULT 0,
                UNIQUE (book_hash, start_time))""",
            """CREATE TABLE sending_batches (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                session_ids TEXT NOT NULL UNIQUE,
                started_at TEXT NOT NULL)""",
            "CREATE INDEX pending_sessions_by_book ON pending_sessions(book_id, book_type, id)",
            f"""CREATE TABLE historical_sessions (
                id INTEGER PRIMARY KEY AUTOINCREMENT,{_SESSION_COLUMNS},
                pending_id INTEGER,
                retry_count INTEGER NOT NULL DEFAULT 0,
                unconfirmed_sends INTEGER NOT NULL DEFAULT 0,
                uploaded_at TEXT NOT NULL,
                UNIQUE (book_hash, start_time))""",
            f"""CREATE TABLE pending_ratings (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                book_id INTEGER,
                book_hash {_HASH} UNIQUE,
                rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 10),
                {_RETRY},
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL)""",
            f"""CREATE TABLE uploaded_ratings (
                book_hash {_HASH} PRIMARY KEY,
                rating INTEGER NOT NULL,
                uploaded_at TEXT NOT NULL)""",
            f"""CREATE TABLE pending_annotations (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                book_id INTEGER,
                book_hash {_HASH},
                kind TEXT NOT NULL CHECK (kind IN ('highlight', 'note')),
                created TEXT NOT NULL,
                text TEXT, note TEXT, chapter TEXT, page TEXT,
                pos0 TEXT, pos1 TEXT, cfi TEXT, color TEXT, style TEXT,
                destination TEXT NOT NULL DEFAULT 'booklore',
                server_note_id INTEGER,
                {_RETRY},
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                UNIQUE (book_hash, created, kind))""",
            f"""CREATE TABLE uploaded_annotations (
                book_hash {_HASH},
                created TEXT NOT NULL,
                kind TEXT NOT NULL,
                content_digest TEXT NOT NULL,
                endpoint TEXT NOT NULL,
                server_id INTEGER,
                uploaded_at TEXT NOT NULL,
                PRIMARY KEY (book_hash, created, kind))""",
            """CREATE TABLE settings (
                key TEXT PRIMARY KEY,
                type TEXT NOT NULL CHECK (type IN ('str', 'int', 'float', 'bool')),
                value TEXT NOT NULL)""",
            """CREATE TABLE auth_tokens (
                account TEXT PRIMARY KEY,
                access_token TEXT,
                refresh_token TEXT,
                login_blocked TEXT,
                updated_at TEXT NOT NULL)""",
            """CREATE TABLE server_capabilities (
                server_url TEXT PRIMARY KEY,
                batch_sessions INTEGER,
                checked_at TEXT NOT NULL)""",
            """CREATE TABLE sync_lease (
                name TEXT PRIMARY KEY,
                owner TEXT NOT NULL,
                expires_at REAL NOT NULL)""",
        ],
    ),
    Migration(
        "open reading session; which unmatched books the reader was told about",
        [
            """CREATE TABLE open_session (
                slot INTEGER PRIMARY KEY CHECK (slot = 1),
                data TEXT NOT NULL,
                updated_at TEXT NOT NULL)""",
            f"""CREATE TABLE no_match_told (
                book_hash {_HASH} PRIMARY KEY,
                told_at TEXT NOT NULL)""",
        ],
    ),
    Migration(
        "notices the reader is told once (e.g. what was taken over from the previous plugin)",
        [
            """CREATE TABLE notices (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                topic TEXT NOT NULL UNIQUE,
                text TEXT NOT NULL,
                created_at TEXT NOT NULL,
                shown_at TEXT)""",
        ],
    ),
    Migration(
        "reading imported from KOReader's statistics, so a re-import adds nothing",
        [
            f"""CREATE TABLE imported_reading (
                book_hash {_HASH},
                start_time INTEGER NOT NULL,
                end_time INTEGER NOT NULL,
                PRIMARY KEY (book_hash, start_time))""",
        ],
    ),
    Migration(
        "calls the core has applied, by the id the plugin gave them (the sidecar's journal)",
        [
            """CREATE TABLE applied_calls (
                call_id TEXT PRIMARY KEY,
                applied_at TEXT NOT NULL)""",
        ],
    ),
    Migration(
        "what each server offers; its library listing; unconfirmed sends read back",
        [
            "ALTER TABLE server_capabilities ADD COLUMN by_hash INTEGER",
            "ALTER TABLE server_capabilities ADD COLUMN search INTEGER",
            "ALTER TABLE server_capabilities ADD COLUMN read_back INTEGER",
            "ALTER TABLE server_capabilities ADD COLUMN koreader_sessions INTEGER",
            """CREATE TABLE library_listing (
                server_url TEXT PRIMARY KEY,
                fetched_at TEXT NOT NULL,
                books INTEGER NOT NULL)""",
            """CREATE TABLE library_books (
                server_url TEXT NOT NULL,
                book_id INTEGER NOT NULL,
                title TEXT,
                authors TEXT,
                isbn13 TEXT,
                isbn10 TEXT,
                files TEXT NOT NULL,
                PRIMARY KEY (server_url, book_id))""",
            """ALTER TABLE pending_sessions
                ADD COLUMN unconfirmed_checked INTEGER NOT NULL DEFAULT 0""",
            """ALTER TABLE historical_sessions
                ADD COLUMN found_on_server INTEGER NOT NULL DEFAULT 0""",
        ],
    ),
    Migration(
        "page bookmarks travel in the annotations queue (kind 'bookmark')",
        # SQLite cannot change a CHECK in place: the table is rebuilt with the same
        # columns, rows and ids (AUTOINCREMENT keeps counting past the highest id).
        [
            f"""CREATE TABLE pending_annotations_new (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                book_id INTEGER,
                book_hash {_HASH},
                kind TEXT NOT NULL CHECK (kind IN ('highlight', 'note', 'bookmark')),
                created TEXT NOT NULL,
                text TEXT, note TEXT, chapter TEXT, page TEXT,
                pos0 TEXT, pos1 TEXT, cfi TEXT, color TEXT, style TEXT,
                destination TEXT NOT NULL DEFAULT 'booklore',
                server_note_id INTEGER,
                {_RETRY},
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                UNIQUE (book_hash, created, kind))""",
            f"""INSERT INTO pending_annotations_new ({_ANNOTATION_COLUMNS})
                SELECT {_ANNOTATION_COLUMNS} FROM pending_annotations""",
            "DROP TABLE pending_annotations",
            "ALTER TABLE pending_annotations_new RENAME TO pending_annotations",
        ],
    ),
    Migration(
        "books the reader switched off (Don't track this book)",
        [
            f"""CREATE TABLE untracked_books (
                book_hash {_HASH} PRIMARY KEY,
                title TEXT,
                since TEXT NOT NULL)""",
        ],
    ),
    Migration("the KOReader password kept only as its key", lambda conn: _password_to_key(conn)),
]

LATEST_VERSION = len(MIGRATIONS)

PASSWORD_ROW = "SELECT type, value FROM settings WHERE key = 'password'"
SAVE_KEY = """
    INSERT INTO settings (key, type, value) VALUES ('koreader_key', 'str', ?)
    ON CONFLICT (key) DO UPDATE SET type = excluded.type, value = excluded.value"""
DROP_PASSWORD = "DELETE FROM settings WHERE key = 'password'"


def _password_to_key(conn: sqlite3.Connection) -> None:
    """The KOReader password becomes its MD5 (the `x-auth-key`, all the server is ever
    sent; settings.koreader_key_of computes the same) and the password itself goes, with
    secure_delete so its bytes do not linger in a free page. The backup copies written
    beside the file before migrations hold it too: it is deleted from those as well."""
    row = conn.execute(PASSWORD_ROW).fetchone()
    if row is None:
        return
    conn.execute("PRAGMA secure_delete = ON").fetchall()
    if row[1]:
        conn.execute(SAVE_KEY, (_key_of(str(row[1])),))
    conn.execute(DROP_PASSWORD)
    for backup in _backups_beside(conn):
        _drop_password_from(backup)


def _key_of(password: str) -> str:
    import hashlib  # only an old database with a password needs it (see koreader_key_of)
    return hashlib.md5(password.encode("utf-8"), usedforsecurity=False).hexdigest()


def _backups_beside(conn: sqlite3.Connection) -> list[Path]:
    found = [row[2] for row in conn.execute("PRAGMA database_list") if row[1] == "main"]
    if not found or not found[0]:
        return []  # an in-memory database
    path = Path(found[0])
    return sorted(path.parent.glob(f"{path.name}.bkp.v*"))


def _drop_password_from(backup: Path) -> None:
    """Best effort: a backup that cannot be opened is left as it is (and logged)."""
    try:
        copy = connect(backup, isolation_level=None)
        try:
            copy.execute("PRAGMA secure_delete = ON").fetchall()
            copy.execute(DROP_PASSWORD)
        finally:
            copy.close()
    except sqlite3.Error as exc:
        log.warning("could not remove the KOReader password from %s: %s", backup.name, exc)
