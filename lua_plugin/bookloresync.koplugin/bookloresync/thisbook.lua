--[[--
What the reader can do about one book: "Don't track this book" (in the reader's menu while
the book is open, and in the book's long-press dialog in the file browser) and "Match
Book" (long-press dialog). The core keeps the switch and finds the book; this module shows
the entries, tells the reader what the switch does, and hands "Match Book" to the same
matching screens as Match Unmatched Books (bookloresync/matching).
]]

local ConfirmBox = require("ui/widget/confirmbox")
local InputDialog = require("ui/widget/inputdialog")
local NetworkMgr = require("ui/network/manager")
local UIManager = require("ui/uimanager")
local _ = require("gettext")
local T = require("ffi/util").template

local Manage = require("bookloresync/manage")
local Matching = require("bookloresync/matching")

local ThisBook = {}

ThisBook.ROW_ID = "bookloresync"

ThisBook.EXPLAIN_OFF = _("Don't track this book?\n\nBookLore Sync will record no reading " ..
    "sessions, ratings, highlights or bookmarks for it until you track it again (here, or " ..
    "in the book's long-press menu in the file browser). What is already queued for it " ..
    "stays in the queue and is uploaded as usual.")
ThisBook.HELP = _("When unchecked, BookLore Sync records no reading sessions, ratings, " ..
    "highlights or bookmarks for this book. What is already queued stays queued.")

--- Switch tracking for `book` ({file_path, partial_md5?, title?}); switching off asks
--- first, saying what it does. `done(result)` runs once the core has stored it.
function ThisBook.setTracking(plugin, core, book, tracked, done)
    local function apply()
        local request = { file_path = book.file_path, partial_md5 = book.partial_md5,
                          title = book.title, tracked = tracked }
        local result = core.set_book_tracking(request)
        Manage.invalidate()
        plugin:toast(result.message, 5)
        if result.ok and done then done(result) end
    end
    if tracked then return apply() end
    UIManager:show(ConfirmBox:new{
        text = ThisBook.EXPLAIN_OFF, ok_text = _("Don't track"), ok_callback = apply,
    })
end

--- The reader's menu entry for the open book: checked while it is tracked.
function ThisBook.readerMenuItem(plugin, core)
    return {
        text = _("Track this book"),
        help_text = ThisBook.HELP,
        keep_menu_open = true,
        checked_func = function()
            local status = core.book_status(plugin:openBookFacts())
            return status.ok and status.tracked or false
        end,
        callback = function(touchmenu)
            local status = core.book_status(plugin:openBookFacts())
            if not status.ok then return plugin:toast(status.message, 5) end
            ThisBook.setTracking(plugin, core, plugin:openBookFacts(), not status.tracked,
                function(result)
                    plugin:bookTrackingChanged(result.tracked)
                    if touchmenu then touchmenu:updateItems() end
                end)
        end,
    }
end

--- The row of the file browser's long-press dialog (FileManager:addFileDialogButtons):
--- for books only, Match Book and the tracking switch.
function ThisBook.fileDialogRow(plugin, core)
    return function(file, is_file, book_props)
        if not is_file then return nil end
        local book = { file_path = file,
                       title = book_props and (book_props.display_title or book_props.title) }
        local status = core.book_status(book)
        if not (status.ok and status.is_book) then return nil end
        local function closeDialog()
            local chooser = plugin.ui.file_chooser
            if chooser and chooser.file_dialog then UIManager:close(chooser.file_dialog) end
        end
        return {
            { text = _("Match Book"), callback = function()
                closeDialog()
                ThisBook.matchBook(plugin, core, book, status)
            end },
            { text = status.tracked and _("Don't track this book") or _("Track this book"),
              callback = function()
                closeDialog()
                ThisBook.setTracking(plugin, core, book, not status.tracked)
            end },
        }
    end
end

--- Match Book: by a title search or by a BookLore book ID typed in. As Match Unmatched
--- Books, it needs a network connection and says so at once without one.
function ThisBook.matchBook(plugin, core, book, status)
    if not NetworkMgr:isConnected() then return plugin:toast(_("No network connection")) end
    local found = core.book_for_matching(book)
    if not found.ok then return plugin:toast(found.message, 5) end
    local title = status.matched
        and T(_("“%1” is matched with BookLore book %2. Match it again:"), found.book.title,
              status.book_id)
        or T(_("Match “%1” with a BookLore book:"), found.book.title)
    Matching.showChoices(title, {
        { { _("Search by title"), function() Matching.matchOne(plugin, core, found.book) end } },
        { { _("Enter BookLore book ID"), function()
            ThisBook.askBookId(plugin, core, found.book)
        end } },
        { { _("Cancel"), function() end } },
    })
end

function ThisBook.askBookId(plugin, core, book)
    local dialog
    dialog = InputDialog:new{
        title = T(_("BookLore book ID for “%1”"), book.title),
        input_hint = _("The number in the book's address in BookLore, e.g. 42"),
        input_type = "number",
        buttons = {{
            { text = _("Cancel"), id = "close", callback = function() UIManager:close(dialog) end },
            { text = _("Look up"), is_enter_default = true, callback = function()
                local book_id = tonumber(dialog:getInputText())
                UIManager:close(dialog)
                if not book_id or book_id < 1 or book_id ~= math.floor(book_id) then
                    return plugin:toast(_("A BookLore book ID is a whole number, e.g. 42"))
                end
                Matching.matchOne(plugin, core, book, book_id)
            end },
        }},
    }
    UIManager:show(dialog)
    dialog:onShowKeyboard()
end

return ThisBook
