--[[--
Headless host: an event is a handler name ("on" .. name) plus packed arguments, so nil
arguments survive the trip to the handler.
]]

local Event = {}
Event.__index = Event

function Event:new(name, ...)
    return setmetatable({ name = name, handler = "on" .. name, args = table.pack(...) }, self)
end

function Event:__tostring()
    return "Event:" .. self.name
end

return Event
