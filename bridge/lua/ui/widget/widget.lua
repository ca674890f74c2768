--[[--
Headless host: a widget that draws nothing. Geometry and painting are stubs because
nothing is rendered; the recording widgets describe themselves instead.
]]

local EventListener = require("ui/widget/eventlistener")

local Widget = EventListener:extend{}

function Widget:getSize()
    return { w = self.width or 0, h = self.height or 0 }
end

function Widget:paintTo() end
function Widget:free() end

return Widget
