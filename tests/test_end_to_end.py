"""The core against the bundled BookLore-compatible server (tools/booklore_server).

Where test_sync.py scripts each answer, these tests let a faithful server decide: its
auth rules, validation, batch semantics and faults.
"""

from pathlib import Path

import pytest

from python_core.books.fingerprint import partial_md5
from python_core.facade import BookLoreSync
from tools.booklore_server import BookLoreServer, Fault, make_sample_library

T0 = 1_767_225_600
KOREADER = ("reader-ko", "012345")
BOOKLORE = ("reader", "secret-pass")


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return make_sample_library(tmp_path_factory.mktemp("books"))


def start_server(flavour, library, known=4):
    server = BookLoreServer(flavour=flavour).start()
    server.add_user(*BOOKLORE, koreader=KOREADER)
    ids = [server.add_book(b.title, b.authors, file_hash=b.file_hash, isbn13=b.isbn13,
                           file_name=Path(b.path).name) for b in library[:known]]
    return server, ids


@pytest.fixture
def fork(library):
    server, ids = start_server("fork", library)
    yield server, ids
    server.stop()


def make_core(tmp_path, server, booklore=True):
    core = BookLoreSync(tmp_path / "settings")
    values = {"server_url": server.url, "username": KOREADER[0], "password": KOREADER[1]}
    if booklore:
        values.update(booklore_username=BOOKLORE[0], booklore_password=BOOKLORE[1])
    for key, value in values.items():
        assert core.set_setting(key, value)["ok"]
    return core


def fail_next_batch(server, fault, after=1):
    """`fault` on the batch request after the first `after` (a new core's first sync
    starts with the empty-batch probe that decides whether the server has the endpoint)."""
    faults = iter([None] * after + [fault])
    server.set_fault(lambda method, path: next(faults, None) if path.endswith("/batch")
                     else None)


def read_offline(core, library, days):
    for day in range(days):
        book = library[day % len(library)]
        start = T0 + day * 86400
        result = core.record_session({
            "file_path": book.path, "title": book.title, "start_time": start,
            "end_time": start + 900, "pages_read": 9, "start_progress": day * 2.0,
            "end_progress": day * 2.0 + 1.5, "start_location": str(day), "end_location": "x"})
        assert result["saved"], result


def test_fingerprints_agree_with_the_servers_own_algorithm(library):
    for book in library:
        assert partial_md5(book.path) == book.file_hash


def test_a_week_offline_reaches_the_server_exactly_once(tmp_path, fork, library):
    server, ids = fork
    core = make_core(tmp_path, server)
    read_offline(core, library, days=14)
    assert core.sync_pending(online=False)["status"] == "offline"
    assert server.request_log == []
    report = core.sync_pending()
    assert report["synced"]["sessions"] == 12  # 14 days, 2 of them the unknown 5th book
    assert report["waiting"]["sessions"] == 2 and report["resolved_books"] == 4
    starts = sorted((s["bookId"], s["startTime"]) for s in server.sessions)
    assert len(starts) == len(set(starts)) == 12
    assert {s["bookId"] for s in server.sessions} == set(ids)
    again = core.sync_pending()
    assert again["synced"]["sessions"] == 0 and len(server.sessions) == 12
    core.close()


def test_lost_response_without_a_booklore_account_gives_one_counted_duplicate(tmp_path, fork,
                                                                             library):
    server, _ = fork
    core = make_core(tmp_path, server, booklore=False)
    read_offline(core, library[:1], days=3)
    fail_next_batch(server, Fault.LOST_RESPONSE)
    first = core.sync_pending()
    assert first["failed"]["sessions"] == 3 and first["unconfirmed"] == 3
    assert len(server.sessions) == 3  # stored although the answer never came
    second = core.sync_pending()
    assert second["synced"]["sessions"] == 3
    assert len(server.sessions) == 6  # the only way a duplicate appears, and it was reported
    history = core.db.connection().execute(
        "SELECT unconfirmed_sends, found_on_server FROM historical_sessions").fetchall()
    assert [tuple(r) for r in history] == [(1, 0)] * 3
    core.close()


def test_lost_response_with_a_booklore_account_is_read_back_and_never_doubled(tmp_path, fork,
                                                                              library):
    server, _ = fork
    core = make_core(tmp_path, server)
    read_offline(core, library[:1], days=3)
    fail_next_batch(server, Fault.LOST_RESPONSE)
    first = core.sync_pending()
    assert first["failed"]["sessions"] == 3 and first["unconfirmed"] == 3
    assert len(server.sessions) == 3
    second = core.sync_pending()
    assert second["synced"]["sessions"] == 3 and second["found_on_server"] == 3
    assert len(server.sessions) == 3  # found there, moved to the history, not sent again
    sent = [path for _m, path, _s in server.request_log if path.startswith("/api/v1/reading")]
    assert sent.count("/api/v1/reading-sessions/batch") == 2  # the probe, the lost batch
    history = core.db.connection().execute(
        "SELECT unconfirmed_sends, found_on_server FROM historical_sessions").fetchall()
    assert [tuple(r) for r in history] == [(1, 1)] * 3
    core.close()


def test_reset_before_the_body_is_read_stores_nothing_and_retries(tmp_path, fork, library):
    server, _ = fork
    core = make_core(tmp_path, server)
    read_offline(core, library[:1], days=2)
    fail_next_batch(server, Fault.RESET_BEFORE_BODY)
    assert core.sync_pending()["failed"]["sessions"] == 2
    assert server.sessions == []
    assert core.sync_pending()["synced"]["sessions"] == 2
    assert len(server.sessions) == 2
    core.close()


def test_wrong_koreader_password_is_refused_and_nothing_is_lost(tmp_path, fork, library):
    server, _ = fork
    core = make_core(tmp_path, server, booklore=False)
    core.set_setting("password", "wrong")
    read_offline(core, library[:1], days=2)
    report = core.sync_pending()
    assert report["synced"]["sessions"] == 0
    assert "refused" in report["summary"]
    assert core.queue_counts()["sessions"] == 2
    core.close()


def test_upstream_server_without_batch_or_by_hash(tmp_path, library):
    server, ids = start_server("upstream", library)
    core = make_core(tmp_path, server)
    read_offline(core, library[:1], days=2)
    report = core.sync_pending()
    assert report["synced"]["sessions"] == 0 and report["waiting"]["sessions"] == 2
    core.db.connection().execute("UPDATE book_cache SET book_id = ?", (ids[0],))
    report = core.sync_pending()
    assert report["synced"]["sessions"] == 2, report
    assert len(server.sessions) == 2
    server.stop()
    core.close()


def test_expired_jwt_is_refreshed_and_the_rotated_token_kept(tmp_path, fork, library):
    server, ids = fork
    core = make_core(tmp_path, server)
    with core.db.atomic() as tx:
        tx.execute("INSERT INTO pending_ratings (book_hash, book_id, rating, created_at, "
                   "updated_at) VALUES (?, ?, 8, 'x', 'x')", (library[0].file_hash, ids[0]))
    assert core.sync_pending()["synced"]["ratings"] == 1
    tokens_before = core.db.connection().execute(
        "SELECT access_token, refresh_token FROM auth_tokens").fetchone()
    server.clock_offset = 11 * 3600  # access tokens live 10 h
    with core.db.atomic() as tx:
        tx.execute("INSERT INTO pending_ratings (book_hash, book_id, rating, created_at, "
                   "updated_at) VALUES (?, ?, 6, 'x', 'x')", (library[1].file_hash, ids[1]))
    assert core.sync_pending()["synced"]["ratings"] == 1
    tokens_after = core.db.connection().execute(
        "SELECT access_token, refresh_token FROM auth_tokens").fetchone()
    assert tokens_after[1] != tokens_before[1]
    assert server.ratings == {ids[0]: 8, ids[1]: 6}
    logins = [p for m, p, s in server.request_log if p == "/api/v1/auth/login"]
    assert len(logins) == 1
    core.close()
