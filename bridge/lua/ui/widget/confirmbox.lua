--[[--
Headless host: ConfirmBox. Buttons are one row [cancel, ok] plus `other_buttons` rows
(after it, or before with `other_buttons_first`). As in KOReader, a button's callback
runs first; then Cancel always closes, OK and the other buttons unless
`keep_dialog_open`. A tap outside counts as Cancel (its callback runs).
]]

local Dialog = require("headless/dialog")
local UIManager = require("ui/uimanager")
local _ = require("gettext")

local ConfirmBox = Dialog:extend{
    widget_type = "ConfirmBox",
    ok_text = _("OK"),
    cancel_text = _("Cancel"),
}

function ConfirmBox:_finish(callback, keep_open)
    if callback then callback() end
    if not keep_open then UIManager:close(self) end
end

function ConfirmBox:onClose()
    if self.cancel_callback then self.cancel_callback() end
    UIManager:close(self)
    return true
end

function ConfirmBox:getButtonRows()
    local main = { { text = self.cancel_text, callback = function() self:_finish(self.cancel_callback) end } }
    if not self.no_ok_button then
        table.insert(main, { text = self.ok_text, callback = function()
            self:_finish(self.ok_callback, self.keep_dialog_open)
        end })
    end
    local rows = { main }
    for _, row in ipairs(self.other_buttons or {}) do
        local wrapped = {}
        for _, button in ipairs(row) do
            local copy = setmetatable({}, { __index = button })
            copy.callback = function() self:_finish(button.callback, self.keep_dialog_open) end
            table.insert(wrapped, copy)
        end
        if self.other_buttons_first then table.insert(rows, #rows, wrapped) else table.insert(rows, wrapped) end
    end
    return rows
end

return ConfirmBox
