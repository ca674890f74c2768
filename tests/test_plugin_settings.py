"""Settings → Server and accounts, Session tracking and the toggles, through the plugin."""

import hashlib
import socket

from bridge import HeadlessHost
from python_core.facade import BookLoreSync
from tests.plugin_support import BOOKLORE, KOREADER, configure, labels, start_server

SERVER_MENU = ("BookLore Sync", "Settings", "Server and accounts")
TRACKING_MENU = ("BookLore Sync", "Settings", "Session tracking")


def stored_settings(settings_dir):
    core = BookLoreSync(settings_dir)
    values = core.settings()
    core.close()
    return values


def enter_account(host, entry, user, password):
    host.tap_menu(*SERVER_MENU, entry)
    host.type_text(user, field=0)
    host.type_text(password, field=1)
    host.tap_button("Save")


def test_settings_entered_in_the_menus_survive_a_restart_with_their_types(tmp_path, server):
    settings = tmp_path / "settings"
    with HeadlessHost(settings) as host:
        host.tap_menu(*SERVER_MENU, "Server")
        host.type_text(server.url + "/")
        host.tap_button("Save")
        enter_account(host, "KOReader account", "reader-ko", "012345")
        host.tap_menu(*TRACKING_MENU, "Minimum duration")
        host.type_text("45")
        host.tap_button("Save")
        host.tap_menu("BookLore Sync", "Settings", "Silent mode")
    with HeadlessHost(settings) as host:
        assert f"Server: {server.url}" in labels(host, *SERVER_MENU)
        assert "Minimum duration (seconds): 45" in labels(host, *TRACKING_MENU)
        assert host.menu("BookLore Sync", "Settings")["children"][3]["checked"] is True
    values = stored_settings(settings)
    assert values["password"] == ""  # only its key: md5 of the text "012345", not of 12345
    assert values["koreader_key"] == hashlib.md5(b"012345").hexdigest()
    assert values["min_duration"] == 45 and values["silent_mode"] is True


def test_password_fields_are_masked(tmp_path):
    with HeadlessHost(tmp_path / "settings") as host:
        host.tap_menu(*SERVER_MENU, "BookLore account")
        fields = host.screen()[-1]["fields"]
        assert [f.get("text_type") for f in fields] == [None, "password"]


def test_malformed_server_url_gets_a_clear_message_and_changes_nothing(tmp_path):
    with HeadlessHost(tmp_path / "settings") as host:
        host.tap_menu(*SERVER_MENU, "Server")
        host.type_text("books.example.org")
        host.tap_button("Save")
        assert "must start with http:// or https://" in host.toasts[-1]
        assert "Server: not set" in labels(host, *SERVER_MENU)


def test_empty_password_field_keeps_the_stored_password(tmp_path):
    settings = tmp_path / "settings"
    configure(settings, "https://books.example.org")
    with HeadlessHost(settings) as host:
        enter_account(host, "BookLore account", "someone-else", "")
    values = stored_settings(settings)
    assert values["booklore_username"] == "someone-else"
    assert values["booklore_password"] == BOOKLORE[1]


def run_test_connection(host):
    host.tap_menu(*SERVER_MENU, "Test Connection")
    host.run_until_idle()
    return [w for w in host.screen() if w["type"] == "InfoMessage"][-1]["text"]


def test_test_connection_all_good(tmp_path, server):
    configure(tmp_path / "settings", server.url)
    with HeadlessHost(tmp_path / "settings", online=True) as host:
        text = run_test_connection(host)
    *checks, core = text.splitlines()
    assert checks == [
        "Server: reachable (v2.1.0-koreader-plugin)",
        "KOReader account: OK",
        "BookLore account: OK",
        "Batch upload: available (either account): up to 100 sessions per request",
        "Find books by fingerprint: available (KOReader account): books are matched by "
        "their file's fingerprint",
        "Search by ISBN and title: available (BookLore account): matching searches the server",
        "Library listing: available, 4 books (BookLore account): books found by ISBN or file "
        "name when needed",
        "Read-back of stored sessions: available (BookLore account): uploads are exactly "
        "once: a session whose answer was lost is looked up on the server before it is sent "
        "again",
    ]
    assert core.startswith("Core: BookLore Sync 0.1.0, ") and core.endswith(
        "inside KOReader's process")


def test_test_connection_reports_a_wrong_password(tmp_path, server):
    configure(tmp_path / "settings", server.url, password="wrong", booklore_password="wrong")
    with HeadlessHost(tmp_path / "settings", online=True) as host:
        text = run_test_connection(host)
    assert "KOReader account: refused" in text
    assert "BookLore account: refused" in text and "wrong" not in text.replace("refused", "")


def test_test_connection_reports_an_unreachable_server(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    configure(tmp_path / "settings", f"http://127.0.0.1:{port}")
    with HeadlessHost(tmp_path / "settings", online=True) as host:
        text = run_test_connection(host)
    assert text.startswith("Cannot reach the server.")


def test_test_connection_reports_a_server_without_the_batch_endpoint(tmp_path, library):
    upstream, _ = start_server(library, flavour="upstream")
    configure(tmp_path / "settings", upstream.url)
    try:
        with HeadlessHost(tmp_path / "settings", online=True) as host:
            host.dispatch("booklore_test_connection")
            host.run_until_idle()
            text = [w for w in host.screen() if w["type"] == "InfoMessage"][-1]["text"]
    finally:
        upstream.stop()
    assert "Batch upload: not available (either account): uploads one session per request" \
        in text
    assert "Find books by fingerprint: not available (KOReader account): books are matched " \
        "by ISBN or file name from the library listing" in text
    assert "Library listing: available, 4 books (BookLore account)" in text


def test_test_connection_without_a_booklore_account_says_it_would_make_uploads_exactly_once(
        tmp_path, server):
    configure(tmp_path / "settings", server.url, booklore=False)
    with HeadlessHost(tmp_path / "settings", online=True) as host:
        text = run_test_connection(host)
    assert "BookLore account: not set" in text
    assert "Read-back of stored sessions: needs the BookLore account (not set): set the " \
        "BookLore account to make uploads exactly once" in text


def test_dispatcher_toggles_answer_with_a_notification_as_koreaders_own(tmp_path):
    with HeadlessHost(tmp_path / "settings") as host:
        host.dispatch("booklore_toggle_manual_sync")
        assert host.screen()[-1]["type"] == "Notification"  # a toast, nothing to tap away
        assert host.toasts[-1] == "Manual sync only: on"
        assert host.menu("BookLore Sync", "Settings")["children"][2]["checked"] is True
        host.dispatch("booklore_toggle_manual_sync")  # a toast never takes the next gesture
        assert host.toasts[-1] == "Manual sync only: off"
        host.dispatch("booklore_toggle_tracking")
        assert host.toasts[-1] == "Session tracking off"
        host.advance(2)
        assert [w["type"] for w in host.screen()] == ["FileManager"]


def test_dispatcher_toggles_follow_the_readers_notification_settings(tmp_path):
    with HeadlessHost(tmp_path / "settings") as host:
        host.set_reader_setting("notification_sources_to_show_mask", 0)  # "no notifications"
        host.dispatch("booklore_toggle_tracking")
        assert host.toasts == []
        assert host.menu("BookLore Sync", "Settings", "Session tracking",
                         "Track reading sessions")["checked"] is False


def test_koreader_account_written_through_the_menu_is_what_the_server_accepts(tmp_path,
                                                                              server):
    settings = tmp_path / "settings"
    configure(settings, server.url, password="old")
    with HeadlessHost(settings, online=True) as host:
        enter_account(host, "KOReader account", *KOREADER)
        assert "KOReader account: OK" in run_test_connection(host)


def test_a_changed_value_is_shown_as_soon_as_it_is_saved(tmp_path):
    """The menu redraws through the touch menu the tap came from (KOReader's tap_input would
    leave the old value on screen)."""
    with HeadlessHost(tmp_path / "settings") as host:
        host.tap_menu(*TRACKING_MENU, "Minimum pages")
        assert host.menu_open is True
        host.type_text("7")
        host.tap_button("Save")
        assert host.menu_redraws >= 1
        assert "Minimum pages: 7" in labels(host, *TRACKING_MENU)


def test_settings_the_core_cannot_read_are_left_out_of_the_labels(tmp_path, monkeypatch):
    """KOReader's template leaves "%1" in place for false and raises for true: a failed
    read must not reach it as a value."""
    from python_core.errors import StoreError
    from python_core.store import config_tables

    def unreadable(conn):
        raise StoreError("database disk image is malformed")
    with HeadlessHost(tmp_path / "settings") as host:
        monkeypatch.setattr(config_tables, "all_settings", unreadable)
        assert list(labels(host, *SERVER_MENU))[0] == "Server"
        tracking = list(labels(host, *TRACKING_MENU))
        assert "Minimum duration (seconds)" in tracking and "Minimum pages" in tracking
        assert not [label for label in tracking if "%" in label or "false" in label]
        host.tap_menu(*TRACKING_MENU, "Minimum pages")
        assert host.screen()[-1]["input"] == ""
