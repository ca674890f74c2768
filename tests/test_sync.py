"""The sync engine end to end: facade → engine → client → a real local HTTP server.

pytest-httpserver plays BookLore so each test states exactly what the server answers;
the queue is a real SQLite file, checked after every sync for the one invariant that
matters: every session is in exactly one of pending_sessions / historical_sessions.
"""

import hashlib
import json
import socket
import threading

import pytest
from werkzeug import Response

from python_core.facade import BookLoreSync
from python_core.store import config_tables
from tests.support import rst_now

T0 = 1_767_225_600
BATCH = "/api/v1/reading-sessions/batch"
SINGLE = "/api/v1/reading-sessions"


def book_hash(n: int) -> str:
    return f"{n:032x}"


@pytest.fixture(autouse=True)
def on_httpserver(core, httpserver):
    """`core` (conftest) configured for pytest-httpserver with the KOReader account, and
    known to have the batch endpoint (as after a Test Connection), so that each test
    states only the answers it is about; `fresh_server` forgets that."""
    for key, value in {"server_url": httpserver.url_for("/"), "username": "kouser",
                       "password": "kopass", "read_timeout": 2.0}.items():
        assert core.set_setting(key, value)["ok"]
    remember_batch(core, True)


def remember_batch(core, supported):
    with core.db.atomic() as tx:
        config_tables.set_batch_capability(tx, core.settings()["server_url"], supported, "x")


def batch_known(core):
    return config_tables.batch_capability(core.db.connection(), core.settings()["server_url"])


def queue_sessions(core, count, book=1, book_id=None, start=T0):
    for i in range(count):
        result = core.record_session({
            "book_hash": book_hash(book), "book_id": book_id, "book_type": "EPUB",
            "start_time": start + i * 3600, "end_time": start + i * 3600 + 600,
            "pages_read": 5, "start_progress": 1.0, "end_progress": 2.0,
            "start_location": "1", "end_location": "6"})
        assert result["saved"], result


def table_ids(core, table):
    rows = core.db.connection().execute(f"SELECT book_hash, start_time FROM {table}").fetchall()
    return {tuple(r) for r in rows}


def assert_each_session_in_exactly_one_table(core, expected_total):
    pending, history = table_ids(core, "pending_sessions"), table_ids(core, "historical_sessions")
    assert not pending & history
    assert len(pending) + len(history) == expected_total


def retry_counts(core):
    rows = core.db.connection().execute("SELECT retry_count FROM pending_sessions ORDER BY id")
    return [r[0] for r in rows]


def batch_recorder(store, status=200):
    def handler(request):
        body = request.get_json()
        store.append(body)
        return Response(json.dumps({"totalRequested": len(body["sessions"]),
                                    "successCount": len(body["sessions"])}),
                        status=status, content_type="application/json")
    return handler


def reset_after_reading(store):
    """The server stores the batch, then the connection dies before the answer."""
    def handler(request):
        store.append(request.get_json())
        rst_now(request.environ["werkzeug.socket"])
        raise ConnectionAbortedError("simulated lost response")
    return handler


def test_250_sessions_of_one_book_go_in_three_batches(core, httpserver):
    queue_sessions(core, 250, book_id=7)
    sent = []
    httpserver.expect_request(BATCH, method="POST").respond_with_handler(batch_recorder(sent))
    report = core.sync_pending()
    assert [len(b["sessions"]) for b in sent] == [100, 100, 50]
    assert all(b["bookId"] == 7 and b["bookType"] == "EPUB" for b in sent)
    assert report["synced"]["sessions"] == 250 and report["ok"]
    assert_each_session_in_exactly_one_table(core, 250)
    assert table_ids(core, "pending_sessions") == set()


def test_three_books_one_request_each(core, httpserver):
    for book in (1, 2, 3):
        queue_sessions(core, 4, book=book, book_id=10 + book)
    sent = []
    httpserver.expect_request(BATCH, method="POST").respond_with_handler(batch_recorder(sent))
    core.sync_pending()
    assert sorted(b["bookId"] for b in sent) == [11, 12, 13]


def test_kosync_headers_are_sent_with_the_batch(core, httpserver):
    queue_sessions(core, 1, book_id=7)
    key = hashlib.md5(b"kopass").hexdigest()
    httpserver.expect_request(BATCH, method="POST", headers={
        "x-auth-user": "kouser", "x-auth-key": key}).respond_with_json({})
    assert core.sync_pending()["synced"]["sessions"] == 1


def test_202_with_empty_body_is_success(core, httpserver):
    queue_sessions(core, 2, book_id=7)
    httpserver.expect_request(BATCH, method="POST").respond_with_data("", status=202)
    assert core.sync_pending()["synced"]["sessions"] == 2


def test_400_batch_falls_back_to_singles_and_only_the_bad_item_stays(core, httpserver):
    queue_sessions(core, 3, book_id=7)
    httpserver.expect_request(BATCH, method="POST").respond_with_json(
        {"status": 400, "message": "End time must be after start time"}, status=400)
    calls = []

    def single(request):
        calls.append(request.get_json())
        if len(calls) == 2:
            return Response(json.dumps({"status": 400, "message": "Validation error",
                                        "details": ["endLocation: too long"]}),
                            status=400, content_type="application/json")
        return Response("", status=202)
    httpserver.expect_request(SINGLE, method="POST").respond_with_handler(single)
    report = core.sync_pending()
    assert report["synced"]["sessions"] == 2 and report["failed"]["sessions"] == 1
    row = core.db.connection().execute(
        "SELECT start_time, retry_count, last_error FROM pending_sessions").fetchone()
    assert row["start_time"] == calls[1]["startTime"] and row["retry_count"] == 1
    assert "Validation error" in row["last_error"]


@pytest.mark.parametrize("answer", [
    dict(status=403, response_json={"timestamp": "x", "status": 403, "error": "Forbidden",
                                    "path": BATCH}),
    dict(status=404, response_json={"status": 404, "message": "Resource not found: batch"}),
    dict(status=405, response_json={"status": 405, "message": "Method not allowed"}),
    dict(status=500, response_json={"status": 500, "message": "An unexpected error occurred."}),
], ids=["403-to-koreader-headers", "404-no-resource", "405", "500-unmapped-post"])
def test_a_server_without_the_batch_endpoint_gets_singles_and_is_remembered(core, httpserver,
                                                                            answer):
    """Decided once, by an empty batch (nothing can be stored by it), then remembered."""
    remember_batch(core, None)
    queue_sessions(core, 3, book_id=7)
    probes = []
    httpserver.expect_request(BATCH, method="POST").respond_with_handler(
        lambda request: probes.append(request.get_json()) or Response(
            json.dumps(answer["response_json"]), answer["status"],
            content_type="application/json"))
    httpserver.expect_request(SINGLE, method="POST").respond_with_data("", status=202)
    assert core.sync_pending()["synced"]["sessions"] == 3
    empty = {"bookId": 0, "bookType": "EPUB", "sessions": []}
    assert probes == [empty] * (2 if answer["status"] == 500 else 1)  # a 500 is confirmed
    assert batch_known(core) is False
    queue_sessions(core, 2, book_id=7, start=T0 + 10 * 86400)
    httpserver.clear_log()
    assert core.sync_pending()["synced"]["sessions"] == 2
    assert [r.path for r, _ in httpserver.log] == [SINGLE, SINGLE]


def test_a_fresh_server_that_validates_the_empty_batch_is_known_to_batch(core, httpserver):
    remember_batch(core, None)
    queue_sessions(core, 3, book_id=7)
    sent = []

    def batch(request):
        if not request.get_json()["sessions"]:
            return Response('{"status":400,"message":"Validation error","details":'
                            '["sessions: Sessions list cannot be empty"]}', 400,
                            content_type="application/json")
        return batch_recorder(sent)(request)
    httpserver.expect_request(BATCH, method="POST").respond_with_handler(batch)
    assert core.sync_pending()["synced"]["sessions"] == 3
    assert [len(b["sessions"]) for b in sent] == [3] and batch_known(core) is True


def test_a_2xx_batch_answer_that_cannot_be_read_is_unconfirmed_never_sent_singly(core,
                                                                              httpserver):
    """The server said yes: it probably stored the batch. Sending it again singly (as for
    a missing endpoint) would make a second copy of every session."""
    queue_sessions(core, 3, book_id=7)
    httpserver.expect_request(BATCH, method="POST").respond_with_data(
        "<!doctype html><html></html>", status=200, content_type="text/html")
    report = core.sync_pending()
    assert [r.path for r, _ in httpserver.log] == [BATCH]
    assert report["failed"]["sessions"] == 3 and report["unconfirmed"] == 3
    assert batch_known(core) is True
    unconfirmed = core.db.connection().execute("SELECT unconfirmed_sends FROM pending_sessions")
    assert [r[0] for r in unconfirmed] == [1, 1, 1]


def test_batch_404_for_an_unknown_book_is_not_mistaken_for_a_missing_endpoint(core, httpserver):
    queue_sessions(core, 3, book_id=7)
    missing = {"status": 404, "message": "Book not found with ID: 7"}
    httpserver.expect_request(BATCH, method="POST").respond_with_json(missing, status=404)
    report = core.sync_pending()
    assert report["failed"]["sessions"] == 3
    assert retry_counts(core) == [1, 1, 1]
    assert [r.path for r, _ in httpserver.log] == [BATCH]
    assert batch_known(core) is True


SERVER_ERROR = {"status": 500, "message": "An unexpected error occurred."}


def test_500_counts_one_attempt_and_keeps_the_error(core, httpserver):
    queue_sessions(core, 2, book_id=7)
    httpserver.expect_request(BATCH, method="POST").respond_with_json(SERVER_ERROR, status=500)
    report = core.sync_pending()
    assert report["failed"]["sessions"] == 2 and not report["ok"]
    assert retry_counts(core) == [1, 1]
    core.sync_pending()
    assert retry_counts(core) == [2, 2]
    error = core.db.connection().execute("SELECT last_error FROM pending_sessions").fetchone()[0]
    assert "An unexpected error occurred." in error
    assert [r.path for r, _ in httpserver.log] == [BATCH, BATCH]  # never probed singly


def test_a_batch_500_from_a_server_whose_empty_batch_is_validated_is_that_batchs_failure(
        core, httpserver):
    """The fork failing one batch is not upstream lacking the endpoint: the empty-batch
    probe tells them apart, so the capability survives a bad moment of the server."""
    remember_batch(core, None)
    queue_sessions(core, 3, book_id=7)

    def batch(request):
        if not request.get_json()["sessions"]:
            return Response('{"status":400,"message":"Validation error"}', 400,
                            content_type="application/json")
        return Response(json.dumps(SERVER_ERROR), 500, content_type="application/json")
    httpserver.expect_request(BATCH, method="POST").respond_with_handler(batch)
    report = core.sync_pending()
    assert report["failed"]["sessions"] == 3 and batch_known(core) is True
    assert [r.path for r, _ in httpserver.log] == [BATCH, BATCH]


def test_lost_response_after_the_server_stored_the_batch_keeps_the_sessions(core, httpserver):
    queue_sessions(core, 3, book_id=7)
    stored = []
    httpserver.expect_oneshot_request(BATCH, method="POST").respond_with_handler(
        reset_after_reading(stored))
    report = core.sync_pending()
    httpserver.handler_errors.clear()
    assert len(stored) == 1 and len(stored[0]["sessions"]) == 3
    assert report["failed"]["sessions"] == 3 and report["unconfirmed"] == 3
    assert retry_counts(core) == [1, 1, 1]
    unconfirmed = core.db.connection().execute(
        "SELECT unconfirmed_sends FROM pending_sessions").fetchall()
    assert [r[0] for r in unconfirmed] == [1, 1, 1]
    httpserver.expect_request(BATCH, method="POST").respond_with_json({})
    assert core.sync_pending()["synced"]["sessions"] == 3
    assert_each_session_in_exactly_one_table(core, 3)


def test_offline_sends_nothing_and_moves_no_counter(core, httpserver):
    queue_sessions(core, 2, book_id=7)
    report = core.sync_pending(online=False)
    assert report["status"] == "offline" and "No network connection" in report["summary"]
    assert retry_counts(core) == [0, 0]
    assert httpserver.log == []


def test_unreachable_server_counts_as_offline(core, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    core.set_setting("server_url", f"http://127.0.0.1:{port}")
    queue_sessions(core, 2, book_id=7)
    report = core.sync_pending()
    assert report["status"] == "offline"
    assert retry_counts(core) == [0, 0]
    markers = core.db.connection().execute("SELECT count(*) FROM sending_batches")
    assert markers.fetchone()[0] == 0  # nothing left looking "being sent"


def test_null_book_id_is_resolved_by_hash_then_uploaded_and_unknown_kept(core, httpserver):
    queue_sessions(core, 2, book=1)
    queue_sessions(core, 1, book=2)
    httpserver.expect_request(f"/api/koreader/books/by-hash/{book_hash(1)}").respond_with_json(
        {"id": 42, "metadata": {"title": "Dune"}})
    httpserver.expect_request(f"/api/koreader/books/by-hash/{book_hash(2)}").respond_with_json(
        {"status": 404, "message": "Book with hash x not found"}, status=404)
    sent = []
    httpserver.expect_request(BATCH, method="POST").respond_with_handler(batch_recorder(sent))
    report = core.sync_pending()
    assert [b["bookId"] for b in sent] == [42]
    assert report["synced"]["sessions"] == 2 and report["waiting"]["sessions"] == 1
    row = core.db.connection().execute(
        "SELECT book_id, retry_count, last_error FROM pending_sessions").fetchone()
    assert row["book_id"] is None and row["retry_count"] == 0
    assert "No match found based on hash" in row["last_error"]


def test_by_hash_html_page_is_not_a_match(core, httpserver):
    queue_sessions(core, 1, book=1)
    httpserver.expect_request(f"/api/koreader/books/by-hash/{book_hash(1)}").respond_with_data(
        "<html>app</html>", content_type="text/html")
    report = core.sync_pending()
    assert report["synced"]["sessions"] == 0 and report["waiting"]["sessions"] == 1


def test_clear_cache_then_items_still_upload_after_re_resolution(core, httpserver, tmp_path):
    book = tmp_path / "book.epub"
    book.write_bytes(b"some epub bytes")
    opened = core.record_book({"file_path": str(book), "title": "Book"})
    core.db.connection().execute("UPDATE book_cache SET book_id = 42")
    assert core.record_session({"file_path": str(book), "start_time": T0, "end_time": T0 + 600,
                                "pages_read": 3})["book_id"] == 42
    core.db.connection().execute("UPDATE pending_sessions SET book_id = NULL")
    assert core.clear_cache()["message"] == "Local book cache cleared"
    assert core.queue_counts()["sessions"] == 1
    httpserver.expect_request(
        f"/api/koreader/books/by-hash/{opened['book_hash']}").respond_with_json({"id": 42})
    httpserver.expect_request(BATCH, method="POST").respond_with_json({})
    assert core.sync_pending()["synced"]["sessions"] == 1


def test_clear_pending_of_one_kind_keeps_others_history_and_cache(core, httpserver, tmp_path):
    book = tmp_path / "b.epub"
    book.write_bytes(b"x" * 10)
    core.record_book({"file_path": str(book)})
    queue_sessions(core, 2, book_id=7)
    httpserver.expect_request(BATCH, method="POST").respond_with_json({})
    core.sync_pending()
    queue_sessions(core, 1, book_id=7, start=T0 + 90 * 86400)
    with core.db.atomic() as tx:
        tx.execute("INSERT INTO pending_ratings (book_hash, book_id, rating, created_at, "
                   "updated_at) VALUES (?, 7, 8, 'x', 'x')", (book_hash(1),))
    assert core.clear_pending(["sessions"])["cleared"] == {"sessions": 1}
    counts = core.queue_counts()
    assert (counts["sessions"], counts["ratings"], counts["cache"]["total"]) == (0, 1, 1)
    assert len(table_ids(core, "historical_sessions")) == 2


def test_clear_pending_refuses_unknown_kinds_and_deletes_nothing(core):
    queue_sessions(core, 1, book_id=7)
    result = core.clear_pending(["sessions", "bookmarks"])
    assert not result["ok"] and "bookmarks" in result["message"]
    assert core.queue_counts()["sessions"] == 1


@pytest.mark.parametrize("step", ["resolved", "marked_sending", "server_accepted",
                                  "moved_to_history"])
def test_interrupted_sync_leaves_every_session_in_exactly_one_table(core, httpserver, step):
    from python_core.sync import run as sync_module
    queue_sessions(core, 5, book_id=7)
    queue_sessions(core, 3, book=2, book_id=8)
    httpserver.expect_request(BATCH, method="POST").respond_with_json({})

    def explode(at):
        if at == step:
            raise RuntimeError(f"crash at {at}")
    settings = core.settings()
    with pytest.raises(RuntimeError):
        sync_module.run_sync(core.db, settings, lambda: core.make_client(settings),
                             checkpoint=explode)
    assert_each_session_in_exactly_one_table(core, 8)
    report = core.sync_pending()
    # "nothing" when the crash came after the last move (moves may share a commit)
    assert report["status"] in ("done", "nothing")
    assert_each_session_in_exactly_one_table(core, 8)
    assert table_ids(core, "pending_sessions") == set()


def test_two_concurrent_syncs_never_upload_twice(core, httpserver, release):
    queue_sessions(core, 5, book_id=7)
    sent, entered = [], threading.Event()

    def slow(request):
        sent.append(request.get_json())
        entered.set()
        release.wait(5)
        return Response("{}", content_type="application/json")
    httpserver.expect_request(BATCH, method="POST").respond_with_handler(slow)
    first = {}
    worker = threading.Thread(target=lambda: first.update(core.sync_pending()))
    worker.start()
    assert entered.wait(5)
    second = core.sync_pending()
    release.set()
    worker.join(10)
    assert second["status"] == "busy" and second["summary"] == "Sync already running"
    assert first["synced"]["sessions"] == 5 and len(sent) == 1


def test_phases_run_ratings_then_annotations_then_sessions(core, httpserver):
    core.set_setting("booklore_username", "reader")
    core.set_setting("booklore_password", "secret")
    remember_batch(core, True)  # a change of account forgets what the server offers
    queue_sessions(core, 1, book_id=7)
    with core.db.atomic() as tx:
        tx.execute("INSERT INTO pending_ratings (book_hash, book_id, rating, created_at, "
                   "updated_at) VALUES (?, 7, 8, 'x', 'x')", (book_hash(1),))
        tx.execute("INSERT INTO pending_annotations (book_hash, book_id, kind, created, text, "
                   "cfi, created_at, updated_at) VALUES (?, 7, 'highlight', '2026-01-01 10:00:00',"
                   " 'a line', 'epubcfi(/6/4!/4/2,/1:0,/1:6)', 'x', 'x')", (book_hash(1),))
    httpserver.expect_request("/api/v1/auth/login", method="POST").respond_with_json(
        {"accessToken": "acc", "refreshToken": "ref", "isDefaultPassword": "false"})
    httpserver.expect_request("/api/v1/books/personal-rating", method="PUT",
                              json={"ids": [7], "rating": 8}).respond_with_json(
        [{"bookId": 7, "personalRating": 8}])
    httpserver.expect_request("/api/v1/annotations", method="POST").respond_with_json(
        {"id": 3}, status=409)
    httpserver.expect_request(BATCH, method="POST").respond_with_json({})
    report = core.sync_pending()
    paths = [r.path for r, _ in httpserver.log]
    assert paths == ["/api/v1/auth/login", "/api/v1/books/personal-rating",
                     "/api/v1/annotations", BATCH]
    assert report["synced"] == {"sessions": 1, "annotations": 1, "ratings": 1}
    assert core.queue_counts()["annotations"] == 0


def test_nothing_to_sync_says_so_without_a_request(core, httpserver):
    report = core.sync_pending()
    assert report["status"] == "nothing" and report["summary"] == "Nothing to sync"
    assert httpserver.log == []


def test_not_configured_is_reported_not_failed(tmp_path):
    core = BookLoreSync(tmp_path)
    queue_sessions(core, 1, book_id=7)
    report = core.sync_pending()
    assert report["status"] == "not_configured" and "server URL" in report["summary"]
    assert retry_counts(core) == [0]
    core.close()


def test_a_corrupt_stored_session_fails_alone_and_the_rest_upload(core, httpserver):
    queue_sessions(core, 3, book_id=7)
    core.db.connection().execute(
        "UPDATE pending_sessions SET start_time = '2026-13-45T99:00:00Z' WHERE id = 2")
    sent = []
    httpserver.expect_request(BATCH, method="POST").respond_with_handler(batch_recorder(sent))
    report = core.sync_pending()
    assert report["synced"]["sessions"] == 2 and report["failed"]["sessions"] == 1
    row = core.db.connection().execute(
        "SELECT id, retry_count, last_error FROM pending_sessions").fetchone()
    assert row["id"] == 2 and row["retry_count"] == 1
    assert row["last_error"].startswith("Stored session is invalid")


def markers(core):
    return core.db.connection().execute("SELECT count(*) FROM sending_batches").fetchone()[0]


def test_books_take_turns_and_each_books_chunks_keep_their_order(core, httpserver):
    for book in (1, 2):
        queue_sessions(core, 150, book=book, book_id=10 + book, start=T0 + book * 10**7)
    sent = []
    httpserver.expect_request(BATCH, method="POST").respond_with_handler(batch_recorder(sent))
    assert core.sync_pending()["synced"]["sessions"] == 300
    assert [(b["bookId"], len(b["sessions"])) for b in sent] == [(11, 100), (12, 100),
                                                                 (11, 50), (12, 50)]
    for book_id in (11, 12):
        starts = [s["startTime"] for b in sent if b["bookId"] == book_id for s in b["sessions"]]
        assert starts == sorted(starts)


def test_a_phase_stopped_by_lost_answers_leaves_no_mark_on_what_it_never_sent(core,
                                                                             httpserver):
    for book in range(1, 8):
        queue_sessions(core, 2, book=book, book_id=book, start=T0 + book * 10**6)
    stored = []
    httpserver.expect_request(BATCH, method="POST").respond_with_handler(
        reset_after_reading(stored))
    report = core.sync_pending()
    httpserver.handler_errors.clear()
    assert len(stored) == 3 and "keeps failing" in report["summary"]
    assert markers(core) == 0  # the four requests marked ahead were released
    unconfirmed = [r[0] for r in core.db.connection().execute(
        "SELECT unconfirmed_sends FROM pending_sessions ORDER BY id")]
    assert sorted(unconfirmed) == [0] * 8 + [1] * 6


@pytest.mark.parametrize("answer, first_lines", [
    ("ok", ["Synced: 2 sessions", "Failed: 0"]),
    ("500", ["Synced: 0", "Failed: 2 sessions (kept in the queue, retried next sync)"]),
    ("offline", ["Synced: 0", "Failed: 0", "No network connection"]),
    ("not configured", ["Synced: 0", "Failed: 0",
                        "Set the server URL under Settings → Server and accounts"]),
])
def test_the_summary_always_says_how_many_synced_and_how_many_failed(core, httpserver, answer,
                                                                       first_lines):
    queue_sessions(core, 2, book_id=7)
    if answer == "ok":
        httpserver.expect_request(BATCH, method="POST").respond_with_json({})
    elif answer == "500":
        core.db.connection().execute(  # a server known to batch: the 500 is the batch's
            "INSERT INTO server_capabilities (server_url, batch_sessions, checked_at) "
            "VALUES (?, 1, 'x') ON CONFLICT (server_url) DO UPDATE SET batch_sessions = 1",
            (httpserver.url_for("/").rstrip("/"),))
        httpserver.expect_request(BATCH, method="POST").respond_with_json(SERVER_ERROR,
                                                                          status=500)
    elif answer == "not configured":
        core.set_setting("server_url", "")
    report = core.sync_pending(online=answer != "offline")
    assert report["summary"].split("\n")[:len(first_lines)] == first_lines
