--[[--
Headless host: a device that is none of the real ones. It has a Wi-Fi toggle, so
NetworkMgr's online state is whatever the host sets.
]]

local function no() return false end
local function yes() return true end

local Screen = {}
function Screen:getWidth() return 1072 end
function Screen:getHeight() return 1448 end
function Screen:getDPI() return 300 end
function Screen:scaleBySize(px) return px end

return {
    model = "headless",
    screen = Screen,
    isAndroid = no, isKindle = no, isKobo = no, isPocketBook = no, isRemarkable = no,
    isCervantes = no, isSonyPRSTUX = no, isEmulator = no, isDesktop = no,
    hasWifiToggle = yes, hasKeyboard = no, hasKeys = no, isTouchDevice = yes,
    canUseWAL = yes, hasFrontlight = no,
}
