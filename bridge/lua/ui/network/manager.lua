--[[--
Headless host: NetworkMgr with the network state set by the host (HeadlessHost.set_online).

Connected and online are the same thing here. When offline, `runWhenOnline` and
`willRerunWhenOnline` park the callback as KOReader's "wait silently" Wi-Fi action does
(no prompt is shown); when the host brings the network up, the parked callbacks run in
order and then `NetworkConnected` is broadcast.
]]

local Event = require("ui/event")
local UIManager = require("ui/uimanager")

local NetworkMgr = {
    _online = false,
    _waiting = {}, -- callbacks to run once the network is up
}

function NetworkMgr:isOnline() return self._online end
function NetworkMgr:isConnected() return self._online end
function NetworkMgr:isWifiOn() return self._online end
function NetworkMgr:getWifiState() return self._online end
function NetworkMgr:getConnectionState() return self._online end

--- Called by the host. Returns true if the state changed.
function NetworkMgr:_setOnline(online)
    online = online and true or false
    if online == self._online then return false end
    self._online = online
    if not online then
        UIManager:broadcastEvent(Event:new("NetworkDisconnected"))
        return true
    end
    local waiting = self._waiting
    self._waiting = {}
    for _, callback in ipairs(waiting) do callback() end
    UIManager:broadcastEvent(Event:new("NetworkConnected"))
    return true
end

function NetworkMgr:beforeWifiAction(callback)
    if callback then table.insert(self._waiting, callback) end
end

function NetworkMgr:runWhenOnline(callback)
    if self._online then return callback() end
    self:beforeWifiAction(callback)
end

NetworkMgr.runWhenConnected = NetworkMgr.runWhenOnline

--- The KOReader idiom: `if NetworkMgr:willRerunWhenOnline(fn) then return end`.
function NetworkMgr:willRerunWhenOnline(callback)
    if self._online then return false end
    self:beforeWifiAction(callback)
    return true
end

NetworkMgr.willRerunWhenConnected = NetworkMgr.willRerunWhenOnline

--- Blocking "go online" only works when the host is online already.
function NetworkMgr:goOnlineToRun(callback)
    if self._online then return callback() end
    return false
end

-- The radio is the host's to switch; plugin requests are accepted and ignored.
function NetworkMgr:turnOnWifi() end
function NetworkMgr:turnOffWifi() end
function NetworkMgr:enableWifi() end
function NetworkMgr:disableWifi() end
function NetworkMgr:toggleWifiOn() end
function NetworkMgr:toggleWifiOff() end

return NetworkMgr
