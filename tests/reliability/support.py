"""Shared set-up of the reliability suite: a tools server with many books, seeded sessions,
an observed client that records what every request carried and how it ended, and the
database invariants every test checks after the worst has happened."""

from __future__ import annotations

import collections
import json
import random
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from python_core.errors import BookLoreError
from python_core.server.client import BookLoreClient, Credentials, md5_hex
from python_core.server.feature_store import DatabaseFeatureStore
from python_core.server.token_store import DatabaseTokenStore
from python_core.store import DB_FILENAME, Database
from tools.booklore_server import BookLoreServer, Fault

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
KOREADER = ("reader-ko", "012345")
BOOKLORE = ("reader", "secret-pass")
READ_TIMEOUT = 0.5
STALL_SECONDS = 0.6  # just past the read timeout: the client gives up first


def book_hash(n: int) -> str:
    return f"{n:032x}"


def start_server(books: int) -> tuple[BookLoreServer, dict[str, int]]:
    """A fork server with the account and `books` books; returns {book_hash: book_id}."""
    server = BookLoreServer(flavour="fork").start()
    server.stall_seconds = STALL_SECONDS
    server.add_user(*BOOKLORE, koreader=KOREADER)
    ids = {book_hash(n): server.add_book(f"Book {n}", ["Author"], file_hash=book_hash(n))
           for n in range(1, books + 1)}
    return server, ids


def session_event(rng: random.Random, hashes: list[str], serial: int,
                  book_ids: dict[str, int] | None = None) -> dict:
    """One valid finished session; `serial` makes its start time unique."""
    chosen = rng.choice(hashes)
    start = T0 + serial * 3600 + rng.randrange(0, 1800)
    progress = rng.uniform(0, 95)
    known = book_ids is not None and rng.random() < 0.5
    return {"book_hash": chosen, "book_id": book_ids[chosen] if known else None,
            "book_type": "EPUB", "start_time": start, "end_time": start + rng.randrange(60, 3000),
            "pages_read": rng.randrange(1, 40), "start_progress": progress,
            "end_progress": progress + rng.uniform(0, 5), "start_location": str(serial),
            "end_location": str(serial + 1)}


def settings_for(server: BookLoreServer, booklore: bool = False) -> dict[str, str]:
    """The KOReader account, and with `booklore` also the BookLore account (which makes
    uploads exactly once: sessions in doubt are read back before they are sent again)."""
    settings = {"server_url": server.url, "username": KOREADER[0], "password": KOREADER[1]}
    if booklore:
        settings.update(booklore_username=BOOKLORE[0], booklore_password=BOOKLORE[1])
    return settings


# What the server holds -------------------------------------------------------------


def stored_count(server: BookLoreServer) -> int:
    """Sessions the server stored so far (cheap: no deep copy of the records)."""
    with server.state.lock:
        return len(server.state.records["sessions"])


def server_copies(server: BookLoreServer) -> collections.Counter:
    """How many times the server stored each (bookId, startTime)."""
    return collections.Counter((s["bookId"], s["startTime"]) for s in server.sessions)


# The observed client ------------------------------------------------------------------


@dataclass
class Attempt:
    """One session request: which sessions it carried, the fault the server applied,
    what the client raised (None for success) and how many sessions the server stored."""

    keys: list[tuple[int, str]]
    fault: Fault
    error: str | None
    stored: int


@dataclass
class Ledger:
    """Everything the chaos test needs to predict the database and the server."""

    server: BookLoreServer
    faults: list[tuple[str, str, Fault]] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)

    def fault_plan(self, rng: random.Random, weights: dict[Fault, float]):
        """A fault function for `server.set_fault`, seeded, that remembers each choice."""
        kinds, cumulative = list(weights), list(weights.values())

        def choose(method: str, path: str) -> Fault:
            fault = rng.choices(kinds, cumulative)[0]
            self.faults.append((method, path, fault))
            return fault
        return choose

    def per_session(self) -> dict[tuple[int, str], list[Attempt]]:
        seen: dict[tuple[int, str], list[Attempt]] = collections.defaultdict(list)
        for attempt in self.attempts:
            for key in attempt.keys:
                seen[key].append(attempt)
        return seen


class ObservedClient(BookLoreClient):
    """The real client; each session POST is recorded with the fault the server chose."""

    def __init__(self, ledger: Ledger, credentials: Credentials, *args, **kwargs):
        super().__init__(credentials, *args, **kwargs)
        self._ledger = ledger

    def post_session_batch(self, book_id, book_type, items):
        return self._observed(book_id, items, super().post_session_batch, book_type, items)

    def post_session(self, book_id, book_type, item):
        return self._observed(book_id, [item], super().post_session, book_type, item)

    def _observed(self, book_id, items, call, *args):
        faults_before, stored_before = len(self._ledger.faults), stored_count(self._ledger.server)
        error = None
        try:
            return call(book_id, *args)
        except BookLoreError as exc:
            error = type(exc).__name__
            raise
        finally:
            chosen = self._ledger.faults[faults_before:]
            assert len(chosen) == 1, f"one request per call expected, saw {chosen}"
            self._ledger.attempts.append(Attempt(
                [(book_id, _start(item)) for item in items], chosen[0][2], error,
                stored_count(self._ledger.server) - stored_before))


def _start(item) -> str:
    """An item's start time; the sessions phase hands items over as JSON text."""
    return (json.loads(item) if isinstance(item, str) else item)["startTime"]


def observed_client_factory(ledger: Ledger, server: BookLoreServer, db: Database,
                            booklore: bool = False):
    """Like the facade's: what the server offers and the JWT pair are kept in `db`."""
    credentials = Credentials(server_url=server.url, koreader_user=KOREADER[0],
                              koreader_key=md5_hex(KOREADER[1]),
                              booklore_user=BOOKLORE[0] if booklore else None,
                              booklore_password=BOOKLORE[1] if booklore else None)
    return lambda: ObservedClient(
        ledger, credentials, DatabaseTokenStore(db, server.url, BOOKLORE[0] if booklore else ""),
        timeout=(2.0, READ_TIMEOUT), features=DatabaseFeatureStore(db, server.url))


# The local database -----------------------------------------------------------------


def open_raw(settings_dir: Path) -> sqlite3.Connection:
    """A plain connection, independent of the code under test."""
    conn = sqlite3.connect(Path(settings_dir) / DB_FILENAME, isolation_level=None, timeout=5)
    conn.row_factory = sqlite3.Row
    return conn


def integrity(conn: sqlite3.Connection) -> str:
    return conn.execute("PRAGMA integrity_check").fetchone()[0]


def session_keys(conn: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    return [tuple(r) for r in conn.execute(f"SELECT book_hash, start_time FROM {table}")]


def assert_each_session_in_exactly_one_table(conn: sqlite3.Connection,
                                              recorded: set[tuple[str, str]]) -> None:
    """Nothing lost, nothing doubled locally: the two tables partition what was recorded."""
    pending, history = session_keys(conn, "pending_sessions"), session_keys(conn, "historical_sessions")
    assert len(pending) == len(set(pending)) and len(history) == len(set(history))
    assert not set(pending) & set(history), "a session is both pending and uploaded"
    assert set(pending) | set(history) == recorded, "a recorded session is missing"
