-- luacheck, set up as KOReader's own .luacheckrc: LuaJIT's standard library, implicit
-- `self` and unused arguments allowed (KOReader's handler signatures), unused variables
-- and values reported, and unused loop variables too (KOReader's `unused_args = false`
-- would hide those along with the arguments).
-- Run: luacheck lua_plugin bridge/lua tests (CI runs it, .ci/run).
std = "luajit"
self = false

globals = {
    "G_reader_settings",
    "G_defaults",
    "table.pack",
    "table.unpack",
}

read_globals = {
    "_ENV",
}

-- The headless host's Lua runs in lupa, which provides the `python` table (the escape
-- routes test checks that it is shut); the host's clock replaces os.time and os.date.
files["bridge/lua"].read_globals = { "python" }
files["tests/reliability/escape_routes.lua"].read_globals = { "python" }
files["bridge/lua/headless/clock.lua"].globals = { "os.time", "os.date" }
-- The standalone driver speaks to Python on stdout, so `print` goes to the log instead.
files["bridge/lua/headless/stdio.lua"].globals = { "print" }

ignore = {
    "212",     -- unused argument: as KOReader
    "211/__*", -- an unused local named __x is deliberate
    "231/__",
    "631",     -- line length: as KOReader
}
