--[[--
Tools → BookLore Sync → Settings → Manage Sessions: the five entries of the user's page,
their labels with live queue counts, greying rules, dialogs and toasts. Counts come from
the core once per menu render (cached until the next UIManager tick or the next change).
]]

local ButtonDialog = require("ui/widget/buttondialog")
local CheckButton = require("ui/widget/checkbutton")
local InfoMessage = require("ui/widget/infomessage")
local NetworkMgr = require("ui/network/manager")
local Progress = require("bookloresync/progress")
local UIManager = require("ui/uimanager")
local _ = require("gettext")
local T = require("ffi/util").template

local Manage = {}

local EMPTY = { sessions = 0, annotations = 0, ratings = 0,
                cache = { total = 0, matched = 0, unmatched = 0 } }
local KINDS = {
    { key = "sessions", label = _("Sessions") },
    { key = "annotations", label = _("Annotations") },
    { key = "ratings", label = _("Ratings") },
}

local cached_counts = nil

function Manage.invalidate()
    cached_counts = nil
end

function Manage.counts(core)
    if not cached_counts then
        local result = core.queue_counts()
        cached_counts = result.ok and result or EMPTY
        UIManager:nextTick(Manage.invalidate)
    end
    return cached_counts
end

local function anyQueued(c)
    return c.sessions + c.annotations + c.ratings > 0
end

-- "(3s, 1a, 2r)" when anything is queued, nothing otherwise.
local function queueSuffix(c)
    if not anyQueued(c) then return "" end
    return T(" (%1s, %2a, %3r)", c.sessions, c.annotations, c.ratings)
end

local function refresh(touchmenu)
    Manage.invalidate()
    if touchmenu then touchmenu:updateItems() end
end

function Manage.items(plugin, core)
    return {
        {
            text_func = function() return _("Sync Pending Now") .. queueSuffix(Manage.counts(core)) end,
            enabled_func = function() return anyQueued(Manage.counts(core)) end,
            callback = function() plugin:runSync(true, "manual") end,
        },
        {
            text = _("View Details"),
            keep_menu_open = true,
            callback = function() Manage.showDetails(core) end,
        },
        {
            text_func = function()
                local unmatched = Manage.counts(core).cache.unmatched
                return unmatched > 0 and T(_("Match Unmatched Books (%1)"), unmatched)
                    or _("Match Unmatched Books")
            end,
            enabled_func = function() return Manage.counts(core).cache.unmatched > 0 end,
            callback = function() Manage.matchUnmatched(plugin, core) end,
        },
        {
            text_func = function() return _("Clear Pending...") .. queueSuffix(Manage.counts(core)) end,
            enabled_func = function() return anyQueued(Manage.counts(core)) end,
            keep_menu_open = true,
            callback = function(touchmenu) Manage.showClearPending(plugin, core, touchmenu) end,
        },
        {
            text = _("Clear Cache"),
            enabled_func = function() return Manage.counts(core).cache.total > 0 end,
            keep_menu_open = true,
            callback = function(touchmenu)
                local result = core.clear_cache()
                refresh(touchmenu)
                plugin:toast(result.message)
            end,
        },
    }
end

-- Read-only; stays until tapped away.
function Manage.showDetails(core)
    local details = core.view_details()
    UIManager:show(InfoMessage:new{ text = details.ok and details.text or details.message })
end

-- The seed page: offline, a brief toast and nothing more (no Wi-Fi prompt). Only the
-- interface state is asked; a server out of reach is the worker's answer.
function Manage.matchUnmatched(plugin, core)
    if not NetworkMgr:isConnected() then
        plugin:toast(_("No network connection"))
        return
    end
    local progress = Progress.follow(core)
    local started = core.match_unmatched({ online = true }, function(result)
        progress:stop()
        Manage.invalidate()
        plugin:onMatchFinished(result)
    end)
    if not started.ok then progress:stop() end
end

-- Lists only the queues that have items, each pre-selected.
function Manage.showClearPending(plugin, core, touchmenu)
    local counts = Manage.counts(core)
    local checks = {}
    local dialog
    local function clearSelected()
        local chosen = {}
        for _, kind in ipairs(KINDS) do
            if checks[kind.key] and checks[kind.key].checked then table.insert(chosen, kind.key) end
        end
        UIManager:close(dialog)
        if #chosen == 0 then return end
        local result = core.clear_pending(chosen)
        refresh(touchmenu)
        plugin:toast(result.message)
    end
    dialog = ButtonDialog:new{
        title = _("Clear pending uploads?\nCleared items are deleted and will not be uploaded."),
        buttons = {{
            { text = _("Cancel"), callback = function() UIManager:close(dialog) end },
            { text = _("Clear Selected"), callback = clearSelected },
        }},
    }
    for _, kind in ipairs(KINDS) do
        if counts[kind.key] > 0 then
            checks[kind.key] = CheckButton:new{
                text = T("%1 (%2)", kind.label, counts[kind.key]), checked = true, parent = dialog,
            }
            dialog:addWidget(checks[kind.key])
        end
    end
    UIManager:show(dialog)
end

return Manage
