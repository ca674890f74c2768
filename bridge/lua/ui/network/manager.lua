--[[--
Headless host: NetworkMgr of a device with a Wi-Fi toggle (a Kobo, a Kindle), in one of
three states the host sets: "off" (radio off, or no network), "connected" (an address
and a gateway, but no way out: a captive portal, a dead uplink) and "online".

What costs what, as on a device:
- `isWifiOn`, `isConnected`, `getWifiState`, `getConnectionState` read interface state
  (sysfs, getifaddrs) or NetworkMgr's own flags: they answer at once.
- `isOnline` resolves a host name (KOReader's `canResolveHostnames`), which blocks the
  thread for as long as the lookup takes: a round trip when online, the resolver's
  timeouts when connected without a way out. So do `runWhenOnline`,
  `willRerunWhenOnline` and `goOnlineToRun`, which call it. Here every such call moves
  the virtual clock by that time (the screen was frozen: timers fire late, `os.time`
  jumps) and is recorded with its Lua traceback as a UI-thread stall
  (`HeadlessHost.ui_stalls`), so a test can tell that a plugin path blocked.

`beforeWifiAction` follows the reader's `wifi_enable_action` setting as KOReader does:
"turn_on" turns the radio on and waits (a "Connecting to Wi-Fi…" message), "ignore"
waits silently, anything else (the default) asks "Do you want to turn on Wi-Fi?" first.
Turning the radio on is recorded as a request; the host decides whether and when the
network comes up. A waiting callback runs once it does (after `NetworkConnected` is
broadcast, as KOReader's connectivity check does it), or is dropped when no connection
came within KOReader's 45 s.
]]

local ConfirmBox = require("ui/widget/confirmbox")
local Event = require("ui/event")
local InfoMessage = require("ui/widget/infomessage")
local UIManager = require("ui/uimanager")
local clock = require("headless/clock")
local logger = require("logger")
local _ = require("gettext")

--- How long a host-name lookup freezes the caller, by state: nothing to send it on;
--- two resolver timeouts of 5 s (glibc's defaults) with nobody answering; a round trip.
local LOOKUP_SECONDS = { off = 0, connected = 10, online = 0.1 }
--- KOReader's connectivity check gives up after 180 polls of 0.25 s.
local CONNECT_GIVE_UP_SECONDS = 45

local NetworkMgr = {
    _state = "off",
    _waiting = {},       -- {callback, widget, expired} waiting for a connection
    _stalls = {},        -- blocking calls made on this (the UI) thread
    _turn_on_requests = 0,
    pending_connection = false,
}

local function connected(state) return state ~= "off" end

-- Non-blocking state checks ------------------------------------------------------------

function NetworkMgr:isWifiOn() return connected(self._state) end
function NetworkMgr:isConnected() return connected(self._state) end
function NetworkMgr:getWifiState() return connected(self._state) end
function NetworkMgr:getConnectionState() return connected(self._state) end
function NetworkMgr:isNetworkInfoAvailable() return self:isConnected() end

-- The blocking lookup ----------------------------------------------------------------

function NetworkMgr:_stall(name, seconds)
    local where = debug.traceback("", 3)
    table.insert(self._stalls, { call = name, seconds = seconds, traceback = where })
    logger.warn("NetworkMgr:", name, "blocked the UI thread for", seconds, "s", where)
    clock.now = clock.now + seconds
end

function NetworkMgr:canResolveHostnames()
    self:_stall("canResolveHostnames", LOOKUP_SECONDS[self._state])
    return self._state == "online"
end

function NetworkMgr:isOnline()
    self:_stall("isOnline", LOOKUP_SECONDS[self._state])
    return self._state == "online"
end

-- Waiting for a connection -------------------------------------------------------------

function NetworkMgr:_wait(callback, widget)
    local waiter = { callback = callback, widget = widget }
    waiter.give_up = function()
        for i, other in ipairs(self._waiting) do
            if other == waiter then table.remove(self._waiting, i) break end
        end
        self.pending_connection = false
        if widget then
            UIManager:close(widget)
            UIManager:show(InfoMessage:new{ text = _("Error connecting to the network") })
        end
    end
    table.insert(self._waiting, waiter)
    UIManager:scheduleIn(CONNECT_GIVE_UP_SECONDS, waiter.give_up)
end

function NetworkMgr:_requestTurnOn(callback, widget)
    if self.pending_connection then
        logger.warn("NetworkMgr: a previous connection attempt is still ongoing; callback dropped")
        return
    end
    self.pending_connection = true
    self._turn_on_requests = self._turn_on_requests + 1
    UIManager:broadcastEvent(Event:new("NetworkConnecting"))
    self:_wait(callback, widget)
end

function NetworkMgr:turnOnWifiAndWaitForConnection(callback)
    if self:isConnected() then
        if callback then callback() end
        return
    end
    local info = InfoMessage:new{ text = _("Connecting to Wi-Fi…") }
    UIManager:show(info)
    self:_requestTurnOn(callback, info)
    return info
end

function NetworkMgr:promptWifiOn(callback)
    if self.pending_connection then return end
    UIManager:show(ConfirmBox:new{
        text = _("Do you want to turn on Wi-Fi?"),
        ok_text = _("Turn on"),
        ok_callback = function()
            if self:isConnected() then return end -- already on: KOReader's toggle does nothing more
            self:_requestTurnOn(callback)
        end,
    })
end

--- Only isConnected is guaranteed when the callback runs, not isOnline (as in KOReader).
function NetworkMgr:beforeWifiAction(callback)
    local action = G_reader_settings and G_reader_settings:readSetting("wifi_enable_action")
    if action == "turn_on" then
        return self:turnOnWifiAndWaitForConnection(callback)
    elseif action == "ignore" then
        if self:isConnected() then
            if callback then callback() end
            return
        end
        return self:_wait(callback)
    end
    return self:promptWifiOn(callback)
end

function NetworkMgr:runWhenConnected(callback)
    if self:isConnected() then return callback() end
    self:beforeWifiAction(callback)
end

--- The non-blocking idiom: `if NetworkMgr:willRerunWhenConnected(fn) then return end`.
function NetworkMgr:willRerunWhenConnected(callback)
    if self:isConnected() then return false end
    self:beforeWifiAction(callback)
    return true
end

--- Connected without a way out: KOReader reconnects but does not run the callback.
function NetworkMgr:runWhenOnline(callback)
    if self:isOnline() then return callback() end
    self:beforeWifiAction(not self:isConnected() and callback or nil)
end

function NetworkMgr:willRerunWhenOnline(callback)
    if self:isOnline() then return false end
    self:beforeWifiAction(not self:isConnected() and callback or nil)
    return true
end

--- KOReader blocks here until online when the reader chose "turn_on"; the host cannot
--- wait inside a call, so offline it answers false as KOReader does for the other choices.
function NetworkMgr:goOnlineToRun(callback)
    if self:isOnline() then
        callback()
        return true
    end
    return false
end

-- The radio --------------------------------------------------------------------------

--- Called by the host. Returns true if the state changed.
function NetworkMgr:_setState(state)
    assert(LOOKUP_SECONDS[state], "network state must be off, connected or online")
    local before = self._state
    if state == before then return false end
    self._state = state
    if not connected(state) then
        UIManager:broadcastEvent(Event:new("NetworkDisconnected"))
    elseif not connected(before) then
        self:_connected()
    end
    return true
end

function NetworkMgr:_connected()
    self.pending_connection = false
    local waiting = self._waiting
    self._waiting = {}
    UIManager:broadcastEvent(Event:new("NetworkConnected"))
    for _, waiter in ipairs(waiting) do
        UIManager:unschedule(waiter.give_up)
        if waiter.widget then UIManager:close(waiter.widget) end
        if waiter.callback then waiter.callback() end
    end
end

--- The plugin may ask; the host's network decides whether anything connects.
function NetworkMgr:turnOnWifi() self._turn_on_requests = self._turn_on_requests + 1 end
function NetworkMgr:enableWifi(callback) self:_requestTurnOn(callback) end
function NetworkMgr:toggleWifiOn(callback) self:_requestTurnOn(callback) end
function NetworkMgr:turnOffWifi() end
function NetworkMgr:disableWifi() end
function NetworkMgr:toggleWifiOff() end

return NetworkMgr
