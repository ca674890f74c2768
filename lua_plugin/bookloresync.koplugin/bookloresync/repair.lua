--[[--
Settings → Repair database: offered while the core reports its database damaged (it then
records into a side database, and has told the reader once). The repair runs in the core,
on its worker: it keeps the damaged file under a dated name, saves every row that can be
read into a new database, takes in what was recorded meanwhile, and says what it saved
and what it could not.
]]

local ConfirmBox = require("ui/widget/confirmbox")
local InfoMessage = require("ui/widget/infomessage")
local UIManager = require("ui/uimanager")
local _ = require("gettext")

local Manage = require("bookloresync/manage")

local Repair = {}

-- True while the core runs on its side database because its own is damaged.
function Repair.offered(core)
    local status = core.database_status()
    return status.ok and status.damaged or false
end

function Repair.run(plugin, core)
    if Repair.running then return plugin:toast(_("The repair is already running")) end
    Repair.running = true
    local shown = InfoMessage:new{ text = _("Repairing the database…") }
    UIManager:show(shown)
    core.repair_database({}, function(result)
        Repair.running = false
        UIManager:close(shown)
        Manage.invalidate()
        plugin:showMessage(result.summary or result.message or _("Repair failed"))
    end)
end

function Repair.item(plugin, core)
    return {
        text = _("Repair database"),
        enabled_func = function() return not Repair.running end,
        keep_menu_open = true,
        callback = function()
            local status = core.database_status()
            UIManager:show(ConfirmBox:new{
                text = (status.message or _("The database is damaged.")) .. "\n\n"
                    .. _("Repair it now?"),
                ok_text = _("Repair"),
                ok_callback = function() Repair.run(plugin, core) end,
            })
        end,
    }
end

return Repair
