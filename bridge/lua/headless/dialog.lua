--[[--
Headless host: the base of every recording dialog.

Nothing is drawn; a dialog keeps its specs and can describe itself (type, text, title,
button rows evaluated now, check buttons added with addWidget, ...) so the host can show
tests what a reader would see, and find and press buttons by label.
Buttons follow KOReader's button specs: `text`/`text_func`, `enabled`/`enabled_func`,
`callback`, `checked_func`, `id`; an empty row is a separator.
]]

local UIManager = require("ui/uimanager")
local WidgetContainer = require("ui/widget/container/widgetcontainer")
local labels = require("headless/labels")

local Dialog = WidgetContainer:extend{
    widget_type = "Dialog",
    modal = true,
    dismissable = true,
}

Dialog.buttonText = labels.text
Dialog.buttonEnabled = labels.enabled

--- Rows of button specs; subclasses that build their own buttons override this.
function Dialog:getButtonRows()
    return self.buttons or {}
end

--- Every button, row by row, separators skipped.
function Dialog:listButtons()
    local all = {}
    for _, row in ipairs(self:getButtonRows()) do
        for _, button in ipairs(row) do table.insert(all, button) end
    end
    return all
end

--- KOReader dialogs take extra widgets (check buttons, mostly) below their content.
function Dialog:addWidget(widget)
    self._added = self._added or {}
    table.insert(self._added, widget)
end

function Dialog:checkButtons()
    local checks = {}
    for _, widget in ipairs(self._added or {}) do
        if widget.widget_type == "CheckButton" then table.insert(checks, widget) end
    end
    return checks
end

local function describeRows(rows)
    local described = {}
    for _, row in ipairs(rows) do
        local out = {}
        for _, button in ipairs(row) do
            table.insert(out, {
                text = Dialog.buttonText(button),
                enabled = Dialog.buttonEnabled(button),
                checked = button.checked_func and (button.checked_func() and true or false) or nil,
            })
        end
        if #out > 0 then table.insert(described, out) end
    end
    return described
end

function Dialog:describe()
    local checks = {}
    for _, check in ipairs(self:checkButtons()) do
        table.insert(checks, { text = check.text, checked = check.checked and true or false, enabled = check.enabled ~= false })
    end
    return {
        type = self.widget_type,
        text = self.text,
        title = self.title,
        buttons = describeRows(self:getButtonRows()),
        checks = checks,
    }
end

--- A tap on a button; a greyed-out button ignores it (returns false).
function Dialog:pressButton(button)
    if not Dialog.buttonEnabled(button) then return false end
    if button.callback then
        button.callback()
    elseif button.id == "close" then
        UIManager:close(self)
    end
    return true
end

--- A tap outside the dialog (or the back key): the widget's own onClose, as KOReader's
--- onTapClose does, unless it is not dismissable.
function Dialog:onDismiss()
    if self.dismissable == false then return false end
    return self:onClose()
end

function Dialog:onClose()
    UIManager:close(self)
    return true
end

return Dialog
