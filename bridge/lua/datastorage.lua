--[[--
Headless host: KOReader's DataStorage over the directories the host was given.
The settings dir is exactly the one passed to HeadlessHost; the data dir (KO_HOME) is
its parent, as on a device where settings live in <data>/settings.
]]

local config = require("headless/config")

local DataStorage = {}

function DataStorage:getDataDir() return config.data_dir end
function DataStorage:getFullDataDir() return config.data_dir end
function DataStorage:getSettingsDir() return config.settings_dir end
function DataStorage:getDocSettingsDir() return config.data_dir .. "/docsettings" end
function DataStorage:getDocSettingsHashDir() return config.data_dir .. "/hashdocsettings" end
function DataStorage:getHistoryDir() return config.data_dir .. "/history" end

return DataStorage
