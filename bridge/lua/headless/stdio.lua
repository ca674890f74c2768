--[[--
Headless host without Python: the same KOReader stand-ins and `main.lua` in a standalone
LuaJIT (Debian's `luajit` with `lua-socket` and `lua-dkjson`), driven over stdin/stdout.

Nothing preloads `bookloresync/core` here, so the plugin finds its own `core.lua`, which
talks to a real `booklore-sync serve`: the path of a real KOReader. bridge/standalone.py
starts it and sends one JSON request per line: {"call": name, "args": [...]}, where name
is a function of headless/control or one of the driver's own below; each answer is one
line, {"ok": true, "result": ...} or {"ok": false, "error": "..."}. Log lines go to stderr
and are also kept for the `logs` request.

What KOReader's LuaJIT has and Debian's lacks is added first: `table.pack`/`table.unpack`
(a koreader-base patch), and `json` as dkjson decoding null to a function, as KOReader's
luajson does (koreader-host.md §13).
]]

local here = debug.getinfo(1, "S").source:match("^@(.*)/headless/stdio%.lua$") or "."
package.path = here .. "/?.lua;" .. here .. "/?/init.lua;" .. package.path
table.pack = table.pack or function(...) return { n = select("#", ...), ... } end
table.unpack = table.unpack or unpack

local dkjson = require("dkjson")
local socket = require("socket")
local json_null = function() end  -- what luajson decodes null to
package.preload["json"] = function()
    return {
        encode = function(value) return dkjson.encode(value) end,
        decode = function(text)
            local value, _, err = dkjson.decode(text, 1, json_null)
            if err then error(err) end
            return value
        end,
        util = { null = dkjson.null },
    }
end

local logs = {}
local level_names = { [10] = "DEBUG", [20] = "INFO", [30] = "WARNING", [40] = "ERROR" }
package.loaded["headless/pylog"] = function(level, text)
    local line = (level_names[level] or tostring(level)) .. " lua: " .. tostring(text)
    logs[#logs + 1] = line
    io.stderr:write(line, "\n")
end
print = function(...)
    local parts = {}
    for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
    package.loaded["headless/pylog"](20, table.concat(parts, "\t"))
end

local control = require("headless/control")
local clock = require("headless/clock")

local driver = {}

--- Like HeadlessHost.run_until_idle: settle, and let real time pass for the core's
--- answers, with the virtual clock following it, until the core client has nothing
--- left to do. Returns whether it became idle within `timeout` seconds.
function driver.run_until_idle(timeout)
    local started = socket.gettime()
    local last = started
    while true do
        control.settle()
        local Client = package.loaded["bookloresync/sidecar/client"]
        local client = Client and Client.last
        if not (client and client:busy()) then return true end
        if socket.gettime() - started > timeout then return false end
        socket.sleep(0.01)
        local now = socket.gettime()
        control.advance(now - last)
        last = now
    end
end

function driver.client_state()
    local Client = package.loaded["bookloresync/sidecar/client"]
    local client = Client and Client.last
    if not client then return { loaded = false } end
    return { loaded = true, connected = client.conn ~= nil, journaling = client.journaling,
             told = client.told, name = client.name, busy = client:busy() }
end

function driver.logs() return logs end

--- Times `count` page turns (each its own PageUpdate through main.lua), in ms each.
function driver.time_page_turns(count)
    local times = {}
    for i = 1, count do
        local t0 = socket.gettime()
        control.turn_page(1)
        control.settle()
        times[i] = (socket.gettime() - t0) * 1000
        clock.now = clock.now + 2
    end
    return times
end

--- Times `count` renders of the Manage Sessions menu, in ms each.
function driver.time_menu(count, path)
    local times = {}
    for i = 1, count do
        local t0 = socket.gettime()
        control.menu("tools", path, nil)
        times[i] = (socket.gettime() - t0) * 1000
        control.settle()
    end
    return times
end

--- Times the open book's plugin instance's onCloseDocument (the session handed to the core,
--- or to the journal, and durable); `close_handler_times` returns the times in ms.
local close_times = {}
function driver.time_close_handler()
    local plugin = require("pluginloader"):getPluginInstance("bookloresync")
    local handler = plugin.onCloseDocument
    plugin.onCloseDocument = function(self, ...)
        local t0 = socket.gettime()
        local result = handler(self, ...)
        close_times[#close_times + 1] = (socket.gettime() - t0) * 1000
        return result
    end
end

function driver.close_handler_times()
    local times = close_times
    close_times = {}
    return times
end

--- Times one call, in ms (e.g. close_book: close → the session durable).
function driver.time(name, ...)
    local t0 = socket.gettime()
    control[name](...)
    return (socket.gettime() - t0) * 1000
end

local function answer(message)
    local ok, text = pcall(dkjson.encode, message)
    if not ok then text = dkjson.encode({ ok = false, error = "answer not encodable: " .. tostring(text) }) end
    io.stdout:write(text, "\n")
    io.stdout:flush()
end

for line in io.stdin:lines() do
    local request = dkjson.decode(line, 1, nil)
    local name = type(request) == "table" and request.call
    local target = driver[name] or control[name]
    if not target then
        answer({ ok = false, error = "no such request: " .. tostring(name) })
    else
        local args = request.args or {}
        local results = table.pack(xpcall(target, debug.traceback, unpack(args, 1, request.n or #args)))
        if results[1] then
            local result = results[2]
            if type(result) == "table" and result.error then
                answer({ ok = false, lookup = true, error = result.error })
            else
                answer({ ok = true, result = result })
            end
        else
            answer({ ok = false, error = tostring(results[2]) })
        end
    end
    if name == "shutdown" then break end
end
