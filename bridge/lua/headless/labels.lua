--[[--
Headless host: finding a menu entry, button or check box by its label.

Rule: an entry whose label equals the wanted text wins; otherwise the one entry whose
label starts with it. So "Sync Pending Now" finds "Sync Pending Now (3s, 1a, 2r)", and
"Clear Pending" finds "Clear Pending... (3s, 0a, 2r)". No match, or several entries
sharing the prefix, is an error that lists the labels on offer.
]]

local labels = {}

--- The label of a menu item or button spec: `text_func()` if given, else `text`.
function labels.text(spec)
    if spec.text_func then return spec.text_func() end
    return spec.text
end

--- Whether a menu item or button spec is enabled: `enabled_func()` or `enabled`; nil counts as enabled.
function labels.enabled(spec)
    local enabled = spec.enabled
    if spec.enabled_func then enabled = spec.enabled_func() end
    return enabled ~= false
end

local function quoteAll(names)
    local quoted = {}
    for i, name in ipairs(names) do quoted[i] = string.format("%q", tostring(name)) end
    return table.concat(quoted, ", ")
end

--- Returns the entry (and its index) or nil and an error message.
function labels.find(entries, wanted, label_of)
    local offered, prefixed = {}, {}
    for index, entry in ipairs(entries) do
        local label = label_of(entry)
        if label == wanted then return entry, index end
        if type(label) == "string" then
            table.insert(offered, label)
            if label:sub(1, #wanted) == wanted then table.insert(prefixed, index) end
        end
    end
    if #prefixed == 1 then return entries[prefixed[1]], prefixed[1] end
    if #prefixed > 1 then
        local names = {}
        for i, index in ipairs(prefixed) do names[i] = label_of(entries[index]) end
        return nil, string.format("%q is ambiguous: %s", wanted, quoteAll(names))
    end
    return nil, string.format("no %q among: %s", wanted, quoteAll(offered))
end

return labels
