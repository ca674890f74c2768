--[[--
`bookloresync/core` in a real KOReader: the core's calls, answered by the core process
beside KOReader (`booklore-sync serve`) through sidecar/client.lua.

A host that runs the core in its own process (the headless host in bridge/) preloads
`bookloresync/core`, and this file is never read. Otherwise `require` finds it in the
plugin folder. It must load whatever the state of Python: a failed require at load makes
KOReader drop the plugin without a word (koreader-host.md §13), so nothing here touches
the network or the sidecar until the first call. The names and kinds of the calls come
from calls.lua, rendered from the one table in python_core/calls.py.
]]

local logger = require("logger")

local Calls = require("bookloresync/calls")
local Client = require("bookloresync/sidecar/client")
local Wire = require("bookloresync/sidecar/wire")

local core = {}
local client

local function current()
    if not client then client = Client:new(Calls) end
    return client
end

--- No Lua error leaves a core call: it is logged and answered like the core's own
--- internal errors (the facade's wording).
local function guarded(name, run)
    return function(...)
        local ok, result = xpcall(run, debug.traceback, ...)
        if ok then return result end
        logger.err("BookLoreSync: core." .. name .. " failed in the plugin's client:", result)
        return { ok = false, message = "Internal error in " .. name .. ": client" }
    end
end

local journaled = {}
for _, name in ipairs(Calls.journaled) do journaled[name] = true end

for _, name in ipairs(Calls.quick) do
    if journaled[name] then
        core[name] = guarded(name, function(...)
            return current():journaled(name, Wire.arguments(...))
        end)
    else
        core[name] = guarded(name, function(...)
            return current():quick(name, Wire.arguments(...))
        end)
    end
end

for _, name in ipairs(Calls.slow) do
    core[name] = guarded(name, function(...)
        local count = select("#", ...)
        local callback = count > 0 and select(count, ...) or nil
        local args = Wire.arguments(...)
        args[count] = nil
        return current():slow(name, args, callback)
    end)
end

return core
