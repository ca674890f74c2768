--[[--
Headless host: a container that would take touch and key input. There is no input
device, so the registration hooks are no-ops.
]]

local WidgetContainer = require("ui/widget/container/widgetcontainer")

local InputContainer = WidgetContainer:extend{}

function InputContainer:registerTouchZones() end
function InputContainer:unRegisterTouchZones() end

return InputContainer
