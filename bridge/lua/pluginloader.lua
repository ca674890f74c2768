--[[--
Headless host: the plugin loader, following KOReader's rules (koreader-host.md §1.1-1.3).

The host finds the `*.koplugin` directories (sorted "provider*" first, then by path)
and passes them in. For each: `_meta.lua` and `main.lua` run under pcall(dofile) with the
plugin directory put first in package.path (and restored after); a load error only
skips the plugin. A `{ disabled = true }` result is skipped silently. The loader sets
`path` and `name` (the directory name wins over a declared name), copies the `_meta`
keys except `name`, and wraps the class's own on* functions so an error in a handler is
logged and the handler returns false. Once all are loaded, the plugin directories are
appended to package.path, as KOReader does.
]]

local logger = require("logger")

local PluginLoader = {
    enabled_plugins = {},
    disabled_plugins = {},
    loaded_plugins = {},
}

local function loadFile(file, root)
    local old_path = package.path
    package.path = root .. "/?.lua;" .. package.path
    local ok, result = pcall(dofile, file)
    package.path = old_path
    return ok, result
end

local function fileExists(path)
    local handle = io.open(path, "r")
    if handle then handle:close() end
    return handle ~= nil
end

--- Replaces the class's own on* functions by callables that log and return false on error.
local function sandboxHandlers(plugin)
    for key, handler in pairs(plugin) do
        if type(key) == "string" and key:sub(1, 2) == "on" and type(handler) == "function" then
            plugin[key] = setmetatable({}, { __call = function(_, ...)
                local results = table.pack(xpcall(handler, debug.traceback, ...))
                if results[1] then return unpack(results, 2, results.n) end
                logger.err("An error occurred while executing handler " .. tostring(plugin.name) .. ":" .. key, results[2])
                return false
            end })
        end
    end
end

local function mergeMeta(plugin, meta)
    for key, value in pairs(meta or {}) do
        if key == "name" then
            logger.warn("Ignoring name in _meta.lua of plugin", plugin.name)
        else
            plugin[key] = value
        end
    end
end

--- Loads one plugin directory; returns the class table, or nil if it is skipped.
function PluginLoader:_load(root, name)
    local disabled = G_reader_settings and G_reader_settings:readSetting("plugins_disabled") or {}
    local meta_file = root .. "/_meta.lua"
    local ok_meta, meta = true, nil
    if fileExists(meta_file) then ok_meta, meta = loadFile(meta_file, root) end
    if not ok_meta then
        logger.warn("Error when loading", meta_file, meta)
        meta = nil
    end
    if disabled[name] then
        table.insert(self.disabled_plugins, { name = name, path = root, meta = meta })
        return nil
    end
    local ok, plugin = loadFile(root .. "/main.lua", root)
    if not ok or type(plugin) ~= "table" then
        logger.warn("Error when loading", root .. "/main.lua", plugin)
        return nil
    end
    if plugin.disabled then return nil end
    plugin.path = root
    plugin.name = name
    mergeMeta(plugin, type(meta) == "table" and meta or nil)
    sandboxHandlers(plugin)
    return plugin
end

--- plugins: { {root = "/x/foo.koplugin", name = "foo"}, ... } in load order.
function PluginLoader:loadPlugins(plugins)
    for _, found in ipairs(plugins) do
        local plugin = self:_load(found.root, found.name)
        if plugin then table.insert(self.enabled_plugins, plugin) end
    end
    for _, plugin in ipairs(self.enabled_plugins) do
        package.path = package.path .. ";" .. plugin.path .. "/?.lua"
    end
    return self.enabled_plugins
end

--- A new instance for one UI; nil (logged) if its constructor fails.
function PluginLoader:createPluginInstance(plugin, attr)
    local ok, instance = pcall(plugin.new, plugin, attr)
    if not ok then
        logger.err("Failed to initialize", plugin.name, "plugin:", instance)
        return nil
    end
    self.loaded_plugins[plugin.name] = instance
    return instance
end

function PluginLoader:getPluginInstance(name)
    return self.loaded_plugins[name]
end

function PluginLoader:isPluginLoaded(name)
    return self.loaded_plugins[name] ~= nil
end

function PluginLoader:finalize()
    self.loaded_plugins = {}
end

return PluginLoader
