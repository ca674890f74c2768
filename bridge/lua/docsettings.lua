--[[--
Headless host: per-book settings (KOReader keeps them in a `.sdr` sidecar). Here they
live in memory for the life of the host, keyed by file path, so reopening a book sees
what the last session stored (summary, partial_md5_checksum, percent_finished, ...).
]]

local LuaSettings = require("luasettings")

local DocSettings = setmetatable({}, { __index = LuaSettings })
DocSettings.__index = DocSettings

local by_file = {}

function DocSettings:open(file)
    if not by_file[file] then
        by_file[file] = setmetatable({ data = {}, doc_file = file }, DocSettings)
    end
    return by_file[file]
end

function DocSettings:hasSidecarFile(file)
    return by_file[file] ~= nil
end

function DocSettings:flush() return self end

return DocSettings
