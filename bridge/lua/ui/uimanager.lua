--[[--
Headless host: UIManager with a window stack and a task queue on the virtual clock.

Windows: toasts sit above modal windows, which sit above normal ones (the ReaderUI or
FileManager). `sendEvent` (input: gestures, keys) is handed to every toast above the
topmost non-toast window without stopping there (a toast closes on input and lets it
through, as KOReader's do), then to that window, then only to windows marked
`is_always_active`; `broadcastEvent` goes to every window.

Tasks run only when the host advances the clock or settles after an action, in time
order and first-in-first-out at equal times. An error in a task is not caught: on a
device it would crash KOReader, here it reaches the Python caller as a LuaError.
]]

local Event = require("ui/event")
local clock = require("headless/clock")
local time = require("ui/time")

--- A task rescheduling itself with nextTick forever would hang the host; stop it.
local MAX_TASKS_PER_INSTANT = 10000

local UIManager = {
    _window_stack = {},
    _task_queue = {},
    _task_seq = 0,
    _toasts = {}, -- text of every InfoMessage/Notification ever shown, in order
}

local function layer(widget)
    if widget.toast then return 3 end
    if widget.modal then return 2 end
    return 1
end

function UIManager:_indexOf(widget)
    for i, window in ipairs(self._window_stack) do
        if window.widget == widget then return i end
    end
end

--- As KOReader: nil is ignored; showing a widget twice stacks it twice.
function UIManager:show(widget)
    if not widget then return end
    local stack = self._window_stack
    local pos = #stack + 1
    while pos > 1 and layer(stack[pos - 1].widget) > layer(widget) do pos = pos - 1 end
    table.insert(stack, pos, { widget = widget })
    if widget.records_toast then table.insert(self._toasts, tostring(widget.text)) end
    widget:handleEvent(Event:new("Show"))
end

--- As KOReader: the widget hears FlushSettings and CloseWidget first, even when it is not
--- shown (or closed already), and then every entry of it leaves the stack.
function UIManager:close(widget)
    if not widget then return end
    widget:handleEvent(Event:new("FlushSettings"))
    widget:handleEvent(Event:new("CloseWidget"))
    for i = #self._window_stack, 1, -1 do
        if self._window_stack[i].widget == widget then table.remove(self._window_stack, i) end
    end
end

function UIManager:getTopmostVisibleWidget()
    for i = #self._window_stack, 1, -1 do
        local widget = self._window_stack[i].widget
        if not widget.toast then return widget end
    end
end

function UIManager:isWidgetShown(widget)
    return self:_indexOf(widget) ~= nil
end

function UIManager:sendEvent(event)
    local stack = self._window_stack
    local top_index
    local toasts = {}
    for i = #stack, 1, -1 do
        if not stack[i].widget.toast then top_index = i break end
        table.insert(toasts, stack[i].widget)
    end
    for _, toast in ipairs(toasts) do toast:handleEvent(event) end -- never consumed
    if not top_index then return false end
    local top = stack[top_index].widget
    if top:handleEvent(event) then return true end
    for _, widget in ipairs(top.active_widgets or {}) do
        if widget:handleEvent(event) then return true end
    end
    for i = top_index - 1, 1, -1 do
        local window = stack[i]
        if window and window.widget.is_always_active and window.widget:handleEvent(event) then
            return true
        end
    end
    return false
end

function UIManager:broadcastEvent(event)
    local snapshot = {}
    for i = #self._window_stack, 1, -1 do table.insert(snapshot, self._window_stack[i].widget) end
    for _, widget in ipairs(snapshot) do
        if self:_indexOf(widget) then widget:handleEvent(event) end
    end
end

function UIManager:flushSettings()
    self:broadcastEvent(Event:new("FlushSettings"))
end

-- Tasks ---------------------------------------------------------------------

function UIManager:_insertTask(at, action, args)
    assert(type(action) == "function" or getmetatable(action), "scheduled action must be callable")
    self._task_seq = self._task_seq + 1
    local queue = self._task_queue
    local pos = #queue + 1
    while pos > 1 and queue[pos - 1].time > at do pos = pos - 1 end
    table.insert(queue, pos, { time = at, action = action, args = args })
end

--- `when` is an absolute fixed-point time, as from ui/time.
function UIManager:schedule(when, action, ...)
    self:_insertTask(time.to_s(when), action, table.pack(...))
end

function UIManager:scheduleIn(seconds, action, ...)
    assert(type(seconds) == "number" and seconds >= 0, "scheduleIn needs a delay >= 0")
    self:_insertTask(clock.now + seconds, action, table.pack(...))
end

function UIManager:nextTick(action, ...)
    return self:scheduleIn(0, action, ...)
end

--- Two ticks later; returns the wrapper, which is what to unschedule to cancel early.
function UIManager:tickAfterNext(action, ...)
    local args = table.pack(...)
    local wrapper = function() self:nextTick(action, unpack(args, 1, args.n)) end
    self:nextTick(wrapper)
    return wrapper
end

--- Removes every queued task whose action is `action` (by identity).
function UIManager:unschedule(action)
    local removed = false
    for i = #self._task_queue, 1, -1 do
        if self._task_queue[i].action == action then
            table.remove(self._task_queue, i)
            removed = true
        end
    end
    return removed
end

--- Returns a wrapper that calls `action` once calls stop for `seconds` (or at the first
--- call of a burst when `immediate`).
function UIManager:debounce(seconds, immediate, action)
    local args, last_call, scheduled
    local function fire()
        local quiet = clock.now - last_call
        if quiet < seconds then return self:scheduleIn(seconds - quiet, fire) end
        scheduled = false
        if not immediate then action(unpack(args, 1, args.n)) end
    end
    return function(...)
        args, last_call = table.pack(...), clock.now
        if scheduled then return end
        scheduled = true
        self:scheduleIn(seconds, fire)
        if immediate then action(unpack(args, 1, args.n)) end
    end
end

--- Runs the tasks due up to `until_time` in order, moving the clock to each; returns
--- how many ran. Leaves the clock at `until_time`.
function UIManager:_runTasksUntil(until_time)
    local ran, at_this_instant = 0, 0
    while self._task_queue[1] and self._task_queue[1].time <= until_time do
        local task = table.remove(self._task_queue, 1)
        if task.time > clock.now then clock.now, at_this_instant = task.time, 0 end
        at_this_instant = at_this_instant + 1
        if at_this_instant > MAX_TASKS_PER_INSTANT then
            error("more than " .. MAX_TASKS_PER_INSTANT .. " tasks at one instant: a task re-adds itself with nextTick?")
        end
        task.action(unpack(task.args, 1, task.args.n))
        ran = ran + 1
    end
    if until_time > clock.now then clock.now = until_time end
    return ran
end

function UIManager:getTime() return time.now() end
function UIManager:getElapsedTimeSinceBoot() return time.now() end

-- Drawing and device hooks: nothing to draw, nothing to prevent.
function UIManager:setDirty() end
function UIManager:forceRePaint() end
function UIManager:preventStandby() end
function UIManager:allowStandby() end
function UIManager:discardEvents() end
function UIManager:askForRestart() end

return UIManager
