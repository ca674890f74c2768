--[[--
Headless host: reading and tapping TouchMenu item tables (koreader-host.md §2).

Everything is evaluated when read: `text_func`, `enabled_func`, `checked_func`, and
`sub_item_table_func` when a submenu is opened or read. A greyed-out entry (`enabled =
false` or `enabled_func()` returning false) ignores taps, including a greyed submenu on
the way to an entry. The callback gets a stand-in TouchMenu whose `closeMenu()` and
`updateItems()` plugins may call; the menu stays open after a tap when the entry has
`keep_menu_open` or is checkable (`checked_func`), as in KOReader.
]]

local InputDialog = require("ui/widget/inputdialog")
local UIManager = require("ui/uimanager")
local labels = require("headless/labels")
local _ = require("gettext")

local TouchMenu = {}

TouchMenu.text = labels.text
TouchMenu.enabled = labels.enabled

local function hasChildren(item)
    return item.sub_item_table ~= nil or item.sub_item_table_func ~= nil
end

function TouchMenu.subItems(item)
    if item.sub_item_table then return item.sub_item_table end
    if item.sub_item_table_func then return item.sub_item_table_func() or {} end
    return {}
end

--- A plain description; `depth` levels of submenus are expanded (nil: all).
function TouchMenu.describe(item, depth)
    local checked = item.checked
    if item.checked_func then checked = item.checked_func() end
    local node = {
        text = TouchMenu.text(item),
        enabled = TouchMenu.enabled(item),
        checked = checked and true or false,
        checkable = item.checked_func ~= nil,
        separator = item.separator and true or false,
        has_children = hasChildren(item),
        children = {},
    }
    if node.has_children and depth ~= 0 then
        for i, child in ipairs(TouchMenu.subItems(item)) do
            node.children[i] = TouchMenu.describe(child, depth and depth - 1)
        end
    end
    return node
end

--- Follows `path` (labels, see headless/labels) down from `items`.
--- Returns the entry, whether every submenu on the way was enabled, or nil and an error.
function TouchMenu.find(items, path)
    local item, reachable = nil, true
    for depth, wanted in ipairs(path) do
        if depth > 1 then
            reachable = reachable and TouchMenu.enabled(item)
            items = TouchMenu.subItems(item)
        end
        local found, err = labels.find(items, wanted, TouchMenu.text)
        if not found then return nil, err end
        item = found
    end
    return item, reachable
end

--- The stand-in for the TouchMenu instance a callback receives.
function TouchMenu.newInstance()
    return {
        open = true,
        updates = 0,
        closeMenu = function(self) self.open = false end,
        onClose = function(self) self.open = false end,
        updateItems = function(self) self.updates = self.updates + 1 end,
    }
end

--- KOReader's InputContainer:onInput for `tap_input`: title, input (or input_func()), the
--- hint (`hint` or hint_func(), not `input_hint`), input_type, its own buttons or Cancel and
--- OK (`cancel_text`, `ok_text`). OK ignores an empty text unless `allow_blank_input`, and
--- calls `callback(text)` (nothing else: the menu is not refreshed) before closing.
local function showTapInput(spec)
    local dialog
    dialog = InputDialog:new{
        title = spec.title,
        input = spec.input_func and spec.input_func() or spec.input,
        input_hint = spec.hint_func and spec.hint_func() or spec.hint,
        input_type = spec.input_type,
        buttons = spec.buttons or { {
            { text = spec.cancel_text or _("Cancel"), id = "close",
              callback = function() UIManager:close(dialog) end },
            { text = spec.ok_text or _("OK"), is_enter_default = true, callback = function()
                local text = dialog:getInputText()
                if spec.allow_blank_input or text ~= "" then
                    spec.callback(text)
                    UIManager:close(dialog)
                end
            end },
        } },
    }
    UIManager:show(dialog)
    dialog:onShowKeyboard()
end

--- A tap on `item`: returns false when the tap is ignored (greyed out).
function TouchMenu.tap(item, touchmenu)
    if not TouchMenu.enabled(item) then return false end
    if hasChildren(item) then
        TouchMenu.subItems(item) -- opening a submenu evaluates it
        return true
    end
    if item.tap_input or item.tap_input_func then
        if not item.keep_menu_open then touchmenu:closeMenu() end
        showTapInput(item.tap_input or item.tap_input_func())
        return true
    end
    local callback = item.callback
    if item.callback_func then callback = item.callback_func() end
    if not (item.keep_menu_open or item.checked_func) then touchmenu:closeMenu() end
    if callback then callback(touchmenu) end
    return true
end

return TouchMenu
