--[[--
Copies KOReader's live annotation list (`ui.annotation.annotations`) into plain tables for
the core: only strings and numbers, so nothing of KOReader's objects crosses.

Reflowable books keep positions as xpointer strings (pos0, pos1; a page bookmark's
`page`), which the core turns into EPUB CFIs; paged books (PDF, CBZ) keep them as tables
of page coordinates or page numbers, which stay behind: their page number is what the
core needs. Which entries count (highlights, notes, and page bookmarks when the reader
syncs them), and what happens to them, is the core's business.
]]

local Annotations = {}

-- `page` only when it is a string: a page bookmark's xpointer in a reflowable book.
local TEXT_FIELDS = { "datetime", "text", "note", "chapter", "drawer", "color", "page" }

local function pageNumber(item)
    if type(item.pageno) == "number" then return item.pageno end
    if type(item.page) == "number" then return item.page end
    local pos0 = item.pos0
    if type(pos0) == "table" and type(pos0.page) == "number" then return pos0.page end
    return nil
end

local function plain(item)
    local copy = {}
    for _, key in ipairs(TEXT_FIELDS) do
        if type(item[key]) == "string" then copy[key] = item[key] end
    end
    if type(item.pos0) == "string" then copy.pos0 = item.pos0 end
    if type(item.pos1) == "string" then copy.pos1 = item.pos1 end
    copy.pageno = pageNumber(item)
    return copy
end

--- The open book's annotations as a list of plain tables (empty when there are none).
function Annotations.plainList(ui)
    local list = ui.annotation and ui.annotation.annotations
    local copies = {}
    if type(list) ~= "table" then return copies end
    for _, item in ipairs(list) do
        if type(item) == "table" then table.insert(copies, plain(item)) end
    end
    return copies
end

return Annotations
