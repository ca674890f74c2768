"""The host's KOReader modules behave as KOReader's own, for everything the plugin uses.

A plugin that works only because a stand-in is kinder than KOReader fails on a device.
So every KOReader function the plugin calls has an entry below: where KOReader defines it
(read in koreader `fc88887` and koreader-base `ab4cb58`, never copied: KOReader is AGPL),
what it does there, and Lua that checks the host's module does the same: arguments,
return values, errors, order of callbacks.

Three tests keep the list honest:
- each entry's check passes against the host's modules;
- the plugin's Lua calls no KOReader function (or method) that no entry covers;
- the plugin passes no widget, menu entry or dispatcher action a field that KOReader's
  real widget does not read (the walk of every plugin path records what it passes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from bridge import HeadlessHost
from tests.plugin_support import MANAGE, configure, read_book
from tests.test_plugin_network import every_path

PLUGIN_DIR = Path(__file__).resolve().parent.parent / "lua_plugin" / "bookloresync.koplugin"


@dataclass(frozen=True)
class Behaviour:
    calls: tuple[str, ...]  # as the plugin writes them: "UIManager:show", "T(", ":getFields"
    real: str               # where KOReader defines it
    says: str               # what KOReader's module does
    check: str              # Lua run in the host; `eq`, `fails`, `events` come from PRELUDE


PRELUDE = r"""
local UIManager = require("ui/uimanager")
local NetworkMgr = require("ui/network/manager")
local clock = require("headless/clock")
local function eq(actual, expected, what)
    if actual ~= expected then
        error(string.format("%s: expected %q, got %q", what or "value",
                            tostring(expected), tostring(actual)), 2)
    end
end
local function fails(pattern, fn, ...)
    local ok, err = pcall(fn, ...)
    if ok then error("expected an error matching " .. pattern, 2) end
    if not tostring(err):find(pattern) then error("wrong error: " .. tostring(err), 2) end
end
local function run(seconds) UIManager:_runTasksUntil(clock.now + (seconds or 0)) end
local function top() return UIManager:getTopmostVisibleWidget() end
local function pressed(dialog, label)
    for _, button in ipairs(dialog:listButtons()) do
        if dialog.buttonText(button) == label then return dialog:pressButton(button) end
    end
    error("no button " .. label, 2)
end
"""

BEHAVIOURS = [
    # ffi/util (koreader-base ffi/util.lua, util.template) --------------------------------
    Behaviour(("T(",), "koreader-base ffi/util.lua util.template",
              "markers %1..%99 take the values by position; strings and numbers go in as text",
              r"""
              local T = require("ffi/util").template
              eq(T("%1 of %2", 3, "x"), "3 of x")
              eq(T("%2%1", "a", 0.5), "0.5a")
              eq(T("%1 %10", 1, 2, 3, 4, 5, 6, 7, 8, 9, "ten"), "1 ten", "two-digit marker")
              eq(select("#", T("%1", "a")), 1, "one result, not gsub's count")
              """),
    Behaviour(("T(",), "koreader-base ffi/util.lua util.template",
              "a nil or false value leaves its marker in the text",
              r"""
              local T = require("ffi/util").template
              eq(T("Server: %1", false), "Server: %1")
              eq(T("%1: %2", "Minimum pages", nil), "Minimum pages: %2")
              """),
    Behaviour(("T(",), "koreader-base ffi/util.lua util.template",
              "true or a table raises gsub's 'invalid replacement value'",
              r"""
              local T = require("ffi/util").template
              fails("invalid replacement value %(a boolean%)", T, "%1", true)
              fails("invalid replacement value %(a table%)", T, "%1", {})
              """),
    Behaviour(("T(",), "koreader-base ffi/util.lua util.template",
              "with no values the text comes back unchanged, markers and all",
              r"""
              local T = require("ffi/util").template
              eq(T("100%1"), "100%1")
              eq(T("%0 and %1", "x"), "%0 and x", "%0 is not a marker")
              """),
    # gettext, logger --------------------------------------------------------------------
    Behaviour(("_(",), "frontend/gettext.lua GetText_mt.__call",
              "without a catalogue, the message itself",
              r"""
              local _ = require("gettext")
              eq(_("Sync Now"), "Sync Now")
              """),
    Behaviour(("logger.info", "logger.warn", "logger.dbg", "logger.err"),
              "frontend/logger.lua (log functions per level)",
              "any number of values of any type, nil and tables included; never raises",
              r"""
              local logger = require("logger")
              logger.info("BookLoreSync:", nil, 3, { a = 1 }, true)
              logger.warn("BookLoreSync:", nil)
              logger.dbg("BookLoreSync:", nil, { a = 1 })
              logger.err("BookLoreSync:", 3, nil)
              """),
    # DataStorage ----------------------------------------------------------------------------
    Behaviour(("DataStorage:getSettingsDir",), "frontend/datastorage.lua getSettingsDir",
              "the settings folder as a path string without a trailing slash; the same on "
              "every call",
              r"""
              local DataStorage = require("datastorage")
              local dir = DataStorage:getSettingsDir()
              eq(type(dir), "string")
              eq(dir:sub(-1) ~= "/", true, "no trailing slash")
              eq(DataStorage:getSettingsDir(), dir)
              """),
    # Dispatcher ---------------------------------------------------------------------------
    Behaviour(("Dispatcher:registerAction",), "frontend/dispatcher.lua Dispatcher:registerAction",
              "the first registration of a name wins; answers true; the action's event is "
              "sent to the UI when it runs",
              r"""
              local Dispatcher = require("dispatcher")
              local first = { category = "none", event = "FidelityFirst", title = "1", general = true }
              eq(Dispatcher:registerAction("fidelity_action", first), true)
              eq(Dispatcher:registerAction("fidelity_action", { category = "none", event = "Other",
                 title = "2", general = true }), true)
              eq(Dispatcher.settingsList.fidelity_action, first, "first wins")
              local seen
              local ui = require("apps/filemanager/filemanager").instance
              ui.onFidelityFirst = function() seen = true return true end
              Dispatcher:execute({ fidelity_action = true })
              ui.onFidelityFirst = nil
              eq(seen, true, "event sent")
              """),
    Behaviour(("Notification:notify",), "frontend/dispatcher.lua Dispatcher:execute",
              "while actions run, Notification's source is SOURCE_DISPATCHER; afterwards "
              "SOURCE_OTHER",
              r"""
              local Dispatcher = require("dispatcher")
              local Notification = require("ui/widget/notification")
              local during
              Dispatcher:registerAction("fidelity_source", { category = "none",
                  event = "FidelitySource", title = "s", general = true })
              local ui = require("apps/filemanager/filemanager").instance
              ui.onFidelitySource = function() during = Notification:getNotifySource() return true end
              Dispatcher:execute({ fidelity_source = true })
              ui.onFidelitySource = nil
              eq(during, Notification.SOURCE_DISPATCHER)
              eq(Notification:getNotifySource(), Notification.SOURCE_OTHER)
              """),
    # Notification -------------------------------------------------------------------------
    Behaviour(("Notification:notify",), "frontend/ui/widget/notification.lua Notification:notify",
              "shows a toast only when the source is in the reader's mask (by default the "
              "dispatcher, not SOURCE_OTHER) or is SOURCE_ALWAYS_SHOW; answers whether it did",
              r"""
              local Notification = require("ui/widget/notification")
              local shown = #UIManager._toasts
              Notification:setNotifySource(nil)
              eq(Notification:notify("no source yet"), false)
              eq(Notification:notify("from a gesture", Notification.SOURCE_DISPATCHER), true)
              eq(Notification:notify("from elsewhere", Notification.SOURCE_OTHER), false)
              eq(Notification:notify("always", Notification.SOURCE_ALWAYS_SHOW), true)
              G_reader_settings:saveSetting("notification_sources_to_show_mask", Notification.SOURCE_NONE)
              eq(Notification:notify("muted", Notification.SOURCE_DISPATCHER), false)
              G_reader_settings:delSetting("notification_sources_to_show_mask")
              eq(#UIManager._toasts - shown, 2)
              eq(top() ~= nil and top().toast, nil, "a toast is never the topmost window")
              run(2)
              eq(UIManager._window_stack[#UIManager._window_stack].widget.toast, nil,
                 "gone after its 2 s")
              """),
    Behaviour(("Notification:new",), "frontend/ui/widget/notification.lua init/onShow/"
              "onGesture, frontend/ui/uimanager.lua UIManager:sendEvent",
              "shown with UIManager:show it appears whatever the mask, closes itself after "
              "`timeout` seconds, and input (a gesture, a key) closes it without being "
              "consumed: UIManager:sendEvent hands it on to the window below",
              r"""
              local Notification = require("ui/widget/notification")
              local Event = require("ui/event")
              local shown = #UIManager._toasts
              G_reader_settings:saveSetting("notification_sources_to_show_mask", Notification.SOURCE_NONE)
              local toast = Notification:new{ text = "Uploading… 1 of 2", timeout = 10 }
              UIManager:show(toast)
              G_reader_settings:delSetting("notification_sources_to_show_mask")
              eq(#UIManager._toasts - shown, 1, "shown regardless of the mask")
              run(9)
              eq(UIManager:isWidgetShown(toast), true, "still there before its timeout")
              run(1)
              eq(UIManager:isWidgetShown(toast), false, "gone after its timeout")
              local ui = require("apps/filemanager/filemanager").instance
              local below
              ui.onGesture = function(_, ges) below = ges.direction return true end
              toast = Notification:new{ text = "t", timeout = 10 }
              UIManager:show(toast)
              UIManager:sendEvent(Event:new("Gesture", { ges = "swipe", direction = "west" }))
              ui.onGesture = nil
              eq(UIManager:isWidgetShown(toast), false, "closed by the swipe")
              eq(below, "west", "the swipe went on to the window below")
              """),
    # FileManager's long-press dialog --------------------------------------------------------
    Behaviour((":addFileDialogButtons", ":removeFileDialogButtons"),
              "frontend/apps/filemanager/filemanager.lua addFileDialogButtons/"
              "removeFileDialogButtons, file_chooser:showFileDialog",
              "rows are kept per row id in the order added (a second add of an id is "
              "ignored); each long-press calls row_func(file, is_file, book_props) and shows "
              "its row after KOReader's own unless it answers nil; book_props is nil for a "
              "book never opened; removing shifts the others and the last removal leaves "
              "no table; the dialog is file_chooser.file_dialog, a ButtonDialog titled with "
              "the file name",
              r"""
              local fm = require("apps/filemanager/filemanager").instance
              local calls = {}
              local before = fm.file_dialog_added_buttons and #fm.file_dialog_added_buttons or 0
              fm:addFileDialogButtons("fidelity_a", function(file, is_file, props)
                  table.insert(calls, { file, is_file, props })
                  return { { text = "A", callback = function() end } }
              end)
              fm:addFileDialogButtons("fidelity_a", function() error("a second add must be ignored") end)
              fm:addFileDialogButtons("fidelity_nil", function() return nil end)
              fm:addFileDialogButtons("fidelity_b", function()
                  return { { text = "B", callback = function() end } }
              end)
              fm.file_chooser:showFileDialog({ path = "/books/never opened.epub", is_file = true })
              local dialog = fm.file_chooser.file_dialog
              eq(top(), dialog, "shown")
              eq(dialog.title, "never opened.epub")
              local rows = dialog:getButtonRows()
              eq(rows[#rows - 1][1].text, "A", "added rows come last, in order")
              eq(rows[#rows][1].text, "B", "a nil row is left out")
              eq(calls[1][1], "/books/never opened.epub")
              eq(calls[1][2], true)
              eq(calls[1][3], nil, "no book_props for a book never opened")
              UIManager:close(dialog)
              fm:removeFileDialogButtons("fidelity_a")
              fm:removeFileDialogButtons("fidelity_a")
              local shifted = before + 2
              eq(fm.file_dialog_added_buttons.index.fidelity_b, shifted, "indexes shift down")
              fm:removeFileDialogButtons("fidelity_nil")
              fm:removeFileDialogButtons("fidelity_b")
              if before > 0 then
                  eq(#fm.file_dialog_added_buttons, before, "only the others are left")
              else
                  eq(fm.file_dialog_added_buttons, nil, "no table after the last removal")
              end
              """),
    # UIManager ------------------------------------------------------------------------------
    Behaviour(("UIManager:show", "UIManager:close"), "frontend/ui/uimanager.lua UIManager:show/close",
              "nil is ignored by both; close sends FlushSettings then CloseWidget before the "
              "widget leaves the stack, and sends them even to a widget that is not shown",
              r"""
              UIManager:show(nil)
              UIManager:close(nil)
              local Widget = require("ui/widget/container/widgetcontainer")
              local heard = {}
              local w = Widget:new{}
              function w:onFlushSettings() table.insert(heard, "flush") end
              function w:onCloseWidget()
                  table.insert(heard, UIManager:isWidgetShown(self) and "close while shown" or "close")
              end
              UIManager:close(w)
              eq(table.concat(heard, ","), "flush,close", "not shown")
              heard = {}
              UIManager:show(w)
              UIManager:close(w)
              eq(table.concat(heard, ","), "flush,close while shown", "shown")
              eq(UIManager:isWidgetShown(w), false)
              """),
    Behaviour(("UIManager:show",), "frontend/ui/uimanager.lua UIManager:show",
              "toasts stay above modal windows, modal windows above the rest",
              r"""
              local InfoMessage = require("ui/widget/infomessage")
              local Notification = require("ui/widget/notification")
              local toast = Notification:new{ text = "t" }
              local modal = InfoMessage:new{ text = "m" }
              UIManager:show(toast)
              UIManager:show(modal)
              local stack = UIManager._window_stack
              eq(stack[#stack].widget, toast, "toast on top")
              eq(stack[#stack - 1].widget, modal, "modal below it")
              eq(top(), modal, "the topmost visible window is the modal one")
              UIManager:close(toast)
              UIManager:close(modal)
              """),
    Behaviour(("UIManager:scheduleIn", "UIManager:nextTick"),
              "frontend/ui/uimanager.lua UIManager:schedule/scheduleIn/nextTick",
              "runs the action with its arguments after the delay (nextTick: at the next tick); "
              "tasks due at the same time run first in, first out; a negative delay fails "
              "KOReader's debug guard",
              r"""
              local order = {}
              UIManager:scheduleIn(5, function(a, b) table.insert(order, a .. b) end, "x", "y")
              UIManager:nextTick(function(a) table.insert(order, a) end, "tick1")
              UIManager:nextTick(function() table.insert(order, "tick2") end)
              run(0)
              eq(table.concat(order, ","), "tick1,tick2")
              run(4.9)
              eq(#order, 2, "not yet")
              run(0.1)
              eq(order[3], "xy")
              fails("", function() UIManager:scheduleIn(-1, function() end) end)
              """),
    Behaviour(("UIManager:unschedule",), "frontend/ui/uimanager.lua UIManager:unschedule",
              "removes every pending task with that action (by identity); answers whether "
              "it removed any",
              r"""
              local ran = 0
              local task = function() ran = ran + 1 end
              UIManager:scheduleIn(1, task)
              UIManager:scheduleIn(2, task)
              eq(UIManager:unschedule(task), true)
              eq(UIManager:unschedule(task), false)
              run(3)
              eq(ran, 0)
              """),
    # NetworkMgr (frontend/ui/network/manager.lua) ---------------------------------------------
    Behaviour(("NetworkMgr:isConnected",), "frontend/ui/network/manager.lua isConnected "
              "(per device: ifHasAnAddress on Kobo/Kindle, inkview on PocketBook, JNI on Android)",
              "reads interface state: answers at once, a boolean",
              r"""
              local before = clock.now
              NetworkMgr:_setState("off")
              eq(NetworkMgr:isConnected(), false)
              NetworkMgr:_setState("connected")
              eq(NetworkMgr:isConnected(), true)
              NetworkMgr:_setState("online")
              eq(NetworkMgr:isConnected(), true)
              eq(clock.now, before, "no time passed")
              eq(#NetworkMgr._stalls, 0)
              """),
    Behaviour(("NetworkMgr:isOnline",), "frontend/ui/network/manager.lua isOnline -> "
              "canResolveHostnames (socket.dns.toip)",
              "resolves a host name: blocks for the lookup (the resolver's timeouts when "
              "connected without a way out); true only when the name resolves",
              r"""
              NetworkMgr:_setState("connected")
              local before = clock.now
              eq(NetworkMgr:isOnline(), false)
              eq(clock.now - before, 10, "two 5 s resolver timeouts")
              NetworkMgr:_setState("online")
              eq(NetworkMgr:isOnline(), true)
              eq(#NetworkMgr._stalls, 2)
              eq(NetworkMgr._stalls[1].call, "isOnline")
              NetworkMgr._stalls = {}
              """),
    Behaviour(("NetworkMgr:willRerunWhenConnected",),
              "frontend/ui/network/manager.lua willRerunWhenConnected, beforeWifiAction, "
              "promptWifiOn, connectivityCheck",
              "connected: false, nothing else. Not connected: true; by default KOReader asks "
              "'Do you want to turn on Wi-Fi?' ('Turn on'); once connected it broadcasts "
              "NetworkConnected and then calls back",
              r"""
              NetworkMgr:_setState("connected")
              local ran = 0
              eq(NetworkMgr:willRerunWhenConnected(function() ran = ran + 1 end), false)
              eq(ran, 0)
              NetworkMgr:_setState("off")
              local order = {}
              local ui = require("apps/filemanager/filemanager").instance
              ui.onNetworkConnected = function() table.insert(order, "event") end
              eq(NetworkMgr:willRerunWhenConnected(function() table.insert(order, "rerun") end), true)
              local prompt = top()
              eq(prompt.text, "Do you want to turn on Wi-Fi?")
              pressed(prompt, "Turn on")
              eq(#order, 0, "waits for the connection")
              NetworkMgr:_setState("online")
              ui.onNetworkConnected = nil
              eq(table.concat(order, ","), "event,rerun")
              """),
    Behaviour(("NetworkMgr:willRerunWhenConnected",),
              "frontend/ui/network/manager.lua beforeWifiAction with wifi_enable_action",
              "'ignore' waits silently, 'turn_on' shows 'Connecting to Wi-Fi…'; a connection "
              "that does not come within 45 s drops the callback ('Error connecting to the "
              "network' after turn_on)",
              r"""
              NetworkMgr:_setState("off")
              local ran = 0
              G_reader_settings:saveSetting("wifi_enable_action", "ignore")
              NetworkMgr:willRerunWhenConnected(function() ran = ran + 1 end)
              eq(top().widget_type, "FileManager", "nothing shown")
              run(46)
              G_reader_settings:saveSetting("wifi_enable_action", "turn_on")
              NetworkMgr:willRerunWhenConnected(function() ran = ran + 1 end)
              eq(top().text, "Connecting to Wi-Fi…")
              run(46)
              eq(top().text, "Error connecting to the network")
              UIManager:close(top())
              G_reader_settings:delSetting("wifi_enable_action")
              NetworkMgr:_setState("online")
              eq(ran, 0, "both callbacks were dropped")
              """),
    # Widgets -----------------------------------------------------------------------------
    Behaviour(("InfoMessage:new",), "frontend/ui/widget/infomessage.lua onShow/onCloseWidget",
              "with `timeout` it closes itself after that many seconds; `dismiss_callback` "
              "runs once when it closes, whatever closed it; without a timeout it stays",
              r"""
              local InfoMessage = require("ui/widget/infomessage")
              local dismissed = 0
              local timed = InfoMessage:new{ text = "t", timeout = 3,
                                             dismiss_callback = function() dismissed = dismissed + 1 end }
              UIManager:show(timed)
              run(2.9)
              eq(UIManager:isWidgetShown(timed), true)
              run(0.1)
              eq(UIManager:isWidgetShown(timed), false)
              UIManager:close(timed)
              eq(dismissed, 1, "once")
              local stays = InfoMessage:new{ text = "s" }
              UIManager:show(stays)
              run(3600)
              eq(UIManager:isWidgetShown(stays), true)
              UIManager:close(stays)
              """),
    Behaviour(("ConfirmBox:new",), "frontend/ui/widget/confirmbox.lua init/onClose",
              "one row [cancel_text, ok_text]; a button runs its callback and then closes "
              "the box; a tap outside counts as Cancel",
              r"""
              local ConfirmBox = require("ui/widget/confirmbox")
              local log = {}
              local function box()
                  local b = ConfirmBox:new{ text = "?", ok_text = "Yes", cancel_text = "No",
                      ok_callback = function() table.insert(log, "ok") end,
                      cancel_callback = function() table.insert(log, "cancel") end }
                  UIManager:show(b)
                  return b
              end
              local b = box()
              local labels = {}
              for _, button in ipairs(b:listButtons()) do table.insert(labels, b.buttonText(button)) end
              eq(table.concat(labels, ","), "No,Yes")
              local shown_during
              b.ok_callback = function() shown_during = UIManager:isWidgetShown(b) end
              pressed(b, "Yes")
              eq(shown_during, true, "callback before close")
              eq(UIManager:isWidgetShown(b), false)
              b = box()
              b:onDismiss()
              eq(log[#log], "cancel")
              eq(ConfirmBox.ok_text, "OK", "default OK text")
              eq(ConfirmBox.cancel_text, "Cancel", "default Cancel text")
              """),
    Behaviour(("ButtonDialog:new", ":addWidget"), "frontend/ui/widget/buttondialog.lua "
              "addWidget/onClose",
              "buttons do not close it; addWidget adds a widget below the title; a tap "
              "outside runs tap_close_callback, then closes",
              r"""
              local ButtonDialog = require("ui/widget/buttondialog")
              local CheckButton = require("ui/widget/checkbutton")
              local log = {}
              local d
              d = ButtonDialog:new{ title = "t", buttons = {{ { text = "A",
                  callback = function() table.insert(log, "A") end } }},
                  tap_close_callback = function() table.insert(log, UIManager:isWidgetShown(d)
                      and "closing" or "closed") end }
              d:addWidget(CheckButton:new{ text = "c", checked = true, parent = d })
              UIManager:show(d)
              pressed(d, "A")
              eq(UIManager:isWidgetShown(d), true, "a button does not close it")
              eq(#d:checkButtons(), 1)
              d:onDismiss()
              eq(table.concat(log, ","), "A,closing")
              eq(UIManager:isWidgetShown(d), false)
              """),
    Behaviour(("CheckButton:new",), "frontend/ui/widget/checkbutton.lua onTapCheckButton",
              "`checked` starts as given; a tap flips it, then runs `callback`; a disabled "
              "one ignores the tap",
              r"""
              local CheckButton = require("ui/widget/checkbutton")
              local seen
              local c = CheckButton:new{ text = "x", checked = true, parent = {} }
              c.callback = function() seen = c.checked end
              c:onTapCheckButton()
              eq(c.checked, false)
              eq(seen, false, "callback after the flip")
              c:disable()
              c:onTapCheckButton()
              eq(c.checked, false)
              """),
    Behaviour(("MultiInputDialog:new", ":getFields"), "frontend/ui/widget/multiinputdialog.lua "
              "getFields",
              "getFields() returns every field's text as a string, in order ('' for an empty one)",
              r"""
              local MultiInputDialog = require("ui/widget/multiinputdialog")
              local d = MultiInputDialog:new{ title = "t", fields = {
                  { text = "reader", hint = "Username" },
                  { hint = "Password", text_type = "password" } }, buttons = {} }
              local fields = d:getFields()
              eq(#fields, 2)
              eq(fields[1], "reader")
              eq(fields[2], "")
              """),
    Behaviour(("InputDialog:new", ":getInputText", ":onShowKeyboard"),
              "frontend/ui/widget/inputdialog.lua getInputText/onShowKeyboard",
              "getInputText() is the typed text, '' when the input was nil; onShowKeyboard() "
              "exists (called after show)",
              r"""
              local InputDialog = require("ui/widget/inputdialog")
              local d = InputDialog:new{ title = "t", input_hint = "h", buttons = {} }
              eq(d:getInputText(), "")
              UIManager:show(d)
              d:onShowKeyboard()
              UIManager:close(d)
              """),
    Behaviour(("Menu:new", ":onMenuSelect"), "frontend/ui/widget/menu.lua onMenuSelect/"
              "onMenuChoice/onClose/onCloseAllMenus",
              "a tap calls onMenuSelect(item), which an instance may replace; by default it "
              "runs item.callback and then close_callback; the close button closes the "
              "menu and then calls close_callback",
              r"""
              local Menu = require("ui/widget/menu")
              local log = {}
              local m
              m = Menu:new{ title = "t", item_table = {
                  { text = "a", callback = function() table.insert(log, "a") end } },
                  close_callback = function() table.insert(log, UIManager:isWidgetShown(m)
                      and "cb while shown" or "cb after close") end }
              UIManager:show(m)
              m:selectItem(m.item_table[1])
              eq(table.concat(log, ","), "a,cb while shown")
              log = {}
              function m:onMenuSelect(item) table.insert(log, "own " .. item.text) return true end
              m:selectItem(m.item_table[1])
              eq(table.concat(log, ","), "own a")
              log = {}
              m:onDismiss()
              eq(table.concat(log, ","), "cb after close")
              """),
    Behaviour(("WidgetContainer:extend",), "frontend/ui/widget/container/widgetcontainer.lua, "
              "widget.lua extend/new",
              "extend{...} makes a class; new{...} makes an instance that sees its fields "
              "and the class's, and runs init",
              r"""
              local WidgetContainer = require("ui/widget/container/widgetcontainer")
              local C = WidgetContainer:extend{ name = "c", is_doc_only = false }
              function C:init() self.seen = self.ui end
              local o = C:new{ ui = "the ui" }
              eq(o.seen, "the ui")
              eq(o.name, "c")
              """),
    # TouchMenu item tables (frontend/ui/widget/touchmenu.lua) ----------------------------
    Behaviour((":updateItems",), "frontend/ui/widget/touchmenu.lua onMenuSelect/updateItems",
              "a callback gets the touch menu; afterwards the menu closes unless the entry "
              "has keep_menu_open or checked_func; updateItems() redraws it",
              r"""
              local TouchMenu = require("headless/touchmenu")
              local got
              local menu = TouchMenu.newInstance()
              TouchMenu.tap({ text = "x", keep_menu_open = true,
                              callback = function(tm) got = tm; tm:updateItems() end }, menu)
              eq(got, menu)
              eq(menu.open, true)
              eq(menu.updates, 1)
              TouchMenu.tap({ text = "y", callback = function() end }, menu)
              eq(menu.open, false)
              """),
    # The reader (frontend/apps/reader/...) ----------------------------------------------
    Behaviour(("self.ui.menu:registerToMainMenu",), "frontend/apps/reader/modules/readermenu.lua "
              "registerToMainMenu",
              "registering the same widget twice keeps it once; its addToMainMenu builds the "
              "entries each time the menu opens",
              r"""
              local ui = require("apps/filemanager/filemanager").instance
              local calls = 0
              local w = { addToMainMenu = function() calls = calls + 1 end }
              ui.menu:registerToMainMenu(w)
              ui.menu:registerToMainMenu(w)
              ui.menu:buildTabs()
              eq(calls, 1)
              table.remove(ui.menu.registered_widgets)
              """),
    Behaviour(("ui:getCurrentPage", ":getLastPercent", ":getPageCount", ":getProps",
               ":readSetting"),
              "frontend/apps/reader/readerui.lua getCurrentPage; modules/readerpaging.lua and "
              "readerrolling.lua getLastPercent; document/document.lua getProps; "
              "docsettings.lua (LuaSettings) readSetting",
              "the page number; progress as a fraction 0..1 (page/pages in page mode); the "
              "page count; document properties with empty strings as nil; a doc setting, "
              "nil when absent",
              r"""
              local ui = require("apps/reader/readerui").instance
              eq(ui:getCurrentPage(), 1)
              ui:gotoPage(50)
              local module = ui.paging or ui.rolling
              eq(module:getLastPercent(), 0.5)
              eq(ui.document:getPageCount(), 100)
              eq(ui.document:getProps().title, nil, "an empty title is no title")
              eq(ui.doc_settings:readSetting("no_such_key"), nil)
              eq(type(ui.doc_settings:readSetting("partial_md5_checksum")), "string")
              eq(ui.doc_props.display_title, "book", "the file name when there is no title")
              """),
]


def _id(behaviour: Behaviour) -> str:
    return f"{behaviour.calls[0]}: {behaviour.says[:50]}"


class _NoCore:
    def sync_calls(self):
        return {}

    def async_calls(self):
        return {}


@pytest.fixture(scope="module")
def bare_host(tmp_path_factory):
    """No plugin at all: only the host's KOReader modules, with a book open when asked."""
    root = tmp_path_factory.mktemp("fidelity")
    (root / "plugins").mkdir()
    with HeadlessHost(root / "settings", plugins_dir=root / "plugins", core=_NoCore()) as host:
        host.book = root / "book.epub"
        host.book.write_bytes(b"PK" + b"x" * 5000)
        yield host


@pytest.mark.parametrize("behaviour", BEHAVIOURS, ids=_id)
def test_the_host_module_behaves_as_koreaders(bare_host, behaviour):
    if "apps/reader/readerui\").instance" in behaviour.check:
        bare_host.open_book(bare_host.book, title="", pages=100, page=1)
    try:
        bare_host.lua.execute(PRELUDE + behaviour.check)
    finally:
        bare_host.lua.execute('require("ui/network/manager"):_setState("off")')
        if bare_host.book_state() is not None:
            bare_host.close_book()


# -- the plugin calls nothing that is not covered ---------------------------------------------

_COMMENT = re.compile(r"--\[\[.*?\]\]|--[^\n]*", re.S)
_STRING = re.compile(r'"(?:\\.|[^"\\])*"')
_REQUIRE = re.compile(r'local (\w+) = require\("([^"]+)"\)')
_METHOD = re.compile(r"([\w.\[\]]+)([:.])(\w+)\s*[({\"]")
_DEFINED = re.compile(r"function [\w.]+[:.](\w+)\s*\(")


def _plugin_sources() -> dict[str, tuple[str, str]]:
    """Each plugin file without comments, and also without string contents."""
    sources = {}
    for path in sorted(PLUGIN_DIR.rglob("*.lua")):
        code = _COMMENT.sub("", path.read_text())
        sources[str(path.relative_to(PLUGIN_DIR))] = (code, _STRING.sub('""', code))
    return sources


#: Modules that are not stand-ins: the sidecar client uses luasocket and the JSON module
#: as KOReader bundles them, and test_standalone.py runs it against Debian's real ones.
REAL_MODULES = {"socket", "json"}
#: The sidecar client's files, whose method calls are on sockets, files and strings (the
#: real luasocket and Lua's own io and string), not on KOReader objects.
SIDECAR_CLIENT = "bookloresync/sidecar/"


def koreader_calls() -> set[str]:
    """Every call the plugin makes into KOReader: "Module:fn" for module locals, ":method"
    for methods on KOReader objects (the plugin's own methods and core.* left out)."""
    sources = _plugin_sources()
    own = {name for _, text in sources.values() for name in _DEFINED.findall(text)}
    calls = set()
    for path, (code, text) in sources.items():
        modules = {local: module for local, module in _REQUIRE.findall(code)
                   if not module.startswith("bookloresync/") and module not in REAL_MODULES}
        for receiver, sep, name in _METHOD.findall(text):
            if receiver in modules:
                calls.add(f"{receiver}{sep}{name}")
            elif path.startswith(SIDECAR_CLIENT) and sep == ":":
                continue
            elif receiver.startswith("self.ui.menu"):
                calls.add(f"self.ui.menu:{name}")
            elif receiver == "ui" and sep == ":":
                calls.add(f"ui:{name}")
            elif sep == ":" and name not in own and receiver not in ("string", "table"):
                calls.add(f":{name}")
        if re.search(r"\bT\(", text):
            calls.add("T(")
        if re.search(r"(?<![\w.:])_\(", text):
            calls.add("_(")
    return calls


def test_every_koreader_call_of_the_plugin_is_covered():
    covered = {call for behaviour in BEHAVIOURS for call in behaviour.calls}
    uncovered = sorted(koreader_calls() - covered)
    assert uncovered == [], f"the plugin calls KOReader functions no fidelity check covers: {uncovered}"


def test_the_call_scan_sees_the_plugins_calls():
    """The scan above is only worth its output: it must find what is plainly there."""
    calls = koreader_calls()
    for expected in ("UIManager:show", "NetworkMgr:isConnected", "Dispatcher:registerAction",
                     "T(", "_(", ":getFields", "self.ui.menu:registerToMainMenu"):
        assert expected in calls
    assert "NetworkMgr:isOnline" not in calls  # named in comments only
    assert ":runSync" not in calls  # the plugin's own method


# -- the plugin passes no field KOReader does not read ---------------------------------------

#: The fields KOReader's widgets read from their constructor table (their class defaults
#: and init), for the widgets the plugin makes. Host-only bookkeeping keys start with "_".
REAL_FIELDS = {
    "InfoMessage": {"text", "timeout", "dismiss_callback", "icon", "show_icon", "width",
                    "height", "alignment", "modal", "dismissable", "face", "lang",
                    "no_refresh_on_close", "show_delay", "flush_events_on_show", "image",
                    "force_one_line", "monospace_font"},
    "Notification": {"text", "timeout", "face", "margin", "padding", "toast"},
    "ConfirmBox": {"text", "ok_text", "cancel_text", "ok_callback", "cancel_callback",
                   "other_buttons", "other_buttons_first", "no_ok_button", "keep_dialog_open",
                   "icon", "face", "margin", "padding", "dismissable", "flush_events_on_show"},
    "ButtonDialog": {"title", "buttons", "tap_close_callback", "width", "width_factor",
                     "shrink_unneeded_width", "title_align", "dismissable", "rows_per_page",
                     "use_info_style", "colorful", "alpha"},
    "CheckButton": {"text", "checked", "parent", "callback", "hold_callback", "enabled",
                    "checkable", "radio", "face", "width", "bold", "show_parent",
                    "single_line", "tap_input", "tap_input_func", "hold_input"},
    "InputDialog": {"title", "input", "input_hint", "description", "buttons", "input_type",
                    "text_type", "enter_callback", "allow_newline", "cursor_at_end",
                    "fullscreen", "condensed", "readonly", "width", "close_callback"},
    "MultiInputDialog": {"title", "fields", "buttons", "description", "enter_callback",
                         "input_type", "width"},
    "Menu": {"title", "subtitle", "item_table", "covers_fullscreen", "is_borderless",
             "is_popout", "close_callback", "title_bar_fm_style", "width", "height",
             "items_per_page", "single_line", "multilines_show_more_text", "show_parent"},
}
#: Keys of the entries inside those tables.
REAL_PART_FIELDS = {
    "button": {"text", "text_func", "callback", "hold_callback", "enabled", "enabled_func",
               "id", "is_enter_default", "checked_func", "allow_hold_when_disabled"},
    "field": {"text", "hint", "text_type", "input_type", "description", "padding", "margin",
              "alignment", "allow_newline", "lang"},
    "menu item": {"text", "text_func", "mandatory", "mandatory_func", "dim", "bold",
                  "callback", "select_enabled", "select_enabled_func", "post_text",
                  "sub_item_table"},
    "touch menu item": {"text", "text_func", "callback", "checked", "checked_func",
                        "enabled", "enabled_func", "keep_menu_open", "sub_item_table",
                        "sub_item_table_func", "radio", "separator", "sorting_hint",
                        "help_text", "help_text_func", "hold_callback", "tap_input",
                        "tap_input_func", "checkmark_callback", "check_callback_updates_menu",
                        "check_callback_closes_menu", "callback_func", "hold_keep_menu_open"},
    "dispatcher action": {"category", "event", "title", "general", "reader", "rolling",
                          "paging", "filemanager", "separator", "arg", "args", "toggle",
                          "condition", "configurable", "min", "max", "default", "unit"},
}

_RECORD_CONSTRUCTORS = r"""
local record = ...
local EventListener = require("ui/widget/eventlistener")
local new = EventListener.new
EventListener.new = function(class, o)
    if class.widget_type and type(o) == "table" then
        local keys = {}
        for key in pairs(o) do if type(key) == "string" then table.insert(keys, key) end end
        record(class.widget_type, table.concat(keys, " "))
        local parts = { buttons = "button", fields = "field", item_table = "menu item" }
        for field, part in pairs(parts) do
            for _, row in ipairs(type(o[field]) == "table" and o[field] or {}) do
                local entries = field == "buttons" and row or { row }
                for _, entry in ipairs(entries) do
                    local entry_keys = {}
                    for key in pairs(entry) do table.insert(entry_keys, key) end
                    record(part, table.concat(entry_keys, " "))
                end
            end
        end
    end
    return new(class, o)
end
"""

_MENU_AND_ACTION_KEYS = r"""
local record = ...
local function walk(item)
    local keys = {}
    for key in pairs(item) do table.insert(keys, key) end
    record("touch menu item", table.concat(keys, " "))
    for _, child in ipairs(item.sub_item_table or {}) do walk(child) end
end
local plugin = require("pluginloader"):getPluginInstance("bookloresync")
local items = {}
plugin:addToMainMenu(items)
walk(items.bookloresync)
local Dispatcher = require("dispatcher")
for name, spec in pairs(Dispatcher.settingsList) do
    if name:find("^booklore_") then
        local keys = {}
        for key in pairs(spec) do table.insert(keys, key) end
        record("dispatcher action", table.concat(keys, " "))
    end
end
"""


def test_the_plugin_passes_only_fields_koreader_reads(tmp_path, server, library):
    seen: dict[str, set[str]] = {}

    def record(kind, keys):
        seen.setdefault(kind, set()).update(keys.split())
    configure(tmp_path / "settings", server.url)
    server.add_book(library[4].title, library[4].authors)  # found by title: the results list
    with HeadlessHost(tmp_path / "settings", online=True) as host:
        host.lua.execute(_RECORD_CONSTRUCTORS, record)
        every_path(host, library)
        host.set_online(False)
        read_book(host, library[1])  # queued: Clear Pending has something to list
        for entry in ("Clear Pending", "View Details", "Clear Cache"):
            host.tap_menu(*MANAGE, entry)
            if host.screen()[-1]["type"] not in ("ReaderUI", "FileManager"):
                host.dismiss()
        for entry in ("Server", "KOReader account"):
            host.tap_menu("BookLore Sync", "Settings", "Server and accounts", entry)
            host.tap_button("Cancel")
        host.tap_menu("BookLore Sync", "Settings", "Session tracking", "Minimum pages")
        host.tap_button("Cancel")
        host.lua.execute(_MENU_AND_ACTION_KEYS, record)
    known = {**REAL_FIELDS, **REAL_PART_FIELDS}
    unread = {kind: sorted(k for k in keys - known[kind] if not k.startswith("_"))
              for kind, keys in seen.items() if kind in known}  # the host's own widgets aside
    assert {kind: keys for kind, keys in unread.items() if keys} == {}
    # the walk reached what it is meant to check
    assert {"InfoMessage", "Notification", "ConfirmBox", "ButtonDialog", "CheckButton",
            "InputDialog", "MultiInputDialog", "Menu", "touch menu item",
            "dispatcher action"} <= set(seen)
