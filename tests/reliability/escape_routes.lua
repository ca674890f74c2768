-- Escape routes from Lua into Python, run by test_security.py inside the real host (real
-- plugin, real core). It gathers every userdata Lua can reach (globals, loaded modules,
-- metatables, every function's upvalues, the registry, lupa's own reference table) - the
-- Python objects among them include the core's dispatcher and the log sink - and tries
-- ../shared/spec/lupa-bridge.md §6's escape routes on each. A route "reached" when it
-- returned something other than nil. Returns the reached routes (one per line), how many
-- of the bridge's two Python objects were among those tried, whether the sanctioned core
-- call still works, and how many userdata were tried.

local seen, objects, where = {}, {}, {}
local queue, head = { { _G, "_G" }, { debug.getregistry(), "registry" } }, 1
local function visit(v, path)  -- breadth first: every value is reached by a shortest path
    local kind = type(v)
    if (kind == "table" or kind == "function" or kind == "userdata") and not seen[v] then
        seen[v] = true
        queue[#queue + 1] = { v, path }
    end
end
seen[_G], seen[queue[2][1]] = true, true
while head <= #queue do
    local v, path = queue[head][1], queue[head][2]
    head = head + 1
    local kind = type(v)
    if kind == "userdata" then
        objects[#objects + 1] = v
        where[#where + 1] = path
    elseif kind == "table" then
        for key, value in pairs(v) do visit(value, path .. "." .. tostring(key)) end
    else
        local i = 1
        while debug.getupvalue(v, i) do
            local name, value = debug.getupvalue(v, i)
            visit(value, path .. "<" .. name .. ">")
            i = i + 1
        end
    end
    local mt = debug.getmetatable(v)
    if mt then visit(mt, path .. "<mt>") end
end

local reached = {}
local function try(label, f)
    local ok, value = pcall(f)
    if ok and value ~= nil then reached[#reached + 1] = label end
    return ok, value
end
local names = { "__class__", "__dict__", "__globals__", "__func__", "__self__", "__init__",
                "__call__", "__module__", "__code__", "__closure__", "__builtins__",
                "__subclasses__", "__mro__", "__traceback__", "_sync_calls", "_lua", "facade" }
for i, o in ipairs(objects) do
    for _, name in ipairs(names) do
        try(where[i] .. "." .. name, function() return o[name] end)
    end
    try(where[i] .. " set attribute", function() o.injected = 1; return true end)
    for _, helper in ipairs({ "iter", "iterex", "enumerate" }) do
        try(where[i] .. " python." .. helper, function() return python[helper](o) end)
    end
    -- a Python exception caught by pcall, then the traceback frame walk
    local ok, e = pcall(o)
    if not ok and type(e) == "userdata" then
        try(where[i] .. " error.__traceback__", function() return e.__traceback__ end)
        try(where[i] .. " error frame walk", function()
            return e.__traceback__.tb_frame.f_globals["__builtins__"].__import__("os")
        end)
        try(where[i] .. " error.__class__", function() return e.__class__ end)
    end
end
local core = require("bookloresync/core")
try("core.__class__", function() return core.__class__ end)
try("core function __globals__", function() return core.queue_counts.__globals__ end)
try("python.eval", function() return python.eval("1 + 1") end)
try("python.builtins", function() return python.builtins.__import__("os") end)
try("python.import", function() return python.import("os") end)
-- the dispatcher itself only ever runs the named core calls
local dispatch = select(2, debug.getupvalue(core.queue_counts, 1))  -- bridge/api.py
local private = dispatch("sync", "_failure", table.pack("x", "y"))
if type(private) ~= "table" or private.ok ~= false then reached[#reached + 1] = "private method" end
local public = dispatch("sync", "queue_counts", table.pack())
local function upvalue(f, wanted)
    local i = 1
    while debug.getupvalue(f, i) do
        local name, value = debug.getupvalue(f, i)
        if name == wanted then return value end
        i = i + 1
    end
end
local emit = upvalue(upvalue(print, "log"), "emit")  -- bridge/runtime.py's log sink
local tried = 0  -- the two Python objects the bridge hands Lua must be among those tried
for _, o in ipairs(objects) do
    if rawequal(o, dispatch) or rawequal(o, emit) then tried = tried + 1 end
end
return table.concat(reached, "\n"), tried, public.ok, #objects
