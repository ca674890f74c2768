--[[--
Headless host: ButtonDialog, a title over rows of buttons. Button callbacks do not
close the dialog (plugins close it themselves); a tap outside runs `tap_close_callback`.
]]

local Dialog = require("headless/dialog")

return Dialog:extend{
    widget_type = "ButtonDialog",
}
