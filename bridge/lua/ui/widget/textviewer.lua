--[[--
Headless host: TextViewer, a titled block of text with optional `buttons_table` rows.
]]

local Dialog = require("headless/dialog")

local TextViewer = Dialog:extend{
    widget_type = "TextViewer",
}

function TextViewer:getButtonRows()
    return self.buttons_table or {}
end

return TextViewer
