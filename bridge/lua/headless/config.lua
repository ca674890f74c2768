--[[--
Headless host: directories chosen by the Python host (filled in by headless/control
before any plugin loads). Plain strings only.
]]

return {
    data_dir = ".",
    settings_dir = "./settings",
}
