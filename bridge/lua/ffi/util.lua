--[[--
Headless host: the part of KOReader's ffi/util that plugins use for texts.

`template` behaves as koreader-base's does, quirks included, so that a plugin which works
here works on a device: markers run from %1 to %99; a value is put in as Lua's gsub puts
a replacement (strings and numbers as text); a nil or false value leaves its marker in the
text ("Server: %1"), and true or a table raises "invalid replacement value". With no
values at all the text comes back unchanged.
]]

local util = {}

function util.template(text, ...)
    local count = select("#", ...)
    if count == 0 then return text end
    local values = { ... }
    local filled = string.gsub(text, "%%([1-9]%d?)", function(marker)
        return values[tonumber(marker)]
    end)
    return filled
end

return util
