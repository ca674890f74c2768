--[[--
Headless host: Notification, a short toast above every other window that closes itself
after `timeout` seconds (2 by default). Toasts never receive sendEvent.
]]

local InfoMessage = require("ui/widget/infomessage")
local UIManager = require("ui/uimanager")

local Notification = InfoMessage:extend{
    widget_type = "Notification",
    toast = true,
    modal = false,
    timeout = 2,
    SOURCE_BOTTOM_MENU_ICON = 0x0001,
    SOURCE_BOTTOM_MENU_TOGGLE = 0x0002,
    SOURCE_BOTTOM_MENU_FINE = 0x0004,
    SOURCE_BOTTOM_MENU_MORE = 0x0008,
    SOURCE_BOTTOM_MENU_PROGRESS = 0x0010,
    SOURCE_DISPATCHER = 0x0020,
    SOURCE_OTHER = 0x0040,
}

function Notification:notify(text, source)
    local notification = Notification:new{ text = text, source = source }
    UIManager:show(notification)
    return notification
end

function Notification:setNotifySource() end
function Notification:resetNotifySource() end

return Notification
