--[[--
How far long work the reader asked for has got: a sync of thousands of items, Match
Unmatched Books over many books, an import. The work runs in the core, off this thread;
this module asks the core every few seconds (`core.work_progress`, a quick local call) and
says it in a message at the top of the screen: "Uploading… 1,200 of 4,800".

The message is a Notification, a toast: it takes no input, so the reader keeps turning
pages and using menus while it shows; a tap or a page turn closes it, and the next step of
the work brings it back. Work that ends before the first look shows nothing at all. The
final summary is the caller's, as before.
]]

local Notification = require("ui/widget/notification")
local UIManager = require("ui/uimanager")

local Progress = {}
Progress.__index = Progress

local POLL_SECONDS = 2
local SHOWN_SECONDS = 10   -- a step that does not move fades; the next one comes back
local IDLE_POLLS = 30      -- work that never shows up (a lost answer): stop asking after 1 min

--- Start following; call :stop() when the work's answer arrives.
function Progress.follow(core)
    local follower = setmetatable({ core = core, idle = 0 }, Progress)
    follower.task = function() follower:poll() end
    UIManager:scheduleIn(POLL_SECONDS, follower.task)
    return follower
end

function Progress:poll()
    if self.stopped then return end
    local state = self.core.work_progress()
    if state.ok and state.active then
        self.idle = 0
        if state.text and state.text ~= self.text then self:show(state.text) end
    else
        self.idle = self.idle + 1
        if self.idle >= IDLE_POLLS then return self:stop() end
    end
    UIManager:scheduleIn(POLL_SECONDS, self.task)
end

function Progress:show(text)
    self.text = text
    if self.widget then UIManager:close(self.widget) end
    self.widget = Notification:new{ text = text, timeout = SHOWN_SECONDS }
    UIManager:show(self.widget)
end

function Progress:stop()
    if self.stopped then return end
    self.stopped = true
    UIManager:unschedule(self.task)
    if self.widget then UIManager:close(self.widget) end
    self.widget = nil
end

return Progress
