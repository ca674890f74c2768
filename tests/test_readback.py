"""Exactly once with a BookLore account (sync/readback.py): a session whose send got no
answer is looked up on the server before it is sent again, against the tools server."""

import pytest

from tests.plugin_support import BOOKLORE, KOREADER
from tools.booklore_server import BookLoreServer, Fault

T0 = 1_767_225_600
BATCH = "/api/v1/reading-sessions/batch"
READ_BACK = "/api/v1/reading-sessions/book/"


@pytest.fixture(params=["fork", "upstream"])
def server(request):
    server = BookLoreServer(flavour=request.param).start()
    server.add_user(*BOOKLORE, koreader=KOREADER)
    server.book = server.add_book("Dune", ["Frank Herbert"], file_hash="d" * 32)
    server.other = server.add_book("Emma", ["Jane Austen"], file_hash="e" * 32)
    yield server
    server.set_fault(None)
    server.stop()


pytestmark = pytest.mark.usefixtures("on_the_server")  # conftest's `core`, for `server`


def queue(core, count, book="d", first=0, progress=12.345678):
    book_id = {"d": 1, "e": 2}[book]
    for n in range(first, first + count):
        start = T0 + n * 3600
        assert core.record_session({
            "book_hash": book * 32, "book_id": book_id, "book_type": "EPUB",
            "start_time": start, "end_time": start + 600, "pages_read": 4,
            "start_progress": progress, "end_progress": progress + 1.5})["saved"]


def fault_session_posts(server, fault, sessions=1):
    """`fault` on the requests that carry the next `sessions` sessions: one batch on the
    fork, one POST each on upstream (the probes come before and are left alone)."""
    left = [1 if server.flavour == "fork" else sessions]

    def choose(method, path):
        if method == "POST" and path.startswith("/api/v1/reading-sessions") and left[0]:
            left[0] -= 1
            return fault
        return None
    return choose


def learn_the_server(core, server):
    """One healthy sync first, so probes and the login are behind us."""
    queue(core, 1, book="e", first=500)
    assert core.sync_pending()["synced"]["sessions"] == 1
    server.reset_state()


def read_backs(server):
    """Read-back requests for real books (book 0 is the probe that decides the feature)."""
    return [path for _m, path, _s in server.request_log
            if path.startswith(READ_BACK) and path != READ_BACK + "0"]


def history(core):
    return [tuple(r) for r in core.db.connection().execute(
        "SELECT unconfirmed_sends, found_on_server FROM historical_sessions "
        "WHERE book_hash = ? ORDER BY start_time", ("d" * 32,))]


def test_a_stored_batch_whose_answer_was_lost_is_found_and_not_sent_again(core, server):
    learn_the_server(core, server)
    queue(core, 3)
    server.set_fault(fault_session_posts(server, Fault.LOST_RESPONSE, 3))
    lost = core.sync_pending()
    assert lost["unconfirmed"] == 3 and len(server.sessions) == 3
    server.set_fault(None)
    settled = core.sync_pending()
    assert settled["found_on_server"] == 3 and settled["synced"]["sessions"] == 3
    assert len(server.sessions) == 3 and core.queue_counts()["sessions"] == 0
    assert history(core) == [(1, 1)] * 3


def test_a_send_that_never_arrived_is_shown_absent_and_sent_once(core, server):
    learn_the_server(core, server)
    queue(core, 2)
    server.set_fault(fault_session_posts(server, Fault.RESET_BEFORE_BODY, 2))
    assert core.sync_pending()["unconfirmed"] == 2 and server.sessions == []
    server.set_fault(None)
    settled = core.sync_pending()
    assert settled["found_on_server"] == 0 and settled["synced"]["sessions"] == 2
    assert len(server.sessions) == 2 and history(core) == [(1, 0)] * 2


def test_nothing_in_doubt_costs_no_read_back(core, server):
    learn_the_server(core, server)
    queue(core, 5)
    assert core.sync_pending()["synced"]["sessions"] == 5
    assert read_backs(server) == []


def test_one_read_back_request_per_100_stored_sessions_since_the_oldest_in_doubt(core, server):
    learn_the_server(core, server)
    queue(core, 240)
    assert core.sync_pending()["synced"]["sessions"] == 240
    queue(core, 1, first=1000)  # newer than all 240
    server.set_fault(fault_session_posts(server, Fault.LOST_RESPONSE))
    core.sync_pending()
    server.set_fault(None)
    server.clear_request_log()
    assert core.sync_pending()["found_on_server"] == 1
    assert len(read_backs(server)) == 1  # page 0 holds it, and an older start ends the walk
    queue(core, 1, first=-1)  # older than all 240: the walk pages through every one
    server.set_fault(fault_session_posts(server, Fault.LOST_RESPONSE))
    core.sync_pending()
    server.set_fault(None)
    server.clear_request_log()
    assert core.sync_pending()["found_on_server"] == 1
    assert len(read_backs(server)) == 3  # 242 stored since: pages of 100, 100, 42


def test_when_the_read_back_fails_the_sessions_in_doubt_wait_and_the_rest_go(core, server):
    learn_the_server(core, server)
    queue(core, 2)
    server.set_fault(fault_session_posts(server, Fault.LOST_RESPONSE, 2))
    core.sync_pending()
    queue(core, 3, book="e", first=10)
    server.set_fault(lambda method, path: Fault.ERROR_500 if path.startswith(READ_BACK)
                     else None)
    held = core.sync_pending()
    assert held["held_back"] == 2 and held["synced"]["sessions"] == 3
    assert "2 session(s) whose earlier answer was lost wait" in held["summary"]
    assert core.queue_counts()["sessions"] == 2 and len(server.sessions) == 5
    server.set_fault(None)
    assert core.sync_pending()["found_on_server"] == 2
    assert len(server.sessions) == 5 and core.queue_counts()["sessions"] == 0


def test_a_marker_left_by_a_killed_sync_is_settled_by_reading_back(core, server):
    learn_the_server(core, server)
    queue(core, 2)
    ids = [r[0] for r in core.db.connection().execute("SELECT id FROM pending_sessions")]
    settings = core.settings()
    with core.make_client(settings) as client:  # the dead sync's batch reached the server
        items = [{"startTime": r["start_time"], "endTime": r["end_time"],
                  "durationSeconds": r["duration_seconds"], "startProgress": 12.35,
                  "endProgress": 13.85, "progressDelta": 1.5} for r in
                 core.db.connection().execute("SELECT * FROM pending_sessions ORDER BY id")]
        if server.flavour == "fork":
            client.post_session_batch(1, "EPUB", items)
        else:
            for item in items:
                client.post_session(1, "EPUB", item)
    with core.db.atomic() as tx:
        tx.execute("INSERT INTO sending_batches (session_ids, started_at) VALUES (?, 'x')",
                   (str(ids).replace(" ", ""),))
    settled = core.sync_pending()
    assert settled["unconfirmed"] == 2 and settled["found_on_server"] == 2
    assert len(server.sessions) == 2


def test_a_change_of_progress_decimals_since_the_send_still_finds_it(core, server):
    learn_the_server(core, server)
    queue(core, 1)
    server.set_fault(fault_session_posts(server, Fault.LOST_RESPONSE))
    core.sync_pending()  # sent with 2 decimals: 12.35
    server.set_fault(None)
    assert core.set_setting("progress_decimals", 0)["ok"]
    assert core.sync_pending()["found_on_server"] == 1 and len(server.sessions) == 1


def test_a_server_that_cannot_list_sessions_gets_them_again_as_before(core, server):
    learn_the_server(core, server)
    queue(core, 1)
    server.set_fault(fault_session_posts(server, Fault.LOST_RESPONSE))
    core.sync_pending()
    server.set_fault(lambda method, path: Fault.HTML_200 if path.startswith(READ_BACK) else None)
    with core.db.atomic() as tx:  # as on a server before v1.16.1: decided afresh
        tx.execute("UPDATE server_capabilities SET read_back = NULL")
    again = core.sync_pending()
    assert again["found_on_server"] == 0 and again["synced"]["sessions"] == 1
    assert "cannot list the sessions it stored" in again["summary"]
    assert len(server.sessions) == 2  # the duplicate only a read-back could have avoided
