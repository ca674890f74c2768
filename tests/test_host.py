"""The headless KOReader host (bridge.host), driven through tests/fixtures/plugins/testplugin."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from bridge import HeadlessHost, LuaError

FIXTURE_PLUGINS = Path(__file__).parent / "fixtures" / "plugins"
START = 1_767_225_600.0


class FakeCore:
    """A core that records what the plugin tells it; `sync` can be held on a gate."""

    def __init__(self) -> None:
        self.events: list[tuple] = []
        self.pending = 2
        self.gate: threading.Event | None = None
        self.sync_threads: list[str] = []

    def sync_calls(self):
        return {"record": self.record, "counts": self.counts}

    def async_calls(self):
        return {"sync": self.sync}

    def record(self, kind, *args):
        self.events.append((kind, *args))
        return {"ok": True}

    def counts(self):
        return {"pending": self.pending, "sessions": 3, "ratings": 0}

    def sync(self, file):
        self.sync_threads.append(threading.current_thread().name)
        if self.gate is not None:
            assert self.gate.wait(5)
        return {"ok": True, "message": f"Synced {Path(file).name}"}

    def kinds(self) -> list[str]:
        return [event[0] for event in self.events]

    def last(self, kind: str) -> tuple:
        return [event for event in self.events if event[0] == kind][-1]


@pytest.fixture
def core():
    fake = FakeCore()
    yield fake
    if fake.gate is not None:
        fake.gate.set()


@pytest.fixture
def host(tmp_path, core):
    with HeadlessHost(tmp_path / "settings", plugins_dir=FIXTURE_PLUGINS, core=core) as headless:
        yield headless


def texts(nodes):
    return [node["text"] for node in nodes]


def top(host):
    return host.screen()[-1]


# Loading ---------------------------------------------------------------------------


def test_plugin_starts_in_the_file_manager_named_after_its_folder(host, core):
    assert core.events[0] == ("init", "testplugin", False, "Test Plugin")
    assert host.lua.eval('require("pluginloader"):getPluginInstance("testplugin").name') == "filemanagertestplugin"
    assert host.lua.eval('require("pluginloader").enabled_plugins[1].description') == "Exercises the headless KOReader host."
    assert host.lua.eval('type(require("pluginloader").enabled_plugins[1].onReaderReady)') == "table"
    assert "WARNING booklore_sync.lua: Ignoring name in _meta.lua of plugin testplugin" in host.logs
    assert [window["type"] for window in host.screen()] == ["FileManager"]


def test_menu_entry_lands_in_tools_after_more_tools(host):
    assert texts(host.menu()["children"]) == ["More tools", "Test Plugin"]


def test_loader_follows_koreader_rules(tmp_path, core):
    extra = tmp_path / "plugins"
    write_plugin(extra, "disabledone", "return { disabled = true }")
    write_plugin(extra, "broken", 'error("cannot load")')
    write_plugin(extra, "failinit", simple_plugin("function P:init() error('init failed') end"))
    write_plugin(extra, "badmenu", simple_plugin(
        "function P:init() self.ui.menu:registerToMainMenu(self) end\n"
        "function P:addToMainMenu(items) error('menu failed') end"))
    write_plugin(extra, "nohint", menu_plugin("No hint", None))
    write_plugin(extra, "extratool", menu_plugin("Extra tool", "more_tools"))
    write_plugin(extra, "readeronly", "return require('ui/widget/container/widgetcontainer'):extend{ is_doc_only = true }")
    with HeadlessHost(tmp_path / "settings", plugins_dir=[FIXTURE_PLUGINS, extra], core=core) as host:
        names = host.lua.eval('(function() local t = {} for i, p in ipairs(require("pluginloader").enabled_plugins) '
                              'do t[i] = p.name end return table.concat(t, ",") end)()')
        # Enabled plugins in KOReader's order: sorted by full path, so where the checkout
        # lives decides whether the fixture plugin comes first or last.
        roots = {"testplugin": FIXTURE_PLUGINS}
        enabled = ["badmenu", "extratool", "failinit", "nohint", "readeronly", "testplugin"]
        expected = sorted(enabled, key=lambda n: str(roots.get(n, extra) / f"{n}.koplugin"))
        assert names == ",".join(expected)
        tools = host.menu()["children"]
        assert texts(tools) == ["More tools", "Test Plugin"]
        assert texts(tools[0]["children"]) == ["Extra tool"]
        assert "NEW: No hint" in texts(host.menu(tab="filemanager_settings")["children"])
        logs = "\n".join(host.logs)
        assert "broken.koplugin/main.lua" in logs and "cannot load" in logs
        assert "Failed to initialize failinit plugin" in logs
        assert "failed to register widget filemanagerbadmenu" in logs
        loaded = 'require("pluginloader"):isPluginLoaded("readeronly")'
        assert host.lua.eval(loaded) is False
        host.open_book(tmp_path / "book.epub")
        assert host.lua.eval(loaded) is True


def write_plugin(root: Path, name: str, main: str) -> None:
    folder = root / f"{name}.koplugin"
    folder.mkdir(parents=True)
    (folder / "main.lua").write_text(main)
    (folder / "_meta.lua").write_text(f'return {{ fullname = "{name} plugin" }}')


def simple_plugin(body: str) -> str:
    return ('local WidgetContainer = require("ui/widget/container/widgetcontainer")\n'
            f"local P = WidgetContainer:extend{{}}\n{body}\nreturn P\n")


def menu_plugin(text: str, hint: str | None) -> str:
    hint_field = f', sorting_hint = "{hint}"' if hint else ""
    return simple_plugin(
        "function P:init() self.ui.menu:registerToMainMenu(self) end\n"
        f'function P:addToMainMenu(items) items.{text.replace(" ", "_").lower()} = {{ text = "{text}"{hint_field} }} end')


# Menus -----------------------------------------------------------------------------


def test_menu_labels_and_greying_are_evaluated_each_time(host, core):
    first = host.menu_entry("Test Plugin", "Sync Pending Now")
    assert (first["text"], first["enabled"]) == ("Sync Pending Now (2)", True)
    core.pending = 0
    again = host.menu_entry("Test Plugin", "Sync Pending Now")
    assert (again["text"], again["enabled"]) == ("Sync Pending Now (0)", False)


def test_greyed_entries_and_greyed_submenus_ignore_taps(host, core):
    assert host.menu_entry("Test Plugin", "Settings", "Greyed")["enabled"] is False
    assert host.tap_menu("Test Plugin", "Settings", "Greyed") is False
    assert host.tap_menu("Test Plugin", "Locked", "Inside") is False
    assert "greyed_tapped" not in core.kinds() and "inside_tapped" not in core.kinds()


def test_checkable_entry_toggles_keeps_menu_open_and_persists(host, tmp_path):
    assert host.menu_entry("Test Plugin", "Auto sync")["checked"] is False
    assert host.tap_menu("Test Plugin", "Auto sync") is True
    assert host.menu_open is True
    assert host.menu_entry("Test Plugin", "Auto sync")["checked"] is True
    assert "auto_sync" in (tmp_path / "settings" / "testplugin.lua").read_text()


def test_labels_match_exactly_first_then_by_unique_prefix(host):
    host.tap_menu("Test Plugin", "Settings", "Server")  # "Server URL" shares the prefix
    assert top(host)["title"] == "Server"
    host.dismiss()
    with pytest.raises(LookupError, match="ambiguous"):
        host.tap_menu("Test Plugin", "Settings", "Se")
    with pytest.raises(LookupError, match='no "Nope" among: .*"Server URL"'):
        host.tap_menu("Test Plugin", "Settings", "Nope")


def test_input_dialog_takes_typed_text(host, core):
    host.tap_menu("Test Plugin", "Settings", "Server")
    assert host.menu_open is True  # keep_menu_open
    dialog = top(host)
    assert (dialog["type"], dialog["input"]) == ("InputDialog", "")
    assert [button["text"] for button in dialog["buttons"][0]] == ["Cancel", "Save"]
    host.type_text("https://books.example")
    assert host.tap_button("Save") is True
    assert core.last("server") == ("server", "https://books.example")
    assert top(host)["type"] == "FileManager"


def test_tap_input_entry_opens_koreaders_input_dialog(host):
    host.tap_menu("Test Plugin", "Settings", "Server URL")
    assert host.menu_open is False  # no keep_menu_open: KOReader closes the menu first
    assert top(host)["title"] == "Server URL"
    host.type_text("")
    host.tap_button("OK")  # an empty text is ignored unless allow_blank_input
    assert top(host)["title"] == "Server URL"
    host.type_text("https://x.example")
    host.tap_button("OK")
    url = host.lua.eval('require("pluginloader"):getPluginInstance("testplugin").settings:readSetting("url")')
    assert url == "https://x.example"
    assert top(host)["type"] == "FileManager"


def test_confirm_box_runs_the_chosen_callback_and_closes(host, core):
    host.tap_menu("Test Plugin", "Confirm")
    assert host.menu_open is False
    box = top(host)
    assert (box["type"], box["text"]) == ("ConfirmBox", "Really?")
    assert [b["text"] for b in box["buttons"][0]] == ["Cancel", "Yes"]
    host.tap_button("Yes")
    host.tap_menu("Test Plugin", "Confirm")
    host.tap_button("Cancel")
    assert [e for e in core.events if e[0] == "confirmed"] == [("confirmed", True), ("confirmed", False)]
    assert top(host)["type"] == "FileManager"


def test_button_dialog_with_check_buttons(host, core):
    host.tap_menu("Test Plugin", "Clear")
    dialog = top(host)
    assert (dialog["type"], dialog["title"]) == ("ButtonDialog", "Clear pending items")
    assert dialog["checks"] == [
        {"text": "sessions (3)", "checked": True, "enabled": True},
        {"text": "ratings (0)", "checked": False, "enabled": False},
    ]
    assert host.toggle_check("ratings") is False
    assert host.toggle_check("sessions") is True
    assert top(host)["buttons"][0][1] == {"text": "Clear Selected", "enabled": False}
    assert host.tap_button("Clear Selected") is False
    host.toggle_check("sessions")
    assert host.tap_button("Clear Selected") is True
    assert core.last("clear") == ("clear", ["sessions"])


def test_info_message_timeout_closes_on_the_virtual_clock(host):
    host.tap_menu("Test Plugin", "Ping")
    assert host.toasts == ["Pong"] and top(host)["type"] == "InfoMessage"
    host.advance(1.9)
    assert top(host)["type"] == "InfoMessage"
    host.advance(0.1)
    assert top(host)["type"] == "FileManager"
    assert host.toasts == ["Pong"]


def test_dismiss_closes_the_topmost_dialog(host):
    host.tap_menu("Test Plugin", "Clear")
    assert host.dismiss() is True
    assert top(host)["type"] == "FileManager"
    with pytest.raises(LookupError, match="no way to be dismissed"):
        host.dismiss()


def test_multi_input_dialog_and_list_menu_widgets(host):
    host.lua.execute(
        'local UIManager = require("ui/uimanager")\n'
        'local Menu = require("ui/widget/menu")\n'
        'local MultiInputDialog = require("ui/widget/multiinputdialog")\n'
        "picked = nil\n"
        'UIManager:show(Menu:new{ title = "Results", item_table = {\n'
        '  { text = "Book A", callback = function() picked = "A" end },\n'
        '  { text = "Book B", select_enabled = false } } })\n'
        'login = MultiInputDialog:new{ title = "Login", fields = { { hint = "user" }, { hint = "password" } } }\n'
        "UIManager:show(login)\n")
    with pytest.raises(LookupError, match="several fields"):
        host.type_text("who?")
    host.type_text("ann", field=0)
    host.type_text("s3cret", field="password")
    assert host.lua.eval("table.concat(login:getFields(), '|')") == "ann|s3cret"
    host.dismiss()
    menu = top(host)
    assert [(item["text"], item["enabled"]) for item in menu["items"]] == [("Book A", True), ("Book B", False)]
    assert host.tap_button("Book B") is False
    assert host.tap_button("Book A") is True
    assert host.lua.eval("picked") == "A"


# Dispatcher and network -------------------------------------------------------------


def test_first_registration_of_an_action_wins(host):
    host.lua.execute('require("dispatcher"):registerAction("testplugin_sync", { category = "none", event = "Other" })')
    assert host.lua.eval('require("dispatcher").settingsList.testplugin_sync.event') == "TestPluginSync"


def test_events_go_to_the_topmost_dialog_not_to_the_ui_below(host, core):
    host.tap_menu("Test Plugin", "Confirm")
    host.dispatch("TestPluginSync")
    assert "sync_deferred" not in core.kinds()
    host.tap_button("Cancel")
    host.lua.execute('local N = require("ui/widget/notification")\n'
                     'N:notify("a toast", N.SOURCE_ALWAYS_SHOW)')
    host.dispatch("TestPluginSync")  # toasts never take events
    assert "sync_deferred" in core.kinds()
    assert host.toasts == ["a toast"]


def test_dispatch_by_event_name_or_action_id(host, core):
    host.dispatch("TestPluginSync")
    host.tap_button("Cancel")  # KOReader's "Do you want to turn on Wi-Fi?"
    host.dispatch("testplugin_sync")
    assert core.kinds().count("sync_deferred") == 2
    with pytest.raises(LookupError):
        host.dispatch("NoSuchAction")


def test_reader_only_action_is_ignored_in_the_file_manager(host, core, tmp_path):
    assert host.dispatch("testplugin_reader_only") is False
    assert "reader_only" not in core.kinds()
    host.open_book(tmp_path / "book.epub")
    assert host.dispatch("testplugin_reader_only") is True
    assert "reader_only" in core.kinds()


def test_will_rerun_when_connected_asks_for_wifi_and_runs_once_connected(host, core):
    host.dispatch("TestPluginSync")
    assert core.kinds()[-1] == "sync_deferred"
    prompt = host.screen()[-1]
    assert (prompt["type"], prompt["text"]) == ("ConfirmBox", "Do you want to turn on Wi-Fi?")
    host.tap_button("Turn on")
    assert host.network() == {"state": "off", "turn_on_requests": 1, "waiting": 1}
    host.set_online(True)  # KOReader broadcasts NetworkConnected, then calls back
    assert core.kinds()[-2:] == ["network_connected", "sync_started"]
    host.run_until_idle()
    assert core.last("sync_done")[1] == {"ok": True, "message": "Synced "}


def test_a_declined_wifi_prompt_drops_the_rerun(host, core):
    host.dispatch("TestPluginSync")
    host.tap_button("Cancel")
    host.set_online(True)
    assert "sync_started" not in core.kinds()
    assert host.network()["turn_on_requests"] == 0


def test_handler_error_is_logged_and_the_plugin_keeps_working(host, core):
    host.dispatch("TestPluginBoom")
    assert any("An error occurred while executing handler testplugin:onTestPluginBoom" in line
               and "boom from a handler" in line for line in host.logs)
    host.dispatch("TestPluginSync")
    assert core.kinds()[-1] == "sync_deferred"


# Background work ---------------------------------------------------------------------


def test_async_result_arrives_only_after_run_until_idle(tmp_path, core):
    with HeadlessHost(tmp_path / "settings", plugins_dir=FIXTURE_PLUGINS, core=core, online=True) as host:
        host.open_book(tmp_path / "novel.epub")
        host.dispatch("TestPluginSync")
        assert core.last("sync_started")[1] == {"ok": True, "started": True}
        host.advance(1)
        assert "sync_done" not in core.kinds()
        host.run_until_idle()
        assert core.last("sync_done")[1]["message"] == "Synced novel.epub"
        assert host.toasts == ["Synced novel.epub"]
        assert core.sync_threads[0].startswith("booklore-core")


def test_page_turns_are_handled_while_the_worker_is_busy(tmp_path, core):
    core.gate = threading.Event()
    with HeadlessHost(tmp_path / "settings", plugins_dir=FIXTURE_PLUGINS, core=core, online=True) as host:
        host.open_book(tmp_path / "novel.epub")
        host.dispatch("TestPluginSync")
        host.turn_page(3)
        assert [e[1] for e in core.events if e[0] == "page"] == [2, 3, 4]
        assert "sync_done" not in core.kinds()
        core.gate.set()
        host.run_until_idle()
        assert core.kinds().index("sync_done") > core.kinds().index("page")


def test_run_until_idle_gives_up_after_its_timeout(tmp_path, core):
    core.gate = threading.Event()
    with HeadlessHost(tmp_path / "settings", plugins_dir=FIXTURE_PLUGINS, core=core, online=True) as host:
        host.dispatch("TestPluginSync")
        with pytest.raises(TimeoutError):
            host.run_until_idle(timeout=0.2)
        core.gate.set()
        host.run_until_idle()
        assert "sync_done" in core.kinds()


# The reader ----------------------------------------------------------------------------


def test_open_book_gives_plugins_the_document_state(host, core, tmp_path):
    book = tmp_path / "scan.pdf"
    book.write_bytes(bytes(range(256)) * 4)
    host.open_book(book, title="Scan", identifiers=["ISBN:9780000000001", "urn:uuid:1"],
                   pages=50, page=5, rating=8, annotations=[{"text": "hi", "drawer": "lighten"}])
    ready = core.last("ready")[1]
    assert ready == {
        "file": str(book), "title": "Scan", "display_title": "Scan",
        "identifiers": "ISBN:9780000000001\nurn:uuid:1", "stored_identifiers": "ISBN:9780000000001\nurn:uuid:1",
        "md5": hashlib.md5(book.read_bytes()).hexdigest(), "rating": 8, "pages": 50, "paged": True,
        "page": 5, "annotations": 1, "now": int(START),
    }
    assert core.kinds()[-3:] == ["close_widget", "init", "ready"]  # file manager closed first
    assert [window["type"] for window in host.screen()] == ["ReaderUI"]


def test_page_turns_and_end_of_book(host, core, tmp_path):
    host.open_book(tmp_path / "short.epub", pages=3)
    host.turn_page(5)
    assert [e[1:] for e in core.events if e[0] == "page"] == [(2, 2 / 3), (3, 1.0)]
    assert core.kinds().count("end_of_book") == 3
    host.turn_page(-1)
    host.goto_percent(0.5)
    assert core.last("page") == ("page", 2, 0.5)
    assert host.book_state()["percent"] == 0.5


def test_close_sends_live_progress_then_stops_the_plugin_timers(host, core, tmp_path):
    host.open_book(tmp_path / "novel.epub", pages=200)
    host.advance(60)
    host.goto_percent(0.42)
    host.close_book()
    assert core.kinds()[-4:] == ["page", "close_document", "close_widget", "init"]
    assert core.last("close_document") == ("close_document", 0.42, 84)
    ticks = core.kinds().count("tick")
    host.advance(600)
    assert ticks == 1 and core.kinds().count("tick") == ticks
    with pytest.raises(LookupError, match="no book is open"):
        host.turn_page()


def test_reopening_a_book_restores_its_page(host, core, tmp_path):
    host.open_book(tmp_path / "novel.epub", page=10)
    host.close_book()
    host.open_book(tmp_path / "novel.epub")
    assert core.last("ready")[1]["page"] == 10


def test_lua_time_follows_the_virtual_clock(host, core):
    assert host.now() == START
    host.advance(90)
    assert host.now() == START + 90
    assert host.lua.eval("os.time()") == START + 90
    assert host.lua.eval("os.date('!%H:%M:%S')") == "00:01:30"
    assert host.lua.eval('require("ui/uimanager"):getTime()') == (START + 90) * 1_000_000


def test_suspend_and_resume_are_broadcast(host, core, tmp_path):
    host.open_book(tmp_path / "novel.epub")
    host.suspend()
    host.advance(3600)
    host.resume()
    assert [e for e in core.events if e[0] in ("suspend", "resume")] == [
        ("suspend", int(START)), ("resume", int(START) + 3600)]


def test_timers_run_in_order_and_unschedule_by_identity(host):
    host.lua.execute(
        'local UIManager = require("ui/uimanager")\n'
        "ran = {}\n"
        "local function note(name) ran[#ran + 1] = name end\n"
        "cancelled = function() note('cancelled') end\n"
        "UIManager:scheduleIn(5, note, 'five')\n"
        "UIManager:scheduleIn(1, note, 'one')\n"
        "UIManager:scheduleIn(3, cancelled)\n"
        "UIManager:nextTick(note, 'tick')\n"
        "UIManager:tickAfterNext(note, 'after next')\n"
        "removed = UIManager:unschedule(cancelled)\n")
    host.advance(10)
    assert host.lua.eval("table.concat(ran, ',')") == "tick,after next,one,five"
    assert host.lua.eval("removed") is True


def test_errors_in_plugin_callbacks_reach_the_caller(host):
    host.lua.execute('require("ui/uimanager"):nextTick(function() error("task failed") end)')
    with pytest.raises(LuaError, match="task failed"):
        host.advance(0)


def test_host_refuses_other_threads(host):
    with pytest.raises(RuntimeError, match="thread"):
        _call_from_other_thread(host.now)


def _call_from_other_thread(function):
    outcome = []

    def run():
        try:
            function()
        except BaseException as exc:  # handed back to the test thread
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if outcome:
        raise outcome[0]
