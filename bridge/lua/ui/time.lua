--[[--
Headless host: KOReader's fixed-point time (integer microseconds, "fts") on the virtual
clock. Monotonic and real time are the same virtual time here.
]]

local clock = require("headless/clock")

local time = {}

local US = 1000000

function time.s(seconds) return math.floor(seconds * US) end
function time.ms(ms) return math.floor(ms * 1000) end
function time.us(us) return math.floor(us) end
function time.to_s(fts) return fts / US end
function time.to_ms(fts) return fts / 1000 end
function time.to_number(fts) return fts / US end
function time.now() return math.floor(clock.now * US) end
time.realtime = time.now
time.monotonic = time.now
time.boottime = time.now
function time.since(fts) return time.now() - fts end

return time
