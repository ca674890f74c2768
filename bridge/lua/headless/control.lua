--[[--
Headless host: what the Python HeadlessHost can do, as one Lua table.

Python calls these functions with plain values and Lua tables only, and gets plain
values back. A lookup that fails (no such menu entry, button, dialog) returns
{error = "..."} for Python to raise; an error in plugin code is a Lua error.
]]

local Dispatcher = require("dispatcher")
local Event = require("ui/event")
local FileManager = require("apps/filemanager/filemanager")
local LuaSettings = require("luasettings")
local NetworkMgr = require("ui/network/manager")
local PluginLoader = require("pluginloader")
local ReaderUI = require("apps/reader/readerui")
local TouchMenu = require("headless/touchmenu")
local UIManager = require("ui/uimanager")
local clock = require("headless/clock")
local config = require("headless/config")
local labels = require("headless/labels")

local control = {}

--- config: {data_dir, settings_dir, home_dir, clock_start}; plugins: {{root, name}, ...};
--- network: "off", "connected" or "online"
function control.start(settings, plugins, network)
    for key, value in pairs(settings) do config[key] = value end
    clock.install(settings.clock_start)
    G_reader_settings = LuaSettings:open(config.data_dir .. "/settings.reader.lua")
    NetworkMgr._state = network
    PluginLoader:loadPlugins(plugins)
    FileManager:showFiles(config.home_dir)
end

function control.shutdown()
    if ReaderUI.instance then ReaderUI.instance:onClose() end
    if FileManager.instance then FileManager.instance:onClose() end
end

function control.now() return clock.now + clock.wall_offset end
function control.jump_wall_clock(seconds) clock.wall_offset = clock.wall_offset + seconds end
function control.settle() return UIManager:_runTasksUntil(clock.now) end
function control.advance(seconds) return UIManager:_runTasksUntil(clock.now + seconds) end
function control.set_reader_setting(key, value) G_reader_settings:saveSetting(key, value) end
function control.set_network(state) return NetworkMgr:_setState(state) end

--- The blocking NetworkMgr calls made so far, and how often Wi-Fi was asked to turn on.
function control.network()
    return { state = NetworkMgr._state, stalls = NetworkMgr._stalls,
             turn_on_requests = NetworkMgr._turn_on_requests, waiting = #NetworkMgr._waiting }
end

-- The book ----------------------------------------------------------------------

--- Wraps an action on the open book; without one it answers {error = ...}.
local function onBook(action)
    return function(...)
        local ui = ReaderUI.instance
        if not ui then return { error = "no book is open" } end
        action(ui, ...)
    end
end

--- Switching books goes straight from one reader to the next, as from History.
function control.open_book(spec)
    if ReaderUI.instance then ReaderUI.instance:onClose() end
    if FileManager.instance then FileManager.instance:onClose() end
    ReaderUI:open(spec)
end

control.close_book = onBook(function(ui)
    ui:onClose()
    FileManager:showFiles(config.home_dir)
end)

control.turn_page = onBook(function(ui, count) ui:turnPages(count) end)

--- `count` swipes (negative: back) through UIManager's input routing, as a finger does.
function control.swipe(count)
    local direction = count >= 0 and "west" or "east"
    for _ = 1, math.abs(count) do
        UIManager:sendEvent(Event:new("Gesture", { ges = "swipe", direction = direction }))
    end
end
control.goto_page = onBook(function(ui, page) ui:gotoPage(page) end)
control.goto_percent = onBook(function(ui, fraction) ui:gotoPercent(fraction) end)
control.set_annotations = onBook(function(ui, list) ui.annotation.annotations = list end)

function control.book_state()
    local ui = ReaderUI.instance
    if not ui then return nil end
    local position = ui.position
    return { file = ui.document.file, page = position.page, pages = position.pages, percent = position:getLastPercent() }
end

function control.suspend()
    UIManager:flushSettings()
    UIManager:broadcastEvent(Event:new("Suspend"))
end

function control.resume()
    UIManager:broadcastEvent(Event:new("Resume"))
end

--- By action id, or by the event an action sends. Returns {ran = enabled here}.
function control.dispatch(name)
    local id = Dispatcher.settingsList[name] and name
    for _, action_id in ipairs(Dispatcher.dispatcher_menu_order) do
        if id then break end
        if Dispatcher.settingsList[action_id].event == name then id = action_id end
    end
    if not id then return { error = "no dispatcher action or event named " .. name } end
    local enabled = Dispatcher:isActionEnabled(Dispatcher.settingsList[id])
    Dispatcher:execute({ [id] = true })
    return { ran = enabled }
end

--- A long-press on a file (or folder) in the file browser: its file dialog.
function control.long_press(path, is_file)
    local fm = FileManager.instance
    if not fm then return { error = "the file browser is not on screen (a book is open)" } end
    fm.file_chooser:showFileDialog({ path = path, is_file = is_file, text = path:match("[^/]+$") })
end

-- The main menu -------------------------------------------------------------------

local function currentUI()
    return ReaderUI.instance or FileManager.instance
end

local function findEntry(tab, path)
    local items = currentUI().menu:tabItems(tab)
    if not items then return nil, "no menu tab " .. tostring(tab) end
    if #path == 0 then return { text = tab, sub_item_table = items }, true end
    return TouchMenu.find(items, path)
end

function control.menu(tab, path, depth)
    local item, err = findEntry(tab, path)
    if not item then return { error = err } end
    return { node = TouchMenu.describe(item, depth) }
end

local last_touchmenu = nil

function control.menu_redraws() return last_touchmenu and last_touchmenu.updates or 0 end

function control.tap_menu(tab, path)
    local item, reachable = findEntry(tab, path)
    if not item then return { error = reachable } end
    local touchmenu = TouchMenu.newInstance()
    last_touchmenu = touchmenu
    local acted = reachable and TouchMenu.tap(item, touchmenu)
    return { acted = acted and true or false, menu_open = touchmenu.open }
end

-- The screen ----------------------------------------------------------------------

local function describeWindow(widget)
    if widget.describe then return widget:describe() end
    return { type = widget.widget_type or widget.name or "Widget", text = widget.text, title = widget.title }
end

function control.screen()
    local windows = {}
    for i, window in ipairs(UIManager._window_stack) do windows[i] = describeWindow(window.widget) end
    return windows
end

function control.toasts() return UIManager._toasts end

local CAPABILITY_NAMES = {
    listButtons = "buttons", checkButtons = "check buttons", setInputText = "text input",
    setFieldText = "input fields", onDismiss = "way to be dismissed",
}

--- The topmost non-toast window, if it has `capability` (a method name).
local function topmost(capability)
    local widget = UIManager:getTopmostVisibleWidget()
    if widget and widget[capability] then return widget end
    local name = widget and (widget.widget_type or widget.name) or "nothing"
    return nil, "the topmost window (" .. tostring(name) .. ") has no " .. CAPABILITY_NAMES[capability]
end

function control.tap_button(label)
    local dialog, err = topmost("listButtons")
    if not dialog then return { error = err } end
    if dialog.selectItem then
        local item, missing = labels.find(dialog.item_table, label, function(entry) return entry.text end)
        if item then return { acted = dialog:selectItem(item) } end
        err = missing
    end
    local button, missing = labels.find(dialog:listButtons(), label, dialog.buttonText)
    if not button then return { error = err or missing } end
    return { acted = dialog:pressButton(button) }
end

function control.toggle_check(label)
    local dialog, err = topmost("checkButtons")
    if not dialog then return { error = err } end
    local check, missing = labels.find(dialog:checkButtons(), label, function(entry) return entry.text end)
    if not check then return { error = missing } end
    return { acted = check:onTapCheckButton() }
end

--- `field`: nil for a single input, else a 1-based field index or a field hint/description.
function control.type_text(text, field)
    if field == nil then
        local dialog, err = topmost("setInputText")
        if not dialog then return { error = err } end
        if dialog.setFieldText then return { error = "the topmost window has several fields: name one" } end
        dialog:setInputText(text)
        return { acted = true }
    end
    local dialog, err = topmost("setFieldText")
    if not dialog then return { error = err } end
    local index = field
    if type(field) == "string" then
        local found, position = labels.find(dialog.fields, field, function(f) return f.hint or f.description end)
        if not found then return { error = position } end
        index = position
    end
    if not dialog.fields[index] then return { error = "no field " .. tostring(field) } end
    dialog:setFieldText(index, text)
    return { acted = true }
end

function control.dismiss()
    local dialog, err = topmost("onDismiss")
    if not dialog then return { error = err } end
    return { acted = dialog:onDismiss() }
end

return control
