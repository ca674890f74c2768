--[[--
Headless host: Notification, a short toast above every other window that closes itself
after `timeout` seconds (2 by default). As KOReader's, it takes no input: a gesture or a
key closes it and goes on to the window below (UIManager:sendEvent).

`notify(text, source)` follows KOReader's rule: the toast is shown only if its source
(the argument, else the class's current notify source) is in the reader's
`notification_sources_to_show_mask` (by default: the bottom menu's fine-tuning, "more"
and progress, and the dispatcher) or is SOURCE_ALWAYS_SHOW; it answers whether it showed.
The Dispatcher sets the source to SOURCE_DISPATCHER while it runs actions and resets it
to SOURCE_OTHER afterwards; before any reset it is nil, so nothing shows.
]]

local InfoMessage = require("ui/widget/infomessage")
local UIManager = require("ui/uimanager")

local SOURCE = {
    BOTTOM_MENU_ICON = 0x0001, BOTTOM_MENU_TOGGLE = 0x0002, BOTTOM_MENU_FINE = 0x0004,
    BOTTOM_MENU_MORE = 0x0008, BOTTOM_MENU_PROGRESS = 0x0010, DISPATCHER = 0x0020,
    OTHER = 0x0040, ALWAYS_SHOW = 0x8000,
}
local SOURCE_DEFAULT = SOURCE.BOTTOM_MENU_FINE + SOURCE.BOTTOM_MENU_MORE
    + SOURCE.BOTTOM_MENU_PROGRESS + SOURCE.DISPATCHER

local Notification = InfoMessage:extend{
    widget_type = "Notification",
    toast = true,
    modal = false,
    timeout = 2,
    notify_source = nil,
    SOURCE_NONE = 0,
    SOURCE_DEFAULT = SOURCE_DEFAULT,
}
for name, bit_value in pairs(SOURCE) do Notification["SOURCE_" .. name] = bit_value end

function Notification:notify(text, source)
    source = source or self.notify_source
    local mask = G_reader_settings and G_reader_settings:readSetting("notification_sources_to_show_mask")
        or SOURCE_DEFAULT
    if source and (source == SOURCE.ALWAYS_SHOW or bit.band(mask, source) ~= 0) then
        UIManager:show(Notification:new{ text = text })
        return true
    end
    return false
end

--- Input closes a toast and is not consumed: the window below still gets it.
function Notification:onGesture()
    UIManager:close(self)
    return false
end
Notification.onKeyPress = Notification.onGesture

function Notification:setNotifySource(source) self.notify_source = source end
function Notification:resetNotifySource() self.notify_source = SOURCE.OTHER end
function Notification:getNotifySource() return self.notify_source end

return Notification
