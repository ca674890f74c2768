--[[--
Headless host: gettext without catalogues. `_ = require("gettext")` is callable and
returns its message unchanged, so tests see the plugin's English source strings.
]]

local gettext = {}

function gettext.ngettext(singular, plural, n)
    return n == 1 and singular or plural
end

function gettext.pgettext(_, message)
    return message
end

function gettext.npgettext(_, singular, plural, n)
    return gettext.ngettext(singular, plural, n)
end

return setmetatable(gettext, { __call = function(_, message) return message end })
