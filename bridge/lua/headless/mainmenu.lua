--[[--
Headless host: the main menu of a ReaderUI or FileManager (ReaderMenu/FileManagerMenu).

Plugins call `self.ui.menu:registerToMainMenu(self)` from init. The menu is built every
time it is read or tapped, as KOReader rebuilds it each time it opens: every registered
widget's `addToMainMenu(menu_items)` runs (in pcall; a failure is logged and the rest of
the menu still builds), then MenuSorter places the entries in tabs.
]]

local MenuSorter = require("ui/menusorter")
local WidgetContainer = require("ui/widget/container/widgetcontainer")
local logger = require("logger")
local _ = require("gettext")

local MainMenu = WidgetContainer:extend{
    kind = "reader", -- or "filemanager"
}

function MainMenu:init()
    self.registered_widgets = {}
end

function MainMenu:registerToMainMenu(widget)
    for _, registered in ipairs(self.registered_widgets) do
        if registered == widget then return end
    end
    table.insert(self.registered_widgets, widget)
end

--- The entries the host itself provides: the tab roots and the "More tools" submenu.
function MainMenu:_hostItems()
    local items = { ["KOMenu:menu_buttons"] = {}, more_tools = { text = _("More tools") } }
    for _, tab_id in ipairs(MenuSorter:tabIds(self.kind)) do items[tab_id] = { icon = tab_id } end
    return items
end

--- Returns the tabs: { {id = "tools", items = {...}}, ... }, freshly built.
function MainMenu:buildTabs()
    local items = self:_hostItems()
    for _, widget in ipairs(self.registered_widgets) do
        local ok, err = pcall(widget.addToMainMenu, widget, items)
        if not ok then logger.err("failed to register widget", widget.name, err) end
    end
    return MenuSorter:mergeAndSort(self.kind, items)
end

function MainMenu:tabItems(tab_id)
    for _, tab in ipairs(self:buildTabs()) do
        if tab.id == tab_id then return tab.items end
    end
end

return MainMenu
