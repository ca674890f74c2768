--[[--
Headless host: the reader's stand-ins for an opened book.

Document: the file, `info.has_pages`, page count and metadata (`getProps()`, with the
identifiers as one string joined by "\n", as crengine gives them for EPUB). Like a real
document it must not be used after the book is closed, so that raises an error.
Position: the paging (paged) or rolling (reflowable) module: current page and the live
progress (`getLastPercent()` 0..1, `getLastProgress()` page or xpointer), saved into
doc settings on SaveSettings as KOReader does.
Annotation: `annotations`, the list of highlights and notes (set by the host).
]]

local Widget = require("ui/widget/widget")

local Document = {}
Document.__index = Document

function Document.new(spec)
    local props = {
        title = spec.title, authors = spec.authors, identifiers = spec.identifiers,
        language = spec.language, series = spec.series, keywords = spec.keywords,
        description = spec.description,
    }
    return setmetatable({
        file = spec.file,
        info = { has_pages = spec.has_pages, number_of_pages = spec.pages },
        is_open = true,
        _props = props,
    }, Document)
end

function Document:_check()
    if not self.is_open then error("document used after it was closed: " .. self.file, 3) end
end

function Document:getPageCount()
    self:_check()
    return self.info.number_of_pages
end

--- As KOReader's Document:getProps: an empty string is no value (nil).
function Document:getProps()
    self:_check()
    local copy = {}
    for key, value in pairs(self._props) do
        if value ~= "" then copy[key] = value end
    end
    return copy
end

Document.getDocumentProps = Document.getProps

function Document:close()
    self.is_open = false
end

local Position = Widget:extend{}

function Position:setPage(page, percent)
    self.page = page
    self.percent = percent or page / self.pages
end

function Position:getLastPercent() return self.percent end

function Position:getLastProgress()
    if self.has_pages then return self.page end
    return string.format("/body/DocFragment[%d]/body/p[1]/text().0", self.page)
end

function Position:onSaveSettings()
    self.ui.doc_settings:saveSetting("percent_finished", self.percent)
    self.ui.doc_settings:saveSetting("last_page", self.page)
    if not self.has_pages then self.ui.doc_settings:saveSetting("last_xpointer", self:getLastProgress()) end
end

local Annotation = Widget:extend{}

function Annotation:getNumberOfAnnotations()
    return #self.annotations
end

function Annotation:getNumberOfHighlightsAndNotes()
    local highlights, notes = 0, 0
    for _, item in ipairs(self.annotations) do
        if item.note then notes = notes + 1 elseif item.drawer then highlights = highlights + 1 end
    end
    return highlights, notes
end

return { Document = Document, Position = Position, Annotation = Annotation }
