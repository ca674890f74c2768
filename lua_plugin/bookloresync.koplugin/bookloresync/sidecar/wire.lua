--[[--
The sidecar's line format on the Lua side: one JSON object per line (see
python_core/sidecar/protocol.py), with KOReader's own `json` module.

KOReader's luajson decodes JSON null to a function (koreader-host.md §13), which is
truthy: the sidecar never sends null, and `decode` removes any function or userdata value
all the same, so `if result.message then` can never show "function: 0x…".
]]

local json = require("json")

local Wire = {}

local MAX_DEPTH = 32

local function clean(value, depth)
    if type(value) ~= "table" then return value end
    if depth > MAX_DEPTH then return nil end
    for key, item in pairs(value) do
        local kind = type(item)
        if kind == "function" or kind == "userdata" then
            value[key] = nil
        elseif kind == "table" then
            value[key] = clean(item, depth + 1)
        end
    end
    return value
end

--- One message as a line (with its newline), or nil and why it cannot be encoded.
function Wire.encode(message)
    local ok, text = pcall(json.encode, message)
    if not ok or type(text) ~= "string" then return nil, tostring(text) end
    if text:find("\n", 1, true) then return nil, "encoded JSON holds a newline" end
    return text .. "\n"
end

--- The object in one line, or nil when the line is not a JSON object.
function Wire.decode(line)
    local ok, message = pcall(json.decode, line)
    if not ok or type(message) ~= "table" then return nil end
    return clean(message, 0)
end

--- The arguments of a call as a plain JSON array (nil holes become JSON null, which the
--- core reads as "not given").
function Wire.arguments(...)
    local count = select("#", ...)
    local args = {}
    for i = 1, count do
        local value = select(i, ...)
        if value == nil then value = json.util and json.util.null or json.null end
        args[i] = value
    end
    return args
end

return Wire
