--[[--
Headless host: what ReaderUI and FileManager share: module registration, plugin
instantiation and the main menu.

Modules are children of the UI, so events reach built-in modules first, then plugins in
load order. `registerModule` also makes a plugin reachable as `ui[name]` and renames the
instance "reader<name>" / "filemanager<name>", as KOReader does.
]]

local MainMenu = require("headless/mainmenu")
local PluginLoader = require("pluginloader")
local WidgetContainer = require("ui/widget/container/widgetcontainer")

local App = WidgetContainer:extend{
    module_prefix = "reader",
}

function App:registerModule(name, module)
    self[name] = module
    module.name = self.module_prefix .. name
    table.insert(self, module)
end

function App:addMainMenu(kind)
    self.menu = MainMenu:new{ ui = self, kind = kind }
    self:registerModule("menu", self.menu)
end

--- Instantiates every enabled plugin for this UI; `attr_for(plugin)` gives its fields.
function App:instantiatePlugins(attr_for, skip_doc_only)
    for _, plugin in ipairs(PluginLoader.enabled_plugins) do
        if not (skip_doc_only and plugin.is_doc_only) then
            local instance = PluginLoader:createPluginInstance(plugin, attr_for(plugin))
            if instance then self:registerModule(plugin.name, instance) end
        end
    end
end

return App
