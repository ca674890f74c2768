--[[--
Headless host: CheckButton, added to a dialog with `dialog:addWidget(...)`. A tap flips
`checked` and then runs `callback`; a disabled one ignores taps. `parent` (the dialog)
is required by KOReader, so its absence is logged.
]]

local Widget = require("ui/widget/widget")
local logger = require("logger")

local CheckButton = Widget:extend{
    widget_type = "CheckButton",
    checked = false,
    enabled = true,
}

function CheckButton:init()
    if not self.parent then logger.warn("CheckButton without parent:", self.text) end
end

function CheckButton:onTapCheckButton()
    if not self.enabled then return false end
    self.checked = not self.checked
    if self.callback then self.callback() end
    return true
end

function CheckButton:check() self.checked = true end
function CheckButton:unCheck() self.checked = false end
function CheckButton:toggleCheck() self.checked = not self.checked end
function CheckButton:enable() self.enabled = true end
function CheckButton:disable() self.enabled = false end

return CheckButton
