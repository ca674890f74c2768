--[[--
Headless host: serialises a Lua value as Lua source (`return <dump>` loads it back).
Keys are sorted so settings files diff cleanly. Used by LuaSettings and logger.
]]

local function sortedKeys(t)
    local keys = {}
    for key in pairs(t) do table.insert(keys, key) end
    table.sort(keys, function(a, b)
        if type(a) == type(b) and (type(a) == "number" or type(a) == "string") then return a < b end
        return type(a) < type(b)
    end)
    return keys
end

local function dumpValue(value, indent, seen)
    local kind = type(value)
    if kind == "string" then return string.format("%q", value) end
    if kind == "number" then
        if value ~= value then return "0/0" end
        if value == math.huge then return "math.huge" end
        if value == -math.huge then return "-math.huge" end
        return string.format("%.17g", value)
    end
    if kind == "boolean" or kind == "nil" then return tostring(value) end
    if kind ~= "table" then return string.format("%q", tostring(value)) end
    if seen[value] then error("cannot dump a table that contains itself") end
    seen[value] = true
    local inner = indent .. "    "
    local lines = {}
    for _, key in ipairs(sortedKeys(value)) do
        local key_text = "[" .. dumpValue(key, inner, seen) .. "]"
        table.insert(lines, inner .. key_text .. " = " .. dumpValue(value[key], inner, seen) .. ",")
    end
    seen[value] = nil
    if #lines == 0 then return "{}" end
    return "{\n" .. table.concat(lines, "\n") .. "\n" .. indent .. "}"
end

return function(value)
    return dumpValue(value, "", {})
end
