--[[--
Headless host: the file browser UI, shown whenever no book is open. It hosts the
plugins that are not `is_doc_only`, with only `ui` set (no document, no view).
]]

local App = require("headless/app")
local UIManager = require("ui/uimanager")

local FileManager = App:extend{
    name = "FileManager",
    widget_type = "FileManager",
    module_prefix = "filemanager",
    instance = nil,
}

function FileManager:showFiles(root_path)
    local fm = FileManager:new{ root_path = root_path }
    FileManager.instance = fm
    fm:addMainMenu("filemanager")
    fm:instantiatePlugins(function() return { ui = fm } end, true)
    UIManager:show(fm)
    return fm
end

function FileManager:onClose()
    UIManager:close(self)
    if FileManager.instance == self then FileManager.instance = nil end
    return true
end

return FileManager
