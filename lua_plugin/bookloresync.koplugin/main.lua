--[[--
BookLore Sync: records reading sessions, ratings and highlights in KOReader and uploads
them to a BookLore server, offline first.

This file is deliberately thin. It registers the menu and the dispatcher actions, gathers
plain values from KOReader objects when events arrive, hands them to the core
(`bookloresync/core`, provided by the host), and renders what the core answers. The
queue, validation, fingerprints and every network request live in the core; network
work never runs on this thread, its results come back through UIManager.
]]

local Dispatcher = require("dispatcher")
local InfoMessage = require("ui/widget/infomessage")
local NetworkMgr = require("ui/network/manager")
local Notification = require("ui/widget/notification")
local UIManager = require("ui/uimanager")
local WidgetContainer = require("ui/widget/container/widgetcontainer")
local logger = require("logger")
local _ = require("gettext")

local core = require("bookloresync/core")
local Manage = require("bookloresync/manage")
local Matching = require("bookloresync/matching")
local MenuTree = require("bookloresync/menutree")
local Progress = require("bookloresync/progress")
local Reading = require("bookloresync/reading")
local ThisBook = require("bookloresync/thisbook")

local BookLoreSync = WidgetContainer:extend{
    name = "bookloresync",
    is_doc_only = false,
}

local TOAST_SECONDS = 3
local RESUME_SYNC_DELAY = 15       -- seconds for Wi-Fi to come back after wake-up
local RESUME_SYNC_INTERVAL = 300   -- at most one resume sync per 5 minutes

-- Class-level: survives the switch from one book (ReaderUI) to the next.
BookLoreSync.sync_waiting_for_network = false
BookLoreSync.last_resume_sync = nil

function BookLoreSync:init()
    self.reading = Reading:new(self.ui, core)
    self.resume_sync_task = function() self:runSync(false, "resume") end
    self.network_sync_task = function()
        if BookLoreSync.sync_waiting_for_network then self:runSync(false, "network") end
    end
    self:onDispatcherRegisterActions()
    self.ui.menu:registerToMainMenu(self)
    if not self.ui.document and self.ui.addFileDialogButtons then -- the file browser
        self.ui:addFileDialogButtons(ThisBook.ROW_ID, ThisBook.fileDialogRow(self, core))
        self.file_dialog_row = true
    end
    UIManager:nextTick(function() self:tellNotices() end)
end

-- What the core must tell the reader once (what it took over from the previous BookLore
-- plugin, that its database is damaged and reading goes to a side database); each notice
-- comes back a single time. Asked at start, after a book closes and after a sync.
function BookLoreSync:tellNotices()
    local result = core.take_notices()
    for _, text in ipairs(result.ok and result.notices or {}) do self:showMessage(text) end
end

function BookLoreSync:onDispatcherRegisterActions()
    Dispatcher:registerAction("booklore_sync_pending", {
        category = "none", event = "SyncBooklorePending",
        title = _("BookLore Sync: sync pending"), general = true,
    })
    Dispatcher:registerAction("booklore_toggle_tracking", {
        category = "none", event = "BookloreToggleTracking",
        title = _("BookLore Sync: toggle session tracking"), general = true,
    })
    Dispatcher:registerAction("booklore_toggle_manual_sync", {
        category = "none", event = "BookloreToggleManualSync",
        title = _("BookLore Sync: toggle manual sync only"), general = true,
    })
    Dispatcher:registerAction("booklore_test_connection", {
        category = "none", event = "BookloreTestConnection",
        title = _("BookLore Sync: test connection"), general = true, separator = true,
    })
end

function BookLoreSync:addToMainMenu(menu_items)
    menu_items.bookloresync = MenuTree.build(self, core)
end

-- A setting, read fresh from the core (the menu's checkmarks and the triggers use them);
-- nil when the core cannot read its settings, so nothing draws or acts on a made-up value.
function BookLoreSync:setting(key)
    local result = core.get_settings()
    if not result.ok then return nil end
    return result.settings[key]
end

--- The open book as the core knows books (file, title, KOReader's fingerprint).
function BookLoreSync:openBookFacts()
    return self.reading:bookFacts({})
end

--- The open book was switched on or off ("Track this book"): on, a session starts now;
--- off, the core has already dropped the running one.
function BookLoreSync:bookTrackingChanged(tracked)
    if tracked then
        self.reading:start("open")
    else
        self.reading.active = false
    end
end

function BookLoreSync:toast(text, timeout)
    UIManager:show(InfoMessage:new{ text = text, timeout = timeout or TOAST_SECONDS })
end

-- A message that stays until the reader taps it away.
function BookLoreSync:showMessage(text)
    UIManager:show(InfoMessage:new{ text = text })
end

-- The one sync entry point. `interactive`: a person asked (summary toast); otherwise
-- an automatic trigger: silent unless the core says the reader must act, and never in
-- Manual Sync Only mode.
--
-- Neither waits on the network here. NetworkMgr:isOnline() would resolve a host name on
-- this thread (seconds on a bad Wi-Fi), so only the interface state is asked
-- (isConnected); whether the server answers is the worker's to find out. A person who
-- asked while not connected gets KOReader's own Wi-Fi handling (a prompt, or turning it
-- on, as the reader chose in KOReader), and the sync runs once connected.
function BookLoreSync:runSync(interactive, reason)
    if interactive then
        if NetworkMgr:willRerunWhenConnected(function() self:runSync(true, reason) end) then
            return
        end
    elseif self:setting("manual_sync_only") then
        return
    elseif not NetworkMgr:isConnected() then
        BookLoreSync.sync_waiting_for_network = true
        return
    end
    BookLoreSync.sync_waiting_for_network = false -- a sync drains everything queued
    logger.dbg("BookLoreSync: trigger", reason)
    local progress = interactive and Progress.follow(core) or nil -- automatic ones stay silent
    local started = core.sync_pending({}, function(report)
        if progress then progress:stop() end
        self:onSyncFinished(report, interactive)
    end)
    if progress and not started.ok then progress:stop() end
end

function BookLoreSync:onSyncFinished(report, interactive)
    Manage.invalidate()
    if report.status == "offline" then
        BookLoreSync.sync_waiting_for_network = true
    end
    local silent = self:setting("silent_mode")
    if interactive or (report.needs_attention and not silent) then
        self:toast(report.summary or report.message or _("Sync failed"))
    end
    logger.info("BookLoreSync: sync", report.status, report.summary)
    self:tellNotices() -- e.g. the database turned out to be damaged during this sync
end

function BookLoreSync:onMatchFinished(result)
    Matching.afterAutomatic(self, core, result)
end

function BookLoreSync:onSyncBooklorePending()
    self:runSync(true, "dispatcher")
    return true
end

-- Gesture toggles answer as KOReader's own do (kosync's auto-sync toggle): a Notification,
-- shown or not by the reader's notification settings, never a message to tap away.
-- A change the core refuses says why, in the usual toast.
function BookLoreSync:toggleSetting(key, on_text, off_text)
    local current = self:setting(key)
    if current == nil then return self:toast(_("Settings cannot be read"), 5) end
    local result = core.set_setting(key, not current)
    if not result.ok then return self:toast(result.message, 5) end
    Manage.invalidate()
    Notification:notify(current and off_text or on_text)
end

function BookLoreSync:onBookloreToggleTracking()
    self:toggleSetting("tracking_enabled", _("Session tracking on"), _("Session tracking off"))
    return true
end

function BookLoreSync:onBookloreToggleManualSync()
    self:toggleSetting("manual_sync_only", _("Manual sync only: on"), _("Manual sync only: off"))
    return true
end

function BookLoreSync:onBookloreTestConnection()
    MenuTree.testConnection(self, core)
    return true
end

function BookLoreSync:onReaderReady()
    local book = self.reading:start()
    if book and book.ok and book.book_hash and not book.book_id and NetworkMgr:isConnected() then
        -- In the background: opening a book never waits for the server.
        core.identify_book({ book_hash = book.book_hash, isbn13 = book.isbn13,
                             isbn10 = book.isbn10 }, function(result)
            Manage.invalidate()
            if result.message then self:toast(result.message, 5) end
        end)
    end
end

function BookLoreSync:onPageUpdate(page)
    self.reading:pageTurned(page)
end

function BookLoreSync:onCloseDocument()
    self:finishReading("close")
end

function BookLoreSync:onSuspend()
    self:finishReading("suspend")
end

function BookLoreSync:onResume()
    if self.ui.document then self.reading:start() end
    local now = os.time()
    local last = BookLoreSync.last_resume_sync
    if last and now - last < RESUME_SYNC_INTERVAL then return end
    BookLoreSync.last_resume_sync = now
    UIManager:unschedule(self.resume_sync_task)
    UIManager:scheduleIn(RESUME_SYNC_DELAY, self.resume_sync_task)
end

-- On the next tick: a sync the reader asked for while offline reruns right after this
-- event (KOReader's connectivity check broadcasts first, then calls back), and then
-- nothing is left waiting.
function BookLoreSync:onNetworkConnected()
    if not BookLoreSync.sync_waiting_for_network then return end
    UIManager:nextTick(self.network_sync_task)
end

-- A session ends: hand it, the rating and the highlights to the core, say what it says,
-- and sync when anything was queued (unless manual-only).
function BookLoreSync:finishReading(reason)
    local result = self.reading:finish() or {}
    local marks = self.reading:captureRatingAndAnnotations(reason) or {}
    Manage.invalidate()
    if result.message then self:toast(result.message) end
    -- Not while the device goes to sleep; a notice waits for the next close or sync.
    if reason ~= "suspend" then self:tellNotices() end
    if result.saved or marks.queued then self:runSync(false, "session_end") end
end

function BookLoreSync:onCloseWidget()
    UIManager:unschedule(self.resume_sync_task)
    UIManager:unschedule(self.network_sync_task)
    if self.file_dialog_row then
        self.ui:removeFileDialogButtons(ThisBook.ROW_ID)
        self.file_dialog_row = nil
    end
end

return BookLoreSync
