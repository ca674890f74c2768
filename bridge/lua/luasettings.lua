--[[--
Headless host: a minimal LuaSettings, persisted as a Lua file (`return { ... }`).

Same reading rule as KOReader: `readSetting(key, default)` stores the default when the
key is absent and returns the live table, so callers may mutate what they read.
A settings object without a file (DocSettings here) simply does not flush.
]]

local dump = require("dump")

local LuaSettings = {}
LuaSettings.__index = LuaSettings

local function load(path)
    local ok, data = pcall(dofile, path)
    if ok and type(data) == "table" then return data end
end

function LuaSettings:open(path)
    local data = load(path) or load(path .. ".old") or {}
    return setmetatable({ file = path, data = data }, self)
end

--- A settings object over an existing table, never written to disk.
function LuaSettings:wrap(data)
    return setmetatable({ data = data or {} }, self)
end

function LuaSettings:readSetting(key, default)
    if self.data[key] == nil and default ~= nil then self.data[key] = default end
    return self.data[key]
end

function LuaSettings:saveSetting(key, value)
    self.data[key] = value
    return self
end

function LuaSettings:delSetting(key)
    self.data[key] = nil
    return self
end

function LuaSettings:has(key) return self.data[key] ~= nil end
function LuaSettings:hasNot(key) return self.data[key] == nil end
function LuaSettings:isTrue(key) return self.data[key] == true end
function LuaSettings:isFalse(key) return self.data[key] == false end
function LuaSettings:nilOrTrue(key) return self.data[key] == nil or self.data[key] == true end
function LuaSettings:nilOrFalse(key) return self.data[key] == nil or self.data[key] == false end
function LuaSettings:makeTrue(key) return self:saveSetting(key, true) end
function LuaSettings:makeFalse(key) return self:saveSetting(key, false) end
function LuaSettings:toggle(key) return self:saveSetting(key, not self.data[key]) end

--- nil/false becomes true, true becomes nil.
function LuaSettings:flipNilOrFalse(key)
    if self:nilOrFalse(key) then return self:saveSetting(key, true) end
    return self:delSetting(key)
end

--- nil/true becomes false, false becomes nil.
function LuaSettings:flipNilOrTrue(key)
    if self:nilOrTrue(key) then return self:saveSetting(key, false) end
    return self:delSetting(key)
end

function LuaSettings:reset(data)
    self.data = data or {}
    return self
end

--- Writes the whole table; a temp file plus rename keeps a crash from truncating it.
function LuaSettings:flush()
    if not self.file then return self end
    local tmp = self.file .. ".tmp"
    local out = assert(io.open(tmp, "w"))
    out:write("-- ", self.file, "\nreturn ", dump(self.data), "\n")
    out:close()
    assert(os.rename(tmp, self.file))
    return self
end

function LuaSettings:close()
    self:flush()
end

return LuaSettings
