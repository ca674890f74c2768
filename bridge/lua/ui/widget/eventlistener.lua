--[[--
Headless host: the root of KOReader's widget classes.

Classes are plain tables chained through `__index`. `new` turns the given table into the
instance and then runs `_init` and `init`, in that order, as KOReader does, so a plugin's
`init` sees every field it was created with (`ui`, `path`, the `_meta` keys, ...).
]]

local EventListener = {}

function EventListener:extend(subclass)
    subclass = subclass or {}
    setmetatable(subclass, self)
    self.__index = self
    return subclass
end

function EventListener:new(o)
    o = self:extend(o)
    if o._init then o:_init() end
    if o.init then o:init() end
    return o
end

--- Calls `self["on" .. name](self, ...)` if present; its result says "handled".
function EventListener:handleEvent(event)
    local handler = self[event.handler]
    if handler then
        return handler(self, unpack(event.args, 1, event.args.n))
    end
end

return EventListener
