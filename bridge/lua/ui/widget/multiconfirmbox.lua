--[[--
Headless host: MultiConfirmBox, a question with two choices and Cancel; every button
closes the box and then runs its callback.
]]

local Dialog = require("headless/dialog")
local UIManager = require("ui/uimanager")
local _ = require("gettext")

local MultiConfirmBox = Dialog:extend{
    widget_type = "MultiConfirmBox",
    cancel_text = _("Cancel"),
    choice1_text = _("Yes"),
    choice2_text = _("No"),
}

function MultiConfirmBox:getButtonRows()
    local function closing(callback)
        return function()
            UIManager:close(self)
            if callback then callback() end
        end
    end
    return { {
        { text = self.cancel_text, callback = closing(self.cancel_callback) },
        { text = self.choice1_text, callback = closing(self.choice1_callback) },
        { text = self.choice2_text, callback = closing(self.choice2_callback) },
    } }
end

return MultiConfirmBox
