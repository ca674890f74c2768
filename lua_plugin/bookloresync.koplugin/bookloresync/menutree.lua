--[[--
The Tools → BookLore Sync menu tree (product.md §9): the item tables KOReader's TouchMenu
draws. (Not to be confused with KOReader's list widget, `ui/widget/menu`.) Every label, checkmark and greyed
state is a function, evaluated each time the menu is drawn, so it always shows the
current queue and settings. Values entered here go to the core, which validates them and
answers with the message to show.
]]

local InputDialog = require("ui/widget/inputdialog")
local MultiInputDialog = require("ui/widget/multiinputdialog")
local Notification = require("ui/widget/notification")
local UIManager = require("ui/uimanager")
local _ = require("gettext")
local T = require("ffi/util").template

local Manage = require("bookloresync/manage")
local Progress = require("bookloresync/progress")
local Repair = require("bookloresync/repair")
local ThisBook = require("bookloresync/thisbook")

local MenuTree = {}

local function save(plugin, core, key, value, touchmenu)
    local result = core.set_setting(key, value)
    if not result.ok then plugin:toast(result.message, 5) end
    if touchmenu then touchmenu:updateItems() end
    return result.ok
end

local function toggle(plugin, core, key, label)
    return {
        text = label,
        checked_func = function() return plugin:setting(key) end,
        callback = function(touchmenu)
            save(plugin, core, key, not plugin:setting(key), touchmenu)
        end,
    }
end

-- One value typed in. Save hands it to the core (which validates it and says why not) and
-- redraws the menu through the touch menu the tap came from; KOReader's `tap_input` would
-- give the callback only the text, leaving the label stale until the menu is reopened.
local function editValue(plugin, core, touchmenu, key, spec)
    local dialog
    local value = plugin:setting(key)
    dialog = InputDialog:new{
        title = spec.title, input = value ~= nil and tostring(value) or "",
        input_hint = spec.hint, input_type = spec.input_type,
        buttons = {{
            { text = _("Cancel"), id = "close", callback = function() UIManager:close(dialog) end },
            { text = _("Save"), is_enter_default = true, callback = function()
                local text = dialog:getInputText()
                UIManager:close(dialog)
                save(plugin, core, key, text, touchmenu)
            end },
        }},
    }
    UIManager:show(dialog)
    dialog:onShowKeyboard()
end

-- A value that could not be read (the core failed) is left out of the label, never drawn
-- as "false".
local function numberInput(plugin, core, key, label, hint)
    return {
        text_func = function()
            local value = plugin:setting(key)
            return value ~= nil and T("%1: %2", label, value) or label
        end,
        keep_menu_open = true,
        callback = function(touchmenu)
            editValue(plugin, core, touchmenu, key, { title = label, hint = hint, input_type = "number" })
        end,
    }
end

-- Username and masked password in one dialog, as KOReader's own sync plugins do.
local function accountDialog(plugin, core, title, user_key, password_key)
    local dialog
    dialog = MultiInputDialog:new{
        title = title,
        fields = {
            { text = plugin:setting(user_key) or "", hint = _("Username") },
            { text = "", hint = _("Password (unchanged if empty)"), text_type = "password" },
        },
        buttons = {{
            { text = _("Cancel"), id = "close", callback = function() UIManager:close(dialog) end },
            { text = _("Save"), is_enter_default = true, callback = function()
                local fields = dialog:getFields()
                UIManager:close(dialog)
                if save(plugin, core, user_key, fields[1]) and fields[2] ~= "" then
                    save(plugin, core, password_key, fields[2])
                end
                Manage.invalidate()
            end },
        }},
    }
    UIManager:show(dialog)
end

local function serverAndAccounts(plugin, core)
    return {
        {
            text_func = function()
                local url = plugin:setting("server_url")
                if url == nil then return _("Server") end
                return url ~= "" and T(_("Server: %1"), url) or _("Server: not set")
            end,
            keep_menu_open = true,
            callback = function(touchmenu)
                editValue(plugin, core, touchmenu, "server_url",
                          { title = _("BookLore server URL"), hint = "https://books.example.org" })
            end,
        },
        { text = _("KOReader account"), keep_menu_open = true, callback = function()
            accountDialog(plugin, core, _("KOReader sync account"), "username", "password")
        end },
        { text = _("BookLore account"), keep_menu_open = true, callback = function()
            accountDialog(plugin, core, _("BookLore account"), "booklore_username",
                          "booklore_password")
        end },
        { text = _("Test Connection"), keep_menu_open = true, callback = function()
            MenuTree.testConnection(plugin, core)
        end },
    }
end

-- One choice of a setting with a fixed set of values.
local function radio(plugin, core, key, value, label)
    return {
        text = label, radio = true,
        checked_func = function() return plugin:setting(key) == value end,
        callback = function(touchmenu) save(plugin, core, key, value, touchmenu) end,
    }
end

local function sessionTracking(plugin, core)
    return {
        toggle(plugin, core, "tracking_enabled", _("Track reading sessions")),
        { text = _("Detection mode"), sub_item_table = {
            radio(plugin, core, "detection_mode", "duration",
                  _("Duration (and at least one page turned)")),
            radio(plugin, core, "detection_mode", "pages", _("Pages read")),
        } },
        numberInput(plugin, core, "min_duration", _("Minimum duration (seconds)"), "30"),
        numberInput(plugin, core, "min_pages", _("Minimum pages"), "5"),
        numberInput(plugin, core, "progress_decimals", _("Progress decimal places"), "0–5"),
    }
end

local function ratingsAndAnnotations(plugin, core)
    return {
        toggle(plugin, core, "rating_sync", _("Sync rating (KOReader stars × 2)")),
        toggle(plugin, core, "annotation_sync", _("Sync highlights and notes")),
        { text = _("Notes destination"), sub_item_table = {
            radio(plugin, core, "notes_destination", "book", _("In the book (BookLore's reader)")),
            radio(plugin, core, "notes_destination", "booklore", _("In BookLore (book notes)")),
            radio(plugin, core, "notes_destination", "both", _("Both")),
        } },
        { text = _("Upload highlights and notes"), sub_item_table = {
            radio(plugin, core, "annotation_upload", "session_end", _("At every session end")),
            radio(plugin, core, "annotation_upload", "finished",
                  _("Only when the book is finished")),
        } },
        toggle(plugin, core, "bookmark_sync", _("Sync bookmarks (EPUB)")),
    }
end

function MenuTree.testConnection(plugin, core)
    plugin:toast(_("Testing connection…"), 2)
    core.test_connection({}, function(result)
        Manage.invalidate()
        plugin:showMessage(result.text or result.message)
    end)
end

-- Settings → Import reading history: KOReader's own statistics and sidecars, in the core's
-- background worker; how far it has got shows at the top of the screen without stopping
-- the reader (bookloresync/progress), then the summary. Safe to run twice: the core
-- imports nothing it already has.
function MenuTree.importHistory(plugin, core)
    if MenuTree.importing then return plugin:toast(_("The import is already running")) end
    MenuTree.importing = true
    UIManager:show(Notification:new{ text = _("Importing reading history…") })
    local progress = Progress.follow(core)
    local home = G_reader_settings and G_reader_settings:readSetting("home_dir")
    local started = core.import_history({ books = { home } }, function(result)
        MenuTree.importing = false
        progress:stop()
        Manage.invalidate()
        plugin:showMessage(result.text or result.message or _("Import failed"))
    end)
    if not started.ok then
        MenuTree.importing = false
        progress:stop()
        plugin:toast(started.message)
    end
end

-- Built each time Settings opens, so Repair database is there only while the core reports
-- its database damaged.
local function settingsItems(plugin, core)
    local items = {
        { text = _("Server and accounts"), sub_item_table = serverAndAccounts(plugin, core) },
        { text = _("Session tracking"), sub_item_table = sessionTracking(plugin, core) },
        toggle(plugin, core, "manual_sync_only", _("Manual Sync Only")),
        toggle(plugin, core, "silent_mode", _("Silent mode")),
        { text = _("Ratings and annotations"),
          sub_item_table = ratingsAndAnnotations(plugin, core) },
        { text = _("Manage Sessions"), sub_item_table = Manage.items(plugin, core) },
        { text = _("Import reading history"), keep_menu_open = true,
          callback = function() MenuTree.importHistory(plugin, core) end },
    }
    if Repair.offered(core) then table.insert(items, Repair.item(plugin, core)) end
    return items
end

function MenuTree.build(plugin, core)
    local items = {
        { text = _("Sync Now"), callback = function() plugin:runSync(true, "manual") end },
    }
    if plugin.ui.document then -- in the reader: the open book's own switch
        table.insert(items, ThisBook.readerMenuItem(plugin, core))
    end
    table.insert(items, { text = _("Settings"),
                          sub_item_table_func = function() return settingsItems(plugin, core) end })
    return { text = _("BookLore Sync"), sorting_hint = "tools", sub_item_table = items }
end

return MenuTree
