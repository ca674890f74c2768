--[[--
Headless host: SpinWidget. Its value is set by typing (HeadlessHost.type_text); the OK
button calls `callback(spin)` with `spin.value` clamped to `value_min`..`value_max`.
]]

local Dialog = require("headless/dialog")
local UIManager = require("ui/uimanager")
local _ = require("gettext")

local SpinWidget = Dialog:extend{
    widget_type = "SpinWidget",
    ok_text = _("Apply"),
    cancel_text = _("Close"),
}

function SpinWidget:setInputText(text)
    local value = tonumber(text)
    assert(value, "SpinWidget needs a number")
    if self.value_min then value = math.max(self.value_min, value) end
    if self.value_max then value = math.min(self.value_max, value) end
    self.value = value
end

function SpinWidget:getButtonRows()
    return { {
        { text = self.cancel_text, callback = function() UIManager:close(self) end },
        { text = self.ok_text, callback = function()
            if self.callback then self.callback(self) end
            if not self.keep_shown_on_apply then UIManager:close(self) end
        end },
    } }
end

function SpinWidget:describe()
    local description = Dialog.describe(self)
    description.input = self.value ~= nil and tostring(self.value) or nil
    return description
end

return SpinWidget
