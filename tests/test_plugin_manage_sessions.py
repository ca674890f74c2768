"""Manage Sessions, exactly as the user's page describes it, through the real main.lua,
the real bridge and the real core, against the bundled BookLore-compatible server."""

import pytest

from bridge import HeadlessHost
from tests.plugin_support import MANAGE, configure, labels, queue_items, read_book


@pytest.fixture
def settings(tmp_path, server):
    # Manual Sync Only: automatic triggers would otherwise empty the queue under the test.
    configure(tmp_path / "settings", server.url, manual_sync_only=True)
    return tmp_path / "settings"


@pytest.fixture
def host(settings):
    with HeadlessHost(settings) as host:
        yield host


def test_menu_tree_under_tools(host):
    tools = [entry["text"] for entry in host.menu()["children"]]
    assert tools.index("BookLore Sync") > tools.index("More tools")
    assert list(labels(host, "BookLore Sync")) == ["Sync Now", "Settings"]
    assert list(labels(host, "BookLore Sync", "Settings")) == [
        "Server and accounts", "Session tracking", "Manual Sync Only", "Silent mode",
        "Ratings and annotations", "Manage Sessions", "Import reading history"]
    server_items = list(labels(host, "BookLore Sync", "Settings", "Server and accounts"))
    assert server_items[0].startswith("Server: http://127.0.0.1:")
    assert server_items[1:] == ["KOReader account", "BookLore account", "Test Connection"]


def test_empty_queues_grey_out_everything_but_view_details(host):
    assert labels(host, *MANAGE) == {
        "Sync Pending Now": False, "View Details": True, "Match Unmatched Books": False,
        "Clear Pending...": False, "Clear Cache": False}


def test_labels_show_queue_counts_and_unmatched_books(host, settings, library):
    host.set_online(False)
    for book in library[:3]:
        read_book(host, book)
    queue_items(settings, library[0].file_hash, ratings=2, annotations=1)
    assert labels(host, *MANAGE) == {
        "Sync Pending Now (3s, 1a, 2r)": True, "View Details": True,
        "Match Unmatched Books (3)": True, "Clear Pending... (3s, 1a, 2r)": True,
        "Clear Cache": True}


def test_sync_pending_now_uploads_and_shows_the_summary(host, server, library):
    host.set_online(False)
    read_book(host, library[0])
    read_book(host, library[1])
    host.set_online(True)
    server.reset_state()
    assert host.tap_menu(*MANAGE, "Sync Pending Now")
    host.run_until_idle()
    assert host.toasts[-1] == "Synced: 2 sessions\nFailed: 0"
    assert len(server.sessions) == 2
    assert labels(host, *MANAGE)["Sync Pending Now"] is False


def test_dispatcher_action_runs_the_same_sync(host, server, library):
    host.set_online(False)
    read_book(host, library[0])
    host.set_online(True)
    server.reset_state()
    assert host.dispatch("booklore_sync_pending")
    host.run_until_idle()
    assert host.toasts[-1] == "Synced: 1 session\nFailed: 0"
    assert len(server.sessions) == 1


def test_sync_now_without_wifi_asks_koreader_to_connect_and_syncs_once_connected(
        host, server, library):
    host.set_online(False)
    read_book(host, library[0])
    server.reset_state()
    host.tap_menu("BookLore Sync", "Sync Now")
    prompt = host.screen()[-1]
    assert (prompt["type"], prompt["text"]) == ("ConfirmBox", "Do you want to turn on Wi-Fi?")
    host.tap_button("Turn on")
    host.run_until_idle()
    assert server.request_log == []  # nothing is tried before the connection is up
    host.set_online(True)
    host.run_until_idle()
    assert host.toasts[-1] == "Synced: 1 session\nFailed: 0"
    assert "Sync Pending Now" in labels(host, *MANAGE)


def test_sync_now_declining_wifi_keeps_the_queue_and_sends_nothing(host, server, library):
    host.set_online(False)
    read_book(host, library[0])
    server.reset_state()
    host.tap_menu("BookLore Sync", "Sync Now")
    host.tap_button("Cancel")
    host.set_online(True)  # Wi-Fi comes back by other means: Manual Sync Only, so no sync
    host.run_until_idle()
    assert server.request_log == []
    assert "Sync Pending Now (1s, 0a, 0r)" in labels(host, *MANAGE)


def test_sync_now_with_wifi_set_to_turn_on_connects_without_asking(host, server, library):
    host.set_reader_setting("wifi_enable_action", "turn_on")
    host.set_online(False)
    read_book(host, library[0])
    host.dispatch("SyncBooklorePending")
    assert host.screen()[-1]["text"] == "Connecting to Wi-Fi…"
    assert host.network()["turn_on_requests"] == 1
    host.set_online(True)
    host.run_until_idle()
    assert host.toasts[-1] == "Synced: 1 session\nFailed: 0"
    assert "Connecting to Wi-Fi…" not in [w["text"] for w in host.screen()]


def test_sync_now_connected_but_server_out_of_reach_says_so_and_keeps_the_queue(
        host, server, library):
    host.set_online(False)
    read_book(host, library[0])
    host.set_network("connected")  # an address and a gateway; the server does not answer
    server.stop()
    host.tap_menu("BookLore Sync", "Sync Now")
    host.run_until_idle()
    assert host.toasts[-1].startswith("Synced: 0\nFailed: 0\nNo network connection")
    assert "Sync Pending Now (1s, 0a, 0r)" in labels(host, *MANAGE)


def test_view_details_stays_until_dismissed(host, library):
    host.set_online(False)
    read_book(host, library[0])
    host.tap_menu(*MANAGE, "View Details")
    host.advance(600)
    [details] = [w for w in host.screen() if w["type"] == "InfoMessage"]
    assert details["text"] == ("Book cache\n  Total books: 1\n  Matched: 0\n  Unmatched: 1\n\n"
                               "Pending uploads\n  Sessions: 1\n  Annotations: 0\n  Ratings: 0")
    assert host.dismiss()
    assert not [w for w in host.screen() if w["type"] == "InfoMessage"]


def test_clear_pending_lists_only_non_empty_kinds_pre_selected(host, settings, library):
    host.set_online(False)
    read_book(host, library[0])
    queue_items(settings, library[0].file_hash, ratings=2)
    host.tap_menu(*MANAGE, "Clear Pending")
    dialog = host.screen()[-1]
    assert [(c["text"], c["checked"]) for c in dialog["checks"]] == [
        ("Sessions (1)", True), ("Ratings (2)", True)]
    assert [b["text"] for b in dialog["buttons"][0]] == ["Cancel", "Clear Selected"]


def test_unchecked_kind_is_kept(host, settings, library):
    host.set_online(False)
    read_book(host, library[0])
    queue_items(settings, library[0].file_hash, ratings=2)
    host.tap_menu(*MANAGE, "Clear Pending")
    host.toggle_check("Ratings")
    host.tap_button("Clear Selected")
    assert host.toasts[-1] == "Cleared 1 sessions"
    assert "Clear Pending... (0s, 0a, 2r)" in labels(host, *MANAGE)


def test_cancel_clears_nothing(host, library):
    host.set_online(False)
    read_book(host, library[0])
    host.tap_menu(*MANAGE, "Clear Pending")
    host.tap_button("Cancel")
    assert "Clear Pending... (1s, 0a, 0r)" in labels(host, *MANAGE)
    assert host.screen()[-1]["type"] != "ButtonDialog"


def test_clear_cache_leaves_the_queues_without_asking(host, library):
    host.set_online(False)
    read_book(host, library[0])
    assert host.tap_menu(*MANAGE, "Clear Cache")
    assert host.toasts[-1] == "Local book cache cleared"
    assert labels(host, *MANAGE) == {
        "Sync Pending Now (1s, 0a, 0r)": True, "View Details": True,
        "Match Unmatched Books": False, "Clear Pending... (1s, 0a, 0r)": True,
        "Clear Cache": False}


def test_match_unmatched_offline_shows_the_toast_and_sends_nothing(host, server, library):
    host.set_online(False)
    read_book(host, library[0])
    server.reset_state()
    host.tap_menu(*MANAGE, "Match Unmatched Books")
    host.run_until_idle()
    assert host.toasts[-1] == "No network connection"
    assert server.request_log == []
    assert "Match Unmatched Books (1)" in labels(host, *MANAGE)


def test_lua_error_in_a_handler_is_logged_and_the_plugin_keeps_working(host, library):
    host.set_online(False)
    host.lua.execute("local core = package.loaded['bookloresync/core']\n"
                     "saved_page_turned = core.page_turned\n"
                     "core.page_turned = function() error('simulated failure') end")
    read_book(host, library[0])
    assert any("An error occurred while executing handler" in line and "onPageUpdate" in line
               for line in host.logs)
    host.lua.execute("package.loaded['bookloresync/core'].page_turned = saved_page_turned")
    read_book(host, library[1])
    assert "Sync Pending Now (1s, 0a, 0r)" in labels(host, *MANAGE)


def test_python_exception_in_the_core_is_a_result_not_a_crash(host, library, monkeypatch,
                                                              caplog):
    from python_core.store import item_queues
    monkeypatch.setattr(item_queues, "counts", lambda conn: 1 / 0)
    assert labels(host, *MANAGE)["Sync Pending Now"] is False
    assert "ZeroDivisionError" in caplog.text
    monkeypatch.undo()
    host.set_online(False)
    read_book(host, library[0])
    assert "Sync Pending Now (1s, 0a, 0r)" in labels(host, *MANAGE)


def test_restart_over_the_same_database_keeps_the_queue(settings, library):
    with HeadlessHost(settings) as first:
        read_book(first, library[0])
        read_book(first, library[1])
    with HeadlessHost(settings) as second:
        assert "Sync Pending Now (2s, 0a, 0r)" in labels(second, *MANAGE)
