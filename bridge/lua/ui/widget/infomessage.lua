--[[--
Headless host: InfoMessage. A modal message; with `timeout` it closes itself that many
seconds later on the virtual clock. `dismiss_callback` runs when it closes, whatever
closed it. Every InfoMessage text is recorded in the host's toast list.
]]

local Dialog = require("headless/dialog")
local UIManager = require("ui/uimanager")

local InfoMessage = Dialog:extend{
    widget_type = "InfoMessage",
    records_toast = true,
}

function InfoMessage:onShow()
    if self.timeout then
        self._close_on_timeout = function() UIManager:close(self) end
        UIManager:scheduleIn(self.timeout, self._close_on_timeout)
    end
end

function InfoMessage:onCloseWidget()
    if self._close_on_timeout then UIManager:unschedule(self._close_on_timeout) end
    local callback = self.dismiss_callback
    self.dismiss_callback = nil
    if callback then callback() end
end

return InfoMessage
