--[[--
Reads the live document state KOReader offers (file, page, progress, metadata) and hands
it to the core as plain values when a session starts, a page turns, or the session ends;
at close and suspend also the book's star rating and status (doc settings "summary") and
its annotations, for the core to queue what BookLore does not have yet. Progress is read
live (getLastPercent) because the saved value in the doc settings is only written after
CloseDocument.
]]

local logger = require("logger")

local Annotations = require("bookloresync/annotations")

local Reading = {}
Reading.__index = Reading

function Reading:new(ui, core)
    return setmetatable({ ui = ui, core = core, active = false }, self)
end

function Reading:position()
    local ui = self.ui
    local page = ui.getCurrentPage and ui:getCurrentPage() or nil
    local module = ui.paging or ui.rolling
    local percent = module and module:getLastPercent() or nil
    return {
        time = os.time(),
        page = page,
        pages = ui.document:getPageCount(),
        progress = percent and percent * 100 or nil,
        location = page and tostring(page) or nil,
    }
end

function Reading:bookFacts(event)
    local ui = self.ui
    local props = ui.doc_props or {}
    event.file_path = ui.document.file
    event.title = props.display_title or props.title
    event.authors = props.authors
    local settings = ui.doc_settings
    local stored = settings and settings:readSetting("doc_props") or {}
    event.identifiers = stored.identifiers or (ui.document:getProps() or {}).identifiers
    event.partial_md5 = settings and settings:readSetting("partial_md5_checksum")
    return event
end

function Reading:start()
    if not self.ui.document then return nil end
    local event = self:bookFacts(self:position())
    local result = self.core.start_reading(event)
    self.active = result.ok and result.tracking or false
    if not result.ok then logger.warn("BookLoreSync: cannot track this book:", result.message) end
    return result
end

function Reading:pageTurned(page)
    if not self.active then return end
    local event = self:position()
    event.page = page or event.page
    event.location = event.page and tostring(event.page) or event.location
    self.core.page_turned(event)
end

function Reading:finish()
    if not self.active then return nil end
    self.active = false
    local event = self:position()
    return self.core.finish_reading(event)
end

-- Independent of session tracking: a rating or a highlight counts even when the session
-- was too short to keep. Returns the core's answer, or nil when no book is open.
function Reading:captureRatingAndAnnotations(reason)
    if not self.ui.document then return nil end
    local event = self:bookFacts(self:position())
    local settings = self.ui.doc_settings
    local summary = settings and settings:readSetting("summary") or {}
    event.reason = reason   -- the rating is taken at close only, not at suspend
    event.rating = tonumber(summary.rating)
    event.status = summary.status
    event.annotations = Annotations.plainList(self.ui)
    local result = self.core.capture_rating_and_annotations(event)
    if not result.ok then
        logger.warn("BookLoreSync: rating and highlights not queued:", result.message)
        return nil
    end
    return result
end

return Reading
