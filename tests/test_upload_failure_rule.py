"""One failure rule for every upload phase (python_core/sync/phase.py), checked on each:
ratings, annotations and sessions, against pytest-httpserver on a real SQLite file.

Nothing sent → the sync stops as offline and no counter moves; an answer → that item's
failure is recorded and counted and the phase goes on; an account refused → the same, and
the phase stops and asks for the reader's attention.
"""

import json
import socket

import pytest
from werkzeug import Response

from python_core.facade import BookLoreSync

LOGIN = "/api/v1/auth/login"
TABLES = {"ratings": "pending_ratings", "annotations": "pending_annotations",
          "sessions": "pending_sessions"}
PATHS = {"ratings": ("PUT", "/api/v1/books/personal-rating"),
         "annotations": ("POST", "/api/v1/annotations"),
         "sessions": ("POST", "/api/v1/reading-sessions/batch")}
HINTS = {"ratings": "Check the BookLore account", "annotations": "Check the BookLore account",
         "sessions": "Check the KOReader account"}
T0 = 1_767_225_600


@pytest.fixture
def core_with_three(tmp_path, httpserver, request):
    """A core with three queued items of one kind, each of its own book (three requests)."""
    kind = request.param
    core = BookLoreSync(tmp_path)
    settings = {"server_url": httpserver.url_for("/"), "read_timeout": 2.0}
    if kind == "sessions":
        settings.update(username="kouser", password="kopass")
    else:
        settings.update(booklore_username="reader", booklore_password="secret")
    for key, value in settings.items():
        assert core.set_setting(key, value)["ok"]
    for n in (1, 2, 3):
        _queue(core, kind, n)
    if kind == "sessions":  # known to batch, so a failed batch is not probed singly
        core.db.connection().execute(
            "INSERT INTO server_capabilities (server_url, batch_sessions, checked_at) "
            "VALUES (?, 1, 'x')", (httpserver.url_for("/").rstrip("/"),))
    httpserver.expect_request(LOGIN, method="POST").respond_with_json(
        {"accessToken": "acc", "refreshToken": "ref"})
    yield kind, core
    core.close()


def _queue(core, kind, n):
    book_hash = f"{n:032x}"
    with core.db.atomic() as tx:
        if kind == "ratings":
            tx.execute("INSERT INTO pending_ratings (book_hash, book_id, rating, created_at, "
                       "updated_at) VALUES (?, ?, 8, 'x', 'x')", (book_hash, n))
        elif kind == "annotations":
            tx.execute("INSERT INTO pending_annotations (book_hash, book_id, kind, created, "
                       "text, cfi, created_at, updated_at) VALUES (?, ?, 'highlight', "
                       "'2026-01-01 10:00:00', 'a line', 'epubcfi(/6/4!/4/2,/1:0,/1:6)', "
                       "'x', 'x')", (book_hash, n))
    if kind == "sessions":
        assert core.record_session({
            "book_hash": book_hash, "book_id": n, "book_type": "EPUB",
            "start_time": T0, "end_time": T0 + 600, "pages_read": 5})["saved"]


def answering(*statuses):
    """A handler answering the n-th request with statuses[n] (an error body or success)."""
    calls = []

    def handler(request):
        status = statuses[len(calls)]
        calls.append(request)
        if status < 300:
            return Response(json.dumps({"id": len(calls)}), status=status,
                            content_type="application/json")
        return Response(json.dumps({"status": status, "message": f"no ({status})"}),
                        status=status, content_type="application/json")
    handler.calls = calls
    return handler


def state(core, kind):
    rows = core.db.connection().execute(
        f"SELECT retry_count, last_error FROM {TABLES[kind]} ORDER BY id").fetchall()
    return [(r["retry_count"], r["last_error"]) for r in rows]


ALL_KINDS = pytest.mark.parametrize("core_with_three", list(TABLES), indirect=True)


@ALL_KINDS
def test_an_answered_failure_is_recorded_on_its_item_and_the_phase_goes_on(core_with_three,
                                                                           httpserver):
    kind, core = core_with_three
    handler = answering(200, 422, 200)
    httpserver.expect_request(PATHS[kind][1], method=PATHS[kind][0]).respond_with_handler(
        handler)
    report = core.sync_pending()
    assert len(handler.calls) == 3
    assert report["synced"][kind] == 2 and report["failed"][kind] == 1
    [(retries, error)] = state(core, kind)
    assert retries == 1 and "no (422)" in error
    assert f"{kind[:-1].capitalize()} upload failed: " in report["summary"]
    assert not report["needs_attention"] and report["status"] == "done"


@ALL_KINDS
def test_a_refused_account_stops_the_phase_and_asks_for_attention(core_with_three,
                                                                  httpserver):
    kind, core = core_with_three
    # A JWT request refused with 401 is renewed once (refresh, then login) and resent once.
    handler = answering(200, 401) if kind == "sessions" else answering(200, 401, 401)
    httpserver.expect_request("/api/v1/auth/refresh", method="POST").respond_with_json(
        {"status": 401, "message": "expired"}, status=401)
    httpserver.expect_request(PATHS[kind][1], method=PATHS[kind][0]).respond_with_handler(
        handler)
    report = core.sync_pending()
    assert report["synced"][kind] == 1 and report["failed"][kind] == 1
    assert [retries for retries, _ in state(core, kind)] == [1, 0]  # the third not tried
    assert len(handler.calls) == (2 if kind == "sessions" else 3)
    assert report["needs_attention"]
    assert f"{kind[:-1].capitalize()} upload refused: " in report["summary"]
    assert HINTS[kind] in report["summary"]


@ALL_KINDS
def test_nothing_sent_stops_the_sync_as_offline_and_moves_no_counter(core_with_three):
    kind, core = core_with_three
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    core.db.connection().execute(  # not set_setting: that would forget the login too
        "UPDATE settings SET value = ? WHERE key = 'server_url'", (f"http://127.0.0.1:{port}",))
    report = core.sync_pending()
    assert report["status"] == "offline" and "No network connection" in report["summary"]
    assert report["failed"][kind] == 0 and report["synced"][kind] == 0
    assert state(core, kind) == [(0, None)] * 3
