--[[--
Headless host: MultiInputDialog, an InputDialog with several fields
(`fields = {{text=, hint=, description=, input_type=, text_type=}, ...}`).
getFields() returns the field texts in order.
]]

local InputDialog = require("ui/widget/inputdialog")

local MultiInputDialog = InputDialog:extend{
    widget_type = "MultiInputDialog",
}

function MultiInputDialog:init()
    InputDialog.init(self)
    self._values = {}
    for i, field in ipairs(self.fields or {}) do self._values[i] = field.text or "" end
end

function MultiInputDialog:getFields()
    local values = {}
    for i, value in ipairs(self._values) do values[i] = value end
    return values
end

function MultiInputDialog:setFieldText(index, text)
    assert(self._values[index], "no such field")
    self._values[index] = text
end

function MultiInputDialog:describe()
    local description = InputDialog.describe(self)
    description.input = nil
    description.fields = {}
    for i, field in ipairs(self.fields or {}) do
        description.fields[i] = { text = self._values[i], hint = field.hint,
                                  description = field.description, text_type = field.text_type }
    end
    return description
end

return MultiInputDialog
