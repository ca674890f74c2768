--[[--
Match Unmatched Books, after the automatic pass: the question whether to match by hand,
then the walk through the unmatched books, one screen per book. "Match Book" from the
file browser walks the same screens for one book (`matchOne`), found by its title or by
a BookLore book ID the reader typed in.

The core decides everything (which book is next, what to search for, the results, what
a confirmed match stores and uploads); this module shows it and forwards the reader's
taps. Searches and confirmations are async core calls: the reader keeps a responsive
screen while they run, and their answers arrive through UIManager.
]]

local ButtonDialog = require("ui/widget/buttondialog")
local ConfirmBox = require("ui/widget/confirmbox")
local InfoMessage = require("ui/widget/infomessage")
local Menu = require("ui/widget/menu")
local NetworkMgr = require("ui/network/manager")
local UIManager = require("ui/uimanager")
local _ = require("gettext")
local T = require("ffi/util").template

local Manage = require("bookloresync/manage")

local Matching = {}

local MESSAGE_SECONDS = 3

-- One walk through the unmatched books; `position` is where the core should go on from.
local Walk = {}
Walk.__index = Walk

--- What the automatic pass answered: ask about manual matching, or just say what happened.
function Matching.afterAutomatic(plugin, core, result)
    Manage.invalidate()
    if not result.ask_manual then
        plugin:toast(result.summary or result.message, 5)
        return
    end
    UIManager:show(ConfirmBox:new{
        text = result.summary,
        ok_text = _("Yes"),
        cancel_text = _("No"),
        ok_callback = function() Matching.start(plugin, core) end,
    })
end

function Matching.start(plugin, core)
    local walk = setmetatable({ plugin = plugin, core = core, position = nil }, Walk)
    walk:next()
    return walk
end

--- One book (`book` as the core's book_for_matching gives it): searched by its title, or
--- looked up by `book_id` when given; then the same results screen and confirmation.
function Matching.matchOne(plugin, core, book, book_id)
    local walk = setmetatable({ plugin = plugin, core = core, single = true, book = book,
                                later = 0, book_id = book_id }, Walk)
    walk:search()
    return walk
end

function Walk:next()
    if self.single then  -- one book: its confirmation has said all there is to say
        self.stopped = true
        return Manage.invalidate()
    end
    local step = self.core.next_unmatched_book(self.position)
    if not step.ok then return self:finish(step.message) end
    if step.done then return self:finish(step.message) end
    self.book, self.later = step.book, step.later
    self.position = step.book.position
    self:search()
end

function Walk:search()
    local book = self.book
    local waiting = InfoMessage:new{ text = self.book_id
        and T(_("Looking up BookLore book %1…"), self.book_id)
        or T(_("Searching BookLore for “%1”…"), book.query) }
    UIManager:show(waiting)
    local function answered(result)
        UIManager:close(waiting)
        if self.stopped then return end
        if result.ok and result.status == "found" then
            self:showResults(result.results)
        else
            self:showProblem(result)
        end
    end
    local started
    if self.book_id then
        started = self.core.lookup_book_id(
            { book_id = self.book_id, online = NetworkMgr:isConnected() }, answered)
    else
        started = self.core.search_matches(
            { query = book.query, online = NetworkMgr:isConnected() }, answered)
    end
    if not started.ok then answered(started) end  -- refused before it began
end

function Walk:showResults(results)
    local book, menu = self.book, nil
    local items = {}
    for i = 1, #results do
        local found = results[i]
        table.insert(items, {
            text = found.author and T("%1 – %2", found.title, found.author) or found.title,
            mandatory = found.score_percent and T("%1%", found.score_percent)
                or T(_("ID %1"), found.book_id),
            callback = function() self:confirm(found) end,
        })
    end
    if self.single then
        table.insert(items, { text = _("Cancel"), bold = true, callback = function() self:stop() end })
    else
        table.insert(items, { text = _("Skip this book"), bold = true, callback = function() self:next() end })
        table.insert(items, { text = _("Stop matching"), bold = true, callback = function() self:stop() end })
    end
    menu = Menu:new{
        title = T(_("Match “%1”"), book.title),
        subtitle = self:subtitle(),
        item_table = items,
        covers_fullscreen = true,
        is_borderless = true,
        close_callback = function()   -- the close button or back key ends the walk
            UIManager:close(menu)
            self:stop()
        end,
    }
    function menu:onMenuSelect(item)
        UIManager:close(self)
        item.callback()
        return true
    end
    UIManager:show(menu)
end

function Walk:subtitle()
    if self.book_id then return T(_("BookLore book ID %1"), self.book_id) end
    if self.single then return T(_("Searched for “%1”"), self.book.query) end
    return T(_("Searched for “%1” · unmatched books after this one: %2"),
        self.book.query, self.later)
end

--- A ButtonDialog whose buttons close it before they act: `rows` of { text, action }
--- pairs; `extra` adds fields (e.g. tap_close_callback). Shown, and returned.
function Matching.showChoices(title, rows, extra)
    local dialog
    local buttons = {}
    for i, row in ipairs(rows) do
        buttons[i] = {}
        for j, choice in ipairs(row) do
            local action = choice[2]
            buttons[i][j] = { text = choice[1], callback = function()
                UIManager:close(dialog)
                action()
            end }
        end
    end
    local fields = { title = title, buttons = buttons }
    for key, value in pairs(extra or {}) do fields[key] = value end
    dialog = ButtonDialog:new(fields)
    UIManager:show(dialog)
    return dialog
end

-- No results, a failed search, a refused account, no network: say so, offer a way on.
function Walk:showProblem(result)
    local row = {}
    if result.retry then table.insert(row, { _("Retry"), function() self:search() end }) end
    if self.single then
        table.insert(row, { _("Cancel"), function() self:stop() end })
    else
        table.insert(row, { _("Skip this book"), function() self:next() end })
        table.insert(row, { _("Stop matching"), function() self:stop() end })
    end
    Matching.showChoices(
        T(_("“%1”\n\n%2"), self.book.title, result.message or _("The search failed")),
        { row }, { tap_close_callback = function() self:stop() end })
end

-- The match is stored and the book's items uploaded by the core; then the next book.
function Walk:confirm(found)
    local waiting = InfoMessage:new{ text = T(_("Matching “%1”…"), self.book.title) }
    UIManager:show(waiting)
    local function answered(result)
        UIManager:close(waiting)
        Manage.invalidate()
        UIManager:show(InfoMessage:new{
            text = result.message,
            timeout = MESSAGE_SECONDS,
            dismiss_callback = function() self:next() end,
        })
    end
    local started = self.core.confirm_match({
        book_hash = self.book.book_hash, book_id = found.book_id, title = found.title,
        online = NetworkMgr:isConnected(),
    }, answered)
    if not started.ok then answered(started) end
end

function Walk:stop()
    if self.stopped then return end
    self.stopped = true
    Manage.invalidate()
    self.plugin:toast(self.single and _("Not matched") or _("Matching stopped"))
end

function Walk:finish(message)
    self.stopped = true
    Manage.invalidate()
    self.plugin:toast(message, 5)
end

return Matching
