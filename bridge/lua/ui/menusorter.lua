--[[--
Headless host: MenuSorter, which turns the flat `menu_items` table that plugins fill
into tabs (koreader-host.md §1.5).

Ids listed in the order table go where they are listed, and a separator entry puts a
line after the item before it. Ids not listed ("orphans") follow in key order: one with
`sorting_hint` naming a container ("tools", "more_tools", ...) is appended at its end,
so a "tools" plugin lands after "More tools"; one without a hint is prefixed "NEW: " and
appended to the first tab.
]]

local SEPARATOR = "----------------------------"

local TOOLS = {
    "read_timer", "calibre", "exporter", "statistics", "progress_sync", "cloudstorage",
    "move_to_archive", "wallabag", "news_downloader", "text_editor", "profiles",
    "qrclipboard", SEPARATOR, "more_tools",
}
local MORE_TOOLS = {
    "auto_frontlight", "battery_statistics", "synchronize_time", "keep_alive", "terminal",
    SEPARATOR, "plugin_management", "patch_management",
}

local ORDER = {
    reader = {
        ["KOMenu:menu_buttons"] = { "navi", "typeset", "setting", "tools", "search", "filemanager", "main" },
        tools = TOOLS,
        more_tools = MORE_TOOLS,
    },
    filemanager = {
        ["KOMenu:menu_buttons"] = { "filemanager_settings", "setting", "tools", "search", "main" },
        tools = TOOLS,
        more_tools = MORE_TOOLS,
    },
}

local MenuSorter = { separator = SEPARATOR }

function MenuSorter:tabIds(kind)
    return ORDER[kind]["KOMenu:menu_buttons"]
end

local function markNew(entry)
    local text_func = entry.text_func
    if text_func then
        entry.text_func = function() return "NEW: " .. tostring(text_func()) end
    else
        entry.text = "NEW: " .. tostring(entry.text)
    end
end

--- Returns the tabs in order: { {id = "tools", items = {...}}, ... }.
function MenuSorter:mergeAndSort(kind, items)
    local order = ORDER[kind]
    local used = { ["KOMenu:menu_buttons"] = true }
    local containers = {}
    local function build(id)
        local list = {}
        containers[id] = list
        for _, child in ipairs(order[id] or {}) do
            if child == SEPARATOR then
                if list[#list] then list[#list].separator = true end
            elseif items[child] and not used[child] then
                used[child] = true
                if order[child] then items[child].sub_item_table = build(child) end
                table.insert(list, items[child])
            end
        end
        return list
    end
    local tabs = {}
    for _, tab_id in ipairs(self:tabIds(kind)) do
        used[tab_id] = true
        table.insert(tabs, { id = tab_id, items = build(tab_id) })
    end
    local orphans = {}
    for id in pairs(items) do
        if type(id) == "string" and not used[id] then table.insert(orphans, id) end
    end
    table.sort(orphans)
    for _, id in ipairs(orphans) do
        local entry = items[id]
        local target = entry.sorting_hint and containers[entry.sorting_hint]
        if not target then
            markNew(entry)
            target = tabs[1].items
        end
        table.insert(target, entry)
    end
    return tabs
end

return MenuSorter
