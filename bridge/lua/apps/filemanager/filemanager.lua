--[[--
Headless host: the file browser UI, shown whenever no book is open. It hosts the
plugins that are not `is_doc_only`, with only `ui` set (no document, no view).

A long-press on a file opens its file dialog (`file_chooser:showFileDialog`), a
ButtonDialog titled with the file name. As in KOReader, rows that plugins added with
`addFileDialogButtons(row_id, row_func)` come last, in the order they were added:
`row_func(file, is_file, book_props)` is called each time the dialog opens and its row is
shown unless it answers nil. `book_props` is what KOReader knows of a book it has opened
(its doc settings' `doc_props`, with `display_title`), nil for a file never opened. The
dialog is kept as `file_chooser.file_dialog`, where KOReader keeps it. The host's own rows
stand for KOReader's built-in ones (Paste, Select, Rename, Delete, ..., Book information)
and do nothing.
]]

local App = require("headless/app")
local ButtonDialog = require("ui/widget/buttondialog")
local DocSettings = require("docsettings")
local UIManager = require("ui/uimanager")

local FileManager = App:extend{
    name = "FileManager",
    widget_type = "FileManager",
    module_prefix = "filemanager",
    instance = nil,
}

local BUILT_IN_ROWS = {
    { "Paste", "Select", "Rename" },
    { "Delete", "Cut", "Copy" },
    {},
    { "Open with…", "Book information" },
}

local function fileName(path)
    return path:match("([^/]+)/*$") or path
end

--- What KOReader's file dialog hands plugins for a book it has opened before.
local function bookProps(file)
    if not DocSettings:hasSidecarFile(file) then return nil end
    local props = DocSettings:open(file):readSetting("doc_props")
    if type(props) ~= "table" then return nil end
    local copy = {}
    for key, value in pairs(props) do copy[key] = value end
    copy.display_title = copy.title or fileName(file):gsub("%.[^.]*$", "")
    return copy
end

local function builtInRows()
    local rows = {}
    for _, labels in ipairs(BUILT_IN_ROWS) do
        local row = {}
        for _, label in ipairs(labels) do
            table.insert(row, { text = label, callback = function() end })
        end
        table.insert(rows, row)
    end
    return rows
end

function FileManager:showFiles(root_path)
    local fm = FileManager:new{ root_path = root_path }
    fm.file_chooser = { path = root_path }
    function fm.file_chooser:showFileDialog(item)
        local buttons = builtInRows()
        local book_props = item.is_file and bookProps(item.path) or nil
        for _, row_func in ipairs(fm.file_dialog_added_buttons or {}) do
            local row = row_func(item.path, item.is_file, book_props)
            if row ~= nil then table.insert(buttons, row) end
        end
        self.file_dialog = ButtonDialog:new{
            title = fileName(item.path), title_align = "center", buttons = buttons,
        }
        UIManager:show(self.file_dialog)
        return true
    end
    FileManager.instance = fm
    fm:addMainMenu("filemanager")
    fm:instantiatePlugins(function() return { ui = fm } end, true)
    UIManager:show(fm)
    return fm
end

--- As KOReader: a row id is added once (a second add with the same id is ignored).
function FileManager:addFileDialogButtons(row_id, row_func)
    self.file_dialog_added_buttons = self.file_dialog_added_buttons or { index = {} }
    local added = self.file_dialog_added_buttons
    if added.index[row_id] == nil then
        table.insert(added, row_func)
        added.index[row_id] = #added
    end
end

--- As KOReader: removing an id that is not there does nothing; the last removal leaves
--- no table behind.
function FileManager:removeFileDialogButtons(row_id)
    local added = self.file_dialog_added_buttons
    local position = added and added.index[row_id]
    if position == nil then return end
    table.remove(added, position)
    added.index[row_id] = nil
    if #added == 0 then
        self.file_dialog_added_buttons = nil
        return
    end
    for id, at in pairs(added.index) do
        if at > position then added.index[id] = at - 1 end
    end
end

function FileManager:onClose()
    UIManager:close(self)
    if FileManager.instance == self then FileManager.instance = nil end
    return true
end

return FileManager
