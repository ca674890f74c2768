--[[--
Headless host: the Dispatcher, which turns gesture/hotkey/profile action ids into events.

Rules kept from KOReader: the first registration of an id wins; unknown ids are ignored;
while actions run, Notification's source is the dispatcher's;
an action with `reader`, `rolling` or `paging` set only runs in a matching reader (never in
the file manager), `general` actions run everywhere, `condition = false` disables one.
]]

local Event = require("ui/event")
local Notification = require("ui/widget/notification")
local UIManager = require("ui/uimanager")

local Dispatcher = {
    settingsList = {},
    dispatcher_menu_order = {},
}

function Dispatcher:init() end

function Dispatcher:registerAction(name, spec)
    if self.settingsList[name] == nil then
        self.settingsList[name] = spec
        table.insert(self.dispatcher_menu_order, name)
    end
    return true
end

function Dispatcher:removeAction(name)
    self.settingsList[name] = nil
    for i, id in ipairs(self.dispatcher_menu_order) do
        if id == name then table.remove(self.dispatcher_menu_order, i) break end
    end
    return true
end

--- Whether the action may run in the current context (reader type or file manager).
function Dispatcher:isActionEnabled(spec)
    if spec == nil or spec.condition == false then return false end
    local ui = require("apps/reader/readerui").instance
    if ui == nil then
        return not (spec.reader or spec.rolling or spec.paging)
    end
    if ui.paging then return not spec.rolling end
    return not spec.paging
end

--- The event an action sends, following its category.
local function eventFor(spec, value, exec_props)
    local category = spec.category
    if category == "none" then
        if spec.arg ~= nil then return Event:new(spec.event, spec.arg, exec_props) end
        return Event:new(spec.event)
    end
    if category == "string" or category == "absolutenumber" then
        if spec.arg ~= nil then return Event:new(spec.event, { spec.arg, value }) end
        return Event:new(spec.event, value)
    end
    if category == "incrementalnumber" then
        return Event:new(spec.event, (value ~= 0 and value) or 0)
    end
    return Event:new(spec.event, spec.arg)
end

--- settings: { action_id = value, ..., settings = { order = {...} } }
function Dispatcher:execute(settings, exec_props)
    local order = settings.settings and settings.settings.order
    if not order then
        order = {}
        for id in pairs(settings) do
            if id ~= "settings" then table.insert(order, id) end
        end
        table.sort(order)
    end
    local batched = #order > 1
    if batched then UIManager:broadcastEvent(Event:new("BatchedUpdate")) end
    Notification:setNotifySource(Notification.SOURCE_DISPATCHER)
    for _, id in ipairs(order) do
        local spec = self.settingsList[id]
        if spec and self:isActionEnabled(spec) then
            UIManager:sendEvent(eventFor(spec, settings[id], exec_props))
        end
    end
    Notification:resetNotifySource()
    if batched then UIManager:broadcastEvent(Event:new("BatchedUpdateDone")) end
end

return Dispatcher
