--[[--
Headless host: the few KOReader `util` helpers a thin plugin uses. `partialMD5` is
deliberately absent: the Python core computes fingerprints, and the host puts KOReader's
stored `partial_md5_checksum` into each book's doc settings when it opens the book.
]]

local util = {}

function util.tableSize(t)
    local count = 0
    for _ in pairs(t or {}) do count = count + 1 end
    return count
end

function util.tableDeepCopy(value)
    if type(value) ~= "table" then return value end
    local copy = {}
    for key, item in pairs(value) do copy[key] = util.tableDeepCopy(item) end
    return copy
end

function util.stringStartsWith(text, prefix)
    return text:sub(1, #prefix) == prefix
end

function util.stringEndsWith(text, suffix)
    return suffix == "" or text:sub(-#suffix) == suffix
end

function util.trim(text)
    return (text:gsub("^%s*(.-)%s*$", "%1"))
end

--- "/a/b/c.epub" -> "/a/b", "c.epub"
function util.splitFilePathName(path)
    local dir, name = path:match("^(.*)/([^/]*)$")
    if not dir then return "", path end
    return dir, name
end

--- "c.tar.gz" -> "c.tar", "gz"
function util.splitFileNameSuffix(name)
    local base, suffix = name:match("^(.+)%.([^.]+)$")
    if not base then return name, "" end
    return base, suffix
end

function util.getFileNameSuffix(name)
    local _, suffix = util.splitFileNameSuffix(name)
    return suffix
end

return util
