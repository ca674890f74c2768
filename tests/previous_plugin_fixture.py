"""The previous BookLore plugin's `booklore-sync.sqlite` at schema 21, built from the
table shapes in ../shared/spec/other-plugin-db.md, with a reader's queue in it.

Connections are set up the way that plugin sets them up (foreign keys on, journal mode
TRUNCATE), so a file built here has the 0-byte `-journal` beside it that the real one has.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

NOW = "strftime('%s','now')"
SCHEMA_21 = [
    f"CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER DEFAULT ({NOW}))",
    f"""CREATE TABLE book_cache (id INTEGER PRIMARY KEY AUTOINCREMENT,
        file_path TEXT UNIQUE NOT NULL, file_hash TEXT NOT NULL, book_id INTEGER, title TEXT,
        author TEXT, last_accessed INTEGER, created_at INTEGER DEFAULT ({NOW}),
        updated_at INTEGER DEFAULT ({NOW}), isbn10 TEXT, isbn13 TEXT, hardcover_id INTEGER,
        tracking_enabled INTEGER DEFAULT 1)""",
    "CREATE INDEX idx_book_cache_file_path ON book_cache(file_path)",
    "CREATE INDEX idx_book_cache_file_hash ON book_cache(file_hash)",
    f"""CREATE TABLE pending_sessions (id INTEGER PRIMARY KEY AUTOINCREMENT, book_id INTEGER,
        book_hash TEXT NOT NULL, book_type TEXT DEFAULT 'EPUB', start_time TEXT NOT NULL,
        end_time TEXT NOT NULL, duration_seconds INTEGER NOT NULL,
        start_progress REAL DEFAULT 0.0, end_progress REAL DEFAULT 0.0,
        progress_delta REAL DEFAULT 0.0, start_location TEXT, end_location TEXT,
        created_at INTEGER DEFAULT ({NOW}), retry_count INTEGER DEFAULT 0,
        last_retry_at INTEGER, book_title TEXT, koreader_book_id INTEGER)""",
    "CREATE INDEX idx_pending_sessions_book_hash ON pending_sessions(book_hash)",
    f"""CREATE TABLE historical_sessions (id INTEGER PRIMARY KEY AUTOINCREMENT,
        koreader_book_id INTEGER NOT NULL, koreader_book_title TEXT NOT NULL, book_id INTEGER,
        book_hash TEXT, book_type TEXT DEFAULT 'EPUB', start_time TEXT NOT NULL,
        end_time TEXT NOT NULL, duration_seconds INTEGER NOT NULL,
        start_progress REAL DEFAULT 0.0, end_progress REAL DEFAULT 0.0,
        progress_delta REAL DEFAULT 0.0, start_location TEXT, end_location TEXT,
        created_at INTEGER DEFAULT ({NOW}), matched BOOLEAN DEFAULT 0, synced BOOLEAN DEFAULT 0,
        UNIQUE(koreader_book_id, start_time, end_time))""",
    f"""CREATE TABLE bearer_tokens (id INTEGER PRIMARY KEY AUTOINCREMENT,
        username TEXT UNIQUE NOT NULL, token TEXT NOT NULL,
        created_at INTEGER DEFAULT ({NOW}), expires_at INTEGER NOT NULL)""",
    "CREATE TABLE updater_cache (key TEXT PRIMARY KEY, value TEXT NOT NULL, cached_at INTEGER NOT NULL)",
    f"""CREATE TABLE book_metadata (id INTEGER PRIMARY KEY AUTOINCREMENT,
        book_cache_id INTEGER NOT NULL, sdr_path TEXT, rating INTEGER,
        rating_synced INTEGER DEFAULT 0, created_at INTEGER DEFAULT ({NOW}),
        updated_at INTEGER DEFAULT ({NOW}), pending_rating_prompt INTEGER DEFAULT 0,
        UNIQUE(book_cache_id))""",
    """CREATE TABLE synced_annotations (id INTEGER PRIMARY KEY AUTOINCREMENT,
        book_cache_id INTEGER NOT NULL, koreader_datetime TEXT NOT NULL,
        annotation_type TEXT NOT NULL, destination TEXT NOT NULL, server_id INTEGER,
        synced_at INTEGER, UNIQUE(book_cache_id, koreader_datetime, annotation_type))""",
    f"CREATE TABLE plugin_settings (key TEXT PRIMARY KEY, value TEXT, updated_at INTEGER DEFAULT ({NOW}))",
    f"""CREATE TABLE rating_sync_history (id INTEGER PRIMARY KEY AUTOINCREMENT,
        book_cache_id INTEGER NOT NULL REFERENCES book_cache(id), rating INTEGER NOT NULL,
        synced_at INTEGER DEFAULT ({NOW}), status TEXT NOT NULL DEFAULT 'success',
        error_message TEXT)""",
    f"""CREATE TABLE pending_ratings (id INTEGER PRIMARY KEY AUTOINCREMENT,
        book_cache_id INTEGER NOT NULL UNIQUE REFERENCES book_cache(id), book_id INTEGER,
        rating INTEGER NOT NULL, retry_count INTEGER DEFAULT 0, last_retry_at INTEGER,
        created_at INTEGER DEFAULT ({NOW}))""",
    f"""CREATE TABLE pending_annotations (id INTEGER PRIMARY KEY AUTOINCREMENT,
        book_cache_id INTEGER NOT NULL REFERENCES book_cache(id), book_id INTEGER,
        ann_type TEXT NOT NULL, datetime TEXT NOT NULL, payload TEXT NOT NULL,
        retry_count INTEGER DEFAULT 0, last_retry_at INTEGER,
        created_at INTEGER DEFAULT ({NOW}), UNIQUE(book_cache_id, datetime, ann_type))""",
    f"""CREATE TABLE pending_bookmarks (id INTEGER PRIMARY KEY AUTOINCREMENT,
        book_cache_id INTEGER NOT NULL REFERENCES book_cache(id), book_id INTEGER,
        datetime TEXT NOT NULL, payload TEXT NOT NULL, retry_count INTEGER DEFAULT 0,
        last_retry_at INTEGER, created_at INTEGER DEFAULT ({NOW}),
        UNIQUE(book_cache_id, datetime))""",
    f"""CREATE TABLE synced_bookmarks (id INTEGER PRIMARY KEY AUTOINCREMENT,
        book_cache_id INTEGER NOT NULL REFERENCES book_cache(id), datetime TEXT NOT NULL,
        server_id INTEGER, synced_at INTEGER DEFAULT ({NOW}), UNIQUE(book_cache_id, datetime))""",
    f"""CREATE TABLE pending_deletions (id INTEGER PRIMARY KEY AUTOINCREMENT,
        file_hash TEXT NOT NULL UNIQUE, stem TEXT NOT NULL, book_id INTEGER,
        retry_count INTEGER DEFAULT 0, created_at INTEGER DEFAULT ({NOW}))""",
]

HASH_A = "a" * 32            # matched book (BookLore id 7)
HASH_B = "b" * 32            # unmatched book
HASH_HISTORY = "c" * 32      # only a history:// pseudo row
SETTINGS = {
    "is_enabled": "true", "server_url": "http://127.0.0.1:1/", "username": "reader-ko",
    "password": "012345", "booklore_username": "reader", "booklore_password": "secret-pass",
    "min_duration": "45", "min_pages": "7", "session_detection_mode": "pages",
    "manual_sync_only": "true", "sync_mode": "manual", "progress_decimal_places": "9",
    "silent_messages": "true", "notes_destination": "booklore", "hardcover_token": "hc-secret",
}


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = TRUNCATE").fetchall()  # PyPy: a statement left unread stays in progress
    return conn


def session(start: str, end: str, duration: int, **fields) -> dict:
    return {"book_id": 7, "book_hash": HASH_A, "start_time": start, "end_time": end,
            "duration_seconds": duration, "start_progress": 10.0, "end_progress": 12.5,
            "progress_delta": 2.5, "start_location": "12", "end_location": "15",
            "created_at": 1767225600, "retry_count": 0, "book_title": "Dune", **fields}


PENDING = [
    session("2026-01-02T20:00:00Z", "2026-01-02T20:30:00Z", 1800, retry_count=3),
    session("2026-01-03T20:00:00Z", "2026-01-03T20:10:00Z", 600),
    # queued twice (that plugin had no uniqueness): one session
    session("2026-01-03T20:00:00Z", "2026-01-03T20:10:00Z", 600),
    # no fingerprint, but its BookLore id is in the cache
    session("2026-01-04T08:00:00Z", "2026-01-04T08:20:00Z", 1200, book_hash=""),
    # unmatched book, no id yet
    session("2026-01-05T21:00:00Z", "2026-01-05T21:40:00Z", 2400, book_id=None,
            book_hash=HASH_B, book_title="Unmatched"),
    # nothing to find its book by: stays in the kept file
    session("2026-01-06T21:00:00Z", "2026-01-06T21:40:00Z", 2400, book_id=None, book_hash=""),
]
UPLOADED = [
    ("2026-01-01T19:00:00Z", "2026-01-01T19:45:00Z", 2700, 1),
    ("2025-12-31T19:00:00Z", "2025-12-31T19:30:00Z", 1800, 1),
    ("2025-12-30T19:00:00Z", "2025-12-30T19:30:00Z", 1800, 0),   # staged, never uploaded
]


def build(path: Path, *, settings: dict | None = None, version: int = 21) -> Path:
    """A schema-21 file with books, queues, history and settings; returns `path`."""
    conn = connect(path)
    with conn:
        for statement in SCHEMA_21:
            conn.execute(statement)
        conn.executemany("INSERT INTO schema_version (version) VALUES (?)",
                         [(n,) for n in range(1, version + 1)])
        _books(conn)
        _sessions(conn)
        _items(conn)
        conn.executemany("INSERT INTO plugin_settings (key, value) VALUES (?, ?)",
                         sorted((settings if settings is not None else SETTINGS).items()))
    conn.close()
    return path


def _books(conn: sqlite3.Connection) -> None:
    rows = [("/mnt/onboard/Books/Dune.epub", HASH_A, 7, "Dune", "Frank Herbert"),
            ("/mnt/onboard/Books/Dune (copy).epub", HASH_A, 7, "Dune", "Frank Herbert"),
            ("/mnt/onboard/Books/Unmatched.epub", HASH_B, None, "Unmatched", "N/A"),
            (f"historical://{HASH_HISTORY}", HASH_HISTORY, 9, "Old", None)]
    conn.executemany("INSERT INTO book_cache (file_path, file_hash, book_id, title, author, "
                     "isbn13, created_at, updated_at) VALUES (?, ?, ?, ?, ?, '9780441013593', "
                     "1767225600, 1767225600)", rows)


def _sessions(conn: sqlite3.Connection) -> None:
    for row in PENDING:
        conn.execute(f"INSERT INTO pending_sessions ({', '.join(row)}) "
                     f"VALUES ({', '.join('?' for _ in row)})", tuple(row.values()))
    for start, end, duration, synced in UPLOADED:
        conn.execute("INSERT INTO historical_sessions (koreader_book_id, koreader_book_title, "
                     "book_id, book_hash, start_time, end_time, duration_seconds, created_at, "
                     "matched, synced) VALUES (3, 'Dune', 7, ?, ?, ?, ?, 1767225600, 1, ?)",
                     (HASH_A, start, end, duration, synced))


def annotation_payload(ann_type: str, datetime: str, **fields) -> str:
    return json.dumps({"ann_type": ann_type, "datetime": datetime, "text": "the spice",
                       "note": fields.pop("note", None), "chapter": "Book One",
                       "color": "#FFFF33", "style": "highlight",
                       "pos0": "/body/DocFragment[3]/body/p[2]/text().0",
                       "pos1": "/body/DocFragment[3]/body/p[2]/text().9",
                       "cfi": "epubcfi(/6/6!/4/4,/1:0,/1:9)", **fields})


def _items(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO pending_ratings (book_cache_id, book_id, rating, retry_count) "
                 "VALUES (1, 7, 8, 2)")
    conn.execute("INSERT INTO pending_ratings (book_cache_id, book_id, rating) VALUES (3, NULL, 6)")
    conn.execute("INSERT INTO book_metadata (book_cache_id, rating, rating_synced) VALUES (4, 10, 1)")
    notes = [(1, 7, "highlight", "2026-01-02 20:05:00",
              annotation_payload("highlight", "2026-01-02 20:05:00")),
             (1, 7, "booklore_note", "2026-01-02 20:06:00",
              annotation_payload("booklore_note", "2026-01-02 20:06:00", note="Fear is the mind-killer")),
             (3, None, "highlight", "2026-01-05 21:10:00", "not json")]
    conn.executemany("INSERT INTO pending_annotations (book_cache_id, book_id, ann_type, "
                     "datetime, payload, retry_count) VALUES (?, ?, ?, ?, ?, 1)", notes)
    conn.execute("INSERT INTO synced_annotations (book_cache_id, koreader_datetime, "
                 "annotation_type, destination, server_id, synced_at) "
                 "VALUES (1, '2026-01-01 19:10:00', 'highlight', 'highlight', 55, 1767225600)")
    conn.execute("INSERT INTO pending_bookmarks (book_cache_id, book_id, datetime, payload) "
                 "VALUES (1, 7, '2026-01-02 20:07:00', '{}')")
    conn.execute("INSERT INTO bearer_tokens (username, token, expires_at) "
                 "VALUES ('reader', 'old-jwt', 1769817600)")
