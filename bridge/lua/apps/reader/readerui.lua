--[[--
Headless host: the reader UI for one open book.

Opening follows KOReader's order: built-in modules (menu, paging or rolling, annotation),
then every enabled plugin instantiated with {dialog, view, ui, document}, then
DocSettingsLoad and ReadSettings, then `doc_props` is set, then ReaderReady(doc_settings),
then the reader is shown. Closing sends CloseDocument while the document is still valid,
then UIManager:close (FlushSettings, which saves settings, and CloseWidget to every
module), then the document is closed. Page turns send PageUpdate(page) (and PosUpdate
first for reflowable books); a forward turn on the last page sends EndOfBook.
]]

local App = require("headless/app")
local DocSettings = require("docsettings")
local Event = require("ui/event")
local PluginLoader = require("pluginloader")
local UIManager = require("ui/uimanager")
local parts = require("headless/document")

--- Scroll position units per page for PosUpdate in reflowable books (arbitrary).
local POS_PER_PAGE = 1000

local ReaderUI = App:extend{
    name = "ReaderUI",
    widget_type = "ReaderUI",
    module_prefix = "reader",
    instance = nil,
}

local function fileTitle(file)
    return (file:match("([^/]*)$"):gsub("%.[^.]*$", ""))
end

--- What KOReader keeps in the book's doc settings, updated from the host's book spec.
local function storeBookSettings(doc_settings, spec)
    if spec.partial_md5 and not doc_settings:has("partial_md5_checksum") then
        doc_settings:saveSetting("partial_md5_checksum", spec.partial_md5)
    end
    local summary = doc_settings:readSetting("summary", {})
    if spec.rating ~= nil then summary.rating = spec.rating end
    if spec.status ~= nil then summary.status = spec.status end
    doc_settings:saveSetting("doc_pages", spec.pages)
    doc_settings:saveSetting("doc_props", {
        title = spec.title, authors = spec.authors, identifiers = spec.identifiers,
        language = spec.language, series = spec.series,
    })
end

--- As KOReader builds it (FileManagerBookInfo.extendProps over document:getProps, where
--- an empty string is no value): the title, else the file name without its extension.
local function docProps(document, spec)
    local props = document:getProps()
    props.pages = spec.pages
    props.display_title = props.title or fileTitle(spec.file)
    return props
end

function ReaderUI:_addBuiltinModules(spec)
    self:addMainMenu("reader")
    self.position = parts.Position:new{ ui = self, has_pages = spec.has_pages, pages = spec.pages }
    self:registerModule(spec.has_pages and "paging" or "rolling", self.position)
    local page = spec.page or self.doc_settings:readSetting("last_page") or 1
    self.position:setPage(math.max(1, math.min(spec.pages, page)))
    self.view = { state = { page = self.position.page }, document = self.document }
    self:registerModule("annotation", parts.Annotation:new{ ui = self, annotations = spec.annotations or {} })
end

--- spec: {file, pages, has_pages, page?, title?, authors?, identifiers?, rating?, ...}
function ReaderUI:open(spec)
    local document = parts.Document.new(spec)
    local doc_settings = DocSettings:open(spec.file)
    storeBookSettings(doc_settings, spec)
    local ui = ReaderUI:new{ document = document, doc_settings = doc_settings }
    ui.dialog = ui
    ReaderUI.instance = ui
    ui:_addBuiltinModules(spec)
    ui:instantiatePlugins(function()
        return { dialog = ui, view = ui.view, ui = ui, document = document }
    end, false)
    ui:handleEvent(Event:new("DocSettingsLoad", doc_settings, document))
    ui:handleEvent(Event:new("ReadSettings", doc_settings))
    ui.doc_props = docProps(document, spec)
    ui:handleEvent(Event:new("ReaderReady", doc_settings))
    UIManager:show(ui)
    return ui
end

function ReaderUI:getCurrentPage()
    return self.position.page
end

function ReaderUI:gotoPage(page, percent)
    page = math.max(1, math.min(self.document:getPageCount(), page))
    self.position:setPage(page, percent)
    self.view.state.page = page
    if not self.document.info.has_pages then
        self:handleEvent(Event:new("PosUpdate", (page - 1) * POS_PER_PAGE, page))
    end
    self:handleEvent(Event:new("PageUpdate", page))
end

--- `count` page turns, one event each; negative turns go back.
function ReaderUI:turnPages(count)
    local step = count >= 0 and 1 or -1
    for _ = 1, math.abs(count) do
        local target = self.position.page + step
        if target > self.document:getPageCount() then
            self:handleEvent(Event:new("EndOfBook"))
        elseif target >= 1 then
            self:gotoPage(target)
        end
    end
end

--- Reflowable books keep the exact fraction; paged ones land on a page.
function ReaderUI:gotoPercent(fraction)
    local page = math.ceil(fraction * self.document:getPageCount())
    self:gotoPage(page, (not self.document.info.has_pages) and fraction or nil)
end

--- A swipe turns the page as KOReader's paging and rolling modules do: west forward,
--- east back. It arrives through UIManager:sendEvent, so a dialog on top takes it first.
function ReaderUI:onGesture(ges)
    if type(ges) ~= "table" or ges.ges ~= "swipe" then return false end
    if ges.direction == "west" then
        self:turnPages(1)
    elseif ges.direction == "east" then
        self:turnPages(-1)
    else
        return false
    end
    return true
end

function ReaderUI:saveSettings()
    self:handleEvent(Event:new("SaveSettings"))
end

function ReaderUI:onFlushSettings()
    self:saveSettings()
end

function ReaderUI:onClose()
    self:handleEvent(Event:new("CloseDocument"))
    UIManager:close(self)
    self.document:close()
    if ReaderUI.instance == self then ReaderUI.instance = nil end
    PluginLoader:finalize()
    return true
end

return ReaderUI
