--[[--
Headless host: KOReader's logger, forwarded to Python logging ("booklore_sync.lua").
Tables are dumped like KOReader does, so log lines stay readable.
]]

local dump = require("dump")
local log = require("headless/pylog")

local levels = { dbg = 10, info = 20, warn = 30, err = 40 }

local function format(...)
    local parts = {}
    for i = 1, select("#", ...) do
        local value = select(i, ...)
        parts[i] = type(value) == "table" and select(2, pcall(dump, value)) or tostring(value)
    end
    return table.concat(parts, " ")
end

local logger = { levels = levels }

for name, level in pairs(levels) do
    logger[name] = function(...) log(level, format(...)) end
end

function logger:setLevel() end

return logger
