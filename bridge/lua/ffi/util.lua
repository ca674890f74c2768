--[[--
Headless host: the part of KOReader's ffi/util that plugins use for texts.
]]

local util = {}

--- template("%1 of %2", a, b): replaces %1..%9 with the arguments (as strings).
function util.template(text, ...)
    local args = table.pack(...)
    return (text:gsub("%%(%d)", function(index)
        local value = args[tonumber(index)]
        if value == nil then return "%" .. index end
        return tostring(value)
    end))
end

return util
