--[[--
Headless host: Menu, the list widget (results, pickers). Items use the list fields:
`text`, `mandatory`/`mandatory_func`, `dim`, `callback`, `sub_item_table`,
`select_enabled`/`select_enabled_func`.

A tap calls `onMenuSelect(item)`, which a plugin may override on the instance; the
default opens a sub list, or calls `onMenuChoice(item)` (the item's callback) and then
`close_callback`. A non-selectable item ignores taps. The close button (or back) goes up
one sub list, or at the top closes the menu and then calls `close_callback`, as
KOReader's onClose/onCloseAllMenus do.
]]

local Dialog = require("headless/dialog")
local UIManager = require("ui/uimanager")

local Menu = Dialog:extend{
    widget_type = "Menu",
    modal = false,
}

function Menu:init()
    self.item_table = self.item_table or {}
    self._parents = {}
end

function Menu.itemSelectable(item)
    if item.select_enabled == false then return false end
    if item.select_enabled_func then return item.select_enabled_func() ~= false end
    return true
end

function Menu:switchItemTable(title, item_table)
    if title then self.title = title end
    if item_table then self.item_table = item_table end
end

function Menu:onMenuChoice(item)
    if item.callback then item.callback() end
    return true
end

function Menu:onMenuSelect(item)
    if item.sub_item_table then
        table.insert(self._parents, self.item_table)
        self:switchItemTable(nil, item.sub_item_table)
        return true
    end
    self:onMenuChoice(item)
    if self.close_callback then self.close_callback() end
    return true
end

--- A tap on an item, found by the host; returns false if it ignored the tap.
function Menu:selectItem(item)
    if not Menu.itemSelectable(item) then return false end
    self:onMenuSelect(item)
    return true
end

function Menu:onClose()
    if #self._parents > 0 then
        self:switchItemTable(nil, table.remove(self._parents))
        return true
    end
    return self:onCloseAllMenus()
end

function Menu:onCloseAllMenus()
    UIManager:close(self)
    if self.close_callback then self.close_callback() end
    return true
end

function Menu:describe()
    local description = Dialog.describe(self)
    description.subtitle = self.subtitle
    description.items = {}
    for i, item in ipairs(self.item_table) do
        local mandatory = item.mandatory
        if item.mandatory_func then mandatory = item.mandatory_func() end
        description.items[i] = {
            text = item.text,
            enabled = Menu.itemSelectable(item),
            dim = item.dim and true or false,
            mandatory = mandatory ~= nil and tostring(mandatory) or nil,
        }
    end
    return description
end

return Menu
