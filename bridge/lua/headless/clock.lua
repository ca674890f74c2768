--[[--
Headless host: the one virtual clock, in epoch seconds.

Only the host moves it (HeadlessHost.advance runs the due timers, setting `now` to each
task's time as it fires). `os.time()`, `os.date()`, `ui/time` and UIManager all read it,
so plugin code never sees the real clock.
]]

-- `now` drives timers (KOReader schedules on a monotonic clock); `wall_offset` is how far
-- the device's wall clock (os.time) has been set away from it (NTP, a dead RTC battery).
local clock = { now = 0, wall_offset = 0 }

local real_time, real_date = os.time, os.date

--- Replaces os.time/os.date so that "now" is the virtual time.
function clock.install(start)
    clock.now = start
    os.time = function(t)
        if t ~= nil then return real_time(t) end
        return math.floor(clock.now + clock.wall_offset)
    end
    os.date = function(format, t)
        return real_date(format, t or math.floor(clock.now + clock.wall_offset))
    end
end

return clock
