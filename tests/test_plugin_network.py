"""No plugin path waits on the network on the UI thread, in KOReader's terms.

On a device, `NetworkMgr:isOnline()` resolves a host name: seconds of frozen screen on a
bad Wi-Fi. The host's NetworkMgr charges that time to the virtual clock and records the
call with its Lua traceback (`HeadlessHost.ui_stalls`); conftest checks every test's
hosts for such calls from plugin code, and this module walks every plugin path that can
lead to the network in each of the three network states.
"""

import pytest

from bridge import HeadlessHost
from tests.plugin_support import MANAGE, configure, read_book

DISPATCHER_EVENTS = ("SyncBooklorePending", "BookloreToggleTracking",
                     "BookloreToggleManualSync", "BookloreToggleManualSync",
                     "BookloreToggleTracking", "BookloreTestConnection")

BLOCKING_PLUGIN = '''
local NetworkMgr = require("ui/network/manager")
local WidgetContainer = require("ui/widget/container/widgetcontainer")
local Blocking = WidgetContainer:extend{ name = "blocking", is_doc_only = false }
function Blocking:onCloseDocument()
    if NetworkMgr:willRerunWhenOnline(function() end) then return end
end
return Blocking
'''


def close_dialogs(host):
    """Answer whatever is open the way a hurried reader would: the first way out."""
    for _ in range(10):
        window = [w for w in host.screen() if w["type"] != "Notification"][-1]  # toasts pass
        if window["type"] in ("FileManager", "ReaderUI"):
            return
        if window["type"] == "ConfirmBox" and window["text"].startswith("No new matches"):
            host.tap_button("Yes")  # into the manual walk: search, results, confirm
        elif window["type"] == "Menu":
            host.tap_button(window["items"][0]["text"])
        elif not host.dismiss():
            host.tap_button(window["buttons"][0][0]["text"])
        host.run_until_idle()


def every_path(host, library):
    """Open, read, close, sleep and wake, lose and find the network, every menu entry and
    dispatcher action that can reach the server, the manual matching walk, the long-press
    dialog's Match Book (both ways) and the tracking switch in both places."""
    host.open_book(library[4].path, title=library[4].title)  # unknown to the server
    for _ in range(5):
        host.advance(30)
        host.turn_page()
    host.suspend()
    host.advance(600)
    host.resume()
    host.advance(20)  # the deferred resume sync
    host.close_book()
    read_book(host, library[0])
    for event in DISPATCHER_EVENTS:
        host.dispatch(event)
        close_dialogs(host)
    for choice in ("Search by title", "Enter BookLore book ID"):  # Match Book, both ways
        host.long_press(library[2].path)
        host.tap_button("Match Book")
        if host.screen()[-1]["type"] == "ButtonDialog":  # connected: the two ways
            host.tap_button(choice)
            if host.screen()[-1]["type"] == "InputDialog":
                host.type_text("1")
                host.tap_button("Look up")
        host.run_until_idle()
        close_dialogs(host)
    host.long_press(library[2].path)
    host.tap_button("Don't track this book")
    close_dialogs(host)
    host.open_book(library[2].path, title=library[2].title)
    host.tap_menu("BookLore Sync", "Track this book")
    close_dialogs(host)
    host.close_book()
    for path in (("BookLore Sync", "Sync Now"), (*MANAGE, "Sync Pending Now"),
                 (*MANAGE, "Match Unmatched Books"),
                 ("BookLore Sync", "Settings", "Server and accounts", "Test Connection")):
        host.tap_menu(*path)
        host.run_until_idle()
        close_dialogs(host)
    host.run_until_idle()


@pytest.mark.parametrize("state", ["off", "connected", "online"])
def test_no_plugin_path_blocks_on_the_network(tmp_path, server, library, state):
    configure(tmp_path / "settings", server.url)
    with HeadlessHost(tmp_path / "settings") as host:
        host.set_network(state)
        started = host.now()
        every_path(host, library)
        for back_and_forth in ("off", "online", "connected", "off", state):
            host.set_network(back_and_forth)
            host.run_until_idle()
        elapsed = host.now() - started
        assert host.ui_stalls == []
    # Only the test moved the clock: 5 x 30 s of reading, 600 s asleep, 20 s after waking,
    # 10 x 30 s for the second book; a blocking lookup would have added its seconds.
    assert elapsed == 5 * 30 + 600 + 20 + 10 * 30


def test_a_blocking_call_from_a_plugin_is_caught_with_where_it_came_from(tmp_path, core_stub):
    plugin = tmp_path / "plugins" / "blocking.koplugin"
    plugin.mkdir(parents=True)
    (plugin / "main.lua").write_text(BLOCKING_PLUGIN)
    (plugin / "_meta.lua").write_text('return { name = "blocking", fullname = "Blocking" }')
    with HeadlessHost(tmp_path / "settings", plugins_dir=tmp_path / "plugins",
                      core=core_stub) as host:
        host.set_network("connected")  # a captive portal: the lookup waits for timeouts
        host.open_book(tmp_path / "book.epub")
        before = host.now()
        host.close_book()
        after = host.now()
        [stall] = host.ui_stalls
        host.lua.execute('require("ui/network/manager")._stalls = {}')  # seen; not a failure
    assert stall["call"] == "isOnline"
    assert stall["seconds"] == 10
    assert "blocking.koplugin/main.lua" in stall["traceback"]
    assert after - before == 10  # the screen was frozen that long


@pytest.fixture
def core_stub():
    class Core:
        def sync_calls(self):
            return {}

        def async_calls(self):
            return {}
    return Core()

