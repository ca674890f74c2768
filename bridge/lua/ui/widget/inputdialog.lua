--[[--
Headless host: InputDialog. The host "types" by replacing the input text; buttons read
it back with getInputText()/getInputValue(). Always active, as in KOReader, so it still
hears sendEvent when something else is on top.
]]

local Dialog = require("headless/dialog")

local InputDialog = Dialog:extend{
    widget_type = "InputDialog",
    is_always_active = true,
}

function InputDialog:init()
    self.input = self.input or ""
end

function InputDialog:getInputText() return self.input end

function InputDialog:getInputValue()
    if self.input_type == "number" then return tonumber(self.input) end
    return self.input
end

function InputDialog:setInputText(text) self.input = text end

function InputDialog:onShowKeyboard() self.keyboard_visible = true end
function InputDialog:onCloseKeyboard() self.keyboard_visible = false end

function InputDialog:describe()
    local description = Dialog.describe(self)
    description.text = self.description
    description.input = self:getInputText()
    description.hint = self.input_hint
    return description
end

return InputDialog
