--[[--
Headless host: a widget whose array part holds children.

An event goes to the children in order and then to the container itself, stopping at the
first handler that returns true. ReaderUI and FileManager are containers whose children
are the built-in modules followed by the plugins, so this is how plugins get events.
]]

local Widget = require("ui/widget/widget")

local WidgetContainer = Widget:extend{}

function WidgetContainer:propagateEvent(event)
    for _, widget in ipairs(self) do
        if widget:handleEvent(event) then return true end
    end
    return false
end

function WidgetContainer:handleEvent(event)
    if self:propagateEvent(event) then return true end
    return Widget.handleEvent(self, event)
end

function WidgetContainer:clear()
    for i = #self, 1, -1 do self[i] = nil end
end

return WidgetContainer
