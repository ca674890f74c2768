--[[--
Headless host: ButtonDialog, a title over rows of buttons. Button callbacks do not
close the dialog (plugins close it themselves); a tap outside runs `tap_close_callback`
and then closes it, in KOReader's order.
]]

local Dialog = require("headless/dialog")
local UIManager = require("ui/uimanager")

local ButtonDialog = Dialog:extend{
    widget_type = "ButtonDialog",
}

function ButtonDialog:onClose()
    if self.tap_close_callback then self.tap_close_callback() end
    UIManager:close(self)
    return true
end

return ButtonDialog
