"""Chaos sync: hundreds of seeded rounds of "read some books, sync" against the tools server
while it injects a seeded random fault into each request, then a healthy server.

Run twice: with the KOReader account only, and with the BookLore account as well.

What must hold afterwards (docs/RELIABILITY.md): every session reached the server; none
was lost locally; with the BookLore account every session is on the server exactly once
(a stored-but-unanswered send is found by reading back and never sent again); without it
a session is stored more than once only when a request that carried it was stored and
its answer lost; the reports counted those sends as unconfirmed; each session's retry
counter equals the failed requests that carried it; the database file passes
`PRAGMA integrity_check`.
"""

from __future__ import annotations

import collections
import random

import pytest

from python_core.facade import BookLoreSync
from python_core.reading.sessions import iso_utc
from python_core.sync.run import run_sync
from tests.reliability.support import (
    Ledger,
    assert_each_session_in_exactly_one_table,
    integrity,
    observed_client_factory,
    open_raw,
    server_copies,
    session_event,
    settings_for,
    start_server,
)
from tools.booklore_server import Fault

ROUNDS = 220
BOOKS = 10
SEED = 20261121
FAULT_WEIGHTS = {Fault.NONE: 0.56, Fault.ERROR_500: 0.12, Fault.RESET_BEFORE_BODY: 0.12,
                 Fault.LOST_RESPONSE: 0.16, Fault.STALL: 0.015}
#: What the client must make of each fault, and whether the server keeps the batch.
EXPECTED = {Fault.NONE: (None, True), Fault.ERROR_500: ("ServerError", False),
            Fault.RESET_BEFORE_BODY: ("ResponseLost", False),
            Fault.LOST_RESPONSE: ("ResponseLost", True), Fault.STALL: ("ResponseLost", False)}


@pytest.fixture(params=["koreader", "booklore"], ids=["koreader-account",
                                                      "with-booklore-account"])
def world(request, tmp_path):
    server, book_ids = start_server(BOOKS)
    core = BookLoreSync(tmp_path / "settings")
    core.booklore = request.param == "booklore"
    for key, value in settings_for(server, core.booklore).items():
        assert core.set_setting(key, value)["ok"]
    yield server, book_ids, core, tmp_path / "settings"
    server.set_fault(None)
    server.stop()
    core.close()


def record_round(core, rng, book_ids, serial) -> tuple[int, set[tuple[str, str]]]:
    recorded = set()
    for _ in range(rng.randrange(1, 25)):
        event = session_event(rng, list(book_ids), serial, book_ids)
        result = core.record_session(event)
        assert result["ok"] and result["saved"], result
        recorded.add((event["book_hash"], iso_utc(event["start_time"])))
        serial += 1
    return serial, recorded


def test_chaos_rounds_lose_nothing_and_double_nothing_with_a_booklore_account(world, capsys):
    server, book_ids, core, settings_dir = world
    rng = random.Random(SEED)
    ledger = Ledger(server)
    make_client = observed_client_factory(ledger, server, core.db, core.booklore)
    settings = core.settings()
    # A healthy first sync teaches the core that this server has the batch endpoint, so
    # a 500 later is a failure of that batch, not a reason to probe with single POSTs.
    healthy = ledger.fault_plan(random.Random(SEED), {Fault.NONE: 1.0})
    server.set_fault(healthy)
    serial, recorded = record_round(core, rng, book_ids, 0)
    assert run_sync(core.db, settings, make_client).synced["sessions"] == len(recorded)

    chaos_start = len(ledger.faults)
    server.set_fault(ledger.fault_plan(random.Random(SEED + 1), FAULT_WEIGHTS))
    reports = []
    for _ in range(ROUNDS):
        serial, new = record_round(core, rng, book_ids, serial)
        recorded |= new
        reports.append(run_sync(core.db, settings, make_client))
        assert reports[-1].status == "done", reports[-1].messages
    chaos_faults = ledger.faults[chaos_start:]
    server.set_fault(healthy)
    for _ in range(3):  # heal: the first healthy sync should already drain the queue
        reports.append(run_sync(core.db, settings, make_client))
        if not core.queue_counts()["sessions"]:
            break

    assert core.queue_counts()["sessions"] == 0
    duplicates, unconfirmed = check_outcome(settings_dir, server, ledger, book_ids, recorded,
                                            reports, core.booklore)
    kinds = collections.Counter(fault.value for _m, _p, fault in chaos_faults)
    found = sum(report.found_on_server for report in reports)
    held = sum(report.held_back for report in reports)
    account = "with the BookLore account" if core.booklore else "KOReader account only"
    with capsys.disabled():
        print(f"\nchaos sync ({account}): {ROUNDS} rounds, {len(recorded)} sessions, "
              f"{len(chaos_faults)} faulted-phase requests {dict(sorted(kinds.items()))}, "
              f"{duplicates} duplicates and 0 lost on the server, {unconfirmed} sends "
              f"reported unconfirmed, {found} found there by read-back, {held} held back "
              "while the read-back failed")
    assert kinds["lost_response"] and kinds["stall"] and kinds["error_500"]
    if core.booklore:  # exactly once: every stored-but-unanswered batch was found
        assert duplicates == 0 and found > 0 and held > 0
    else:
        assert duplicates > 0 and found == 0


def check_outcome(settings_dir, server, ledger: Ledger, book_ids, recorded, reports,
                  exactly_once: bool):
    """Every assertion on the healed end state; returns (duplicates, unconfirmed)."""
    conn = open_raw(settings_dir)
    assert integrity(conn) == "ok"
    assert_each_session_in_exactly_one_table(conn, recorded)
    check_every_request(ledger)
    duplicates = check_server_copies(server, ledger, {(book_ids[h], s) for h, s in recorded},
                                     exactly_once)
    check_local_counters(conn, ledger, book_ids)
    conn.close()
    unconfirmed = sum(report.unconfirmed for report in reports)
    lost_sends = sum(len(a.keys) for a in ledger.attempts if a.error == "ResponseLost")
    assert unconfirmed == lost_sends, "the reports must count every send whose answer was lost"
    assert duplicates <= unconfirmed
    failed = sum(report.failed["sessions"] for report in reports)
    assert failed == sum(len(a.keys) for a in ledger.attempts if a.error)
    return duplicates, unconfirmed


def check_every_request(ledger: Ledger) -> None:
    """Each fault had exactly the effect it stands for, seen from both ends."""
    for attempt in ledger.attempts:
        error, stores = EXPECTED[attempt.fault]
        assert attempt.error == error, attempt
        assert attempt.stored == (len(attempt.keys) if stores else 0), attempt


def check_server_copies(server, ledger: Ledger, recorded: set, exactly_once: bool) -> int:
    """At least one copy each. With the BookLore account exactly one: a session whose
    stored send went unanswered is found by the read-back and never sent again. Without
    it, a second copy for each stored-but-unanswered send, and no other."""
    copies = server_copies(server)
    expected = {key: sum(a.stored > 0 for a in attempts)
                for key, attempts in ledger.per_session().items()}
    assert set(copies) == set(expected) == recorded, "a session never reached the server"
    duplicates = 0
    for key, attempts in ledger.per_session().items():
        lost_but_stored = sum(a.fault is Fault.LOST_RESPONSE for a in attempts)
        if exactly_once:
            assert copies[key] == expected[key] == 1, (key, attempts)
            assert lost_but_stored <= 1 and (lost_but_stored == 0 or
                                             attempts[-1].fault is Fault.LOST_RESPONSE)
        else:
            assert copies[key] == expected[key] == 1 + lost_but_stored, (key, attempts)
        duplicates += copies[key] - 1
    return duplicates


def check_local_counters(conn, ledger: Ledger, book_ids) -> None:
    """retry_count = failed requests carrying the session; unconfirmed = answers lost."""
    rows = conn.execute("SELECT book_hash, start_time, retry_count, unconfirmed_sends "
                        "FROM historical_sessions").fetchall()
    per_session = ledger.per_session()
    for row in rows:
        attempts = per_session[(book_ids[row["book_hash"]], row["start_time"])]
        assert row["retry_count"] == sum(a.error is not None for a in attempts), dict(row)
        assert row["unconfirmed_sends"] == sum(a.error == "ResponseLost" for a in attempts)
