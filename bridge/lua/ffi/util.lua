--[[--
Headless host: the parts of KOReader's ffi/util that plugins use.

`template` behaves as koreader-base's does, quirks included, so that a plugin which works
here works on a device: markers run from %1 to %99; a value is put in as Lua's gsub puts
a replacement (strings and numbers as text); a nil or false value leaves its marker in the
text ("Server: %1"), and true or a table raises "invalid replacement value". With no
values at all the text comes back unchanged.

`fsyncOpenedFile(file)` flushes a file opened with io.open and fsyncs it through LuaJIT's
FFI, as KOReader's does (the plugin's journal relies on it).
]]

local util = {}

function util.template(text, ...)
    local count = select("#", ...)
    if count == 0 then return text end
    local values = { ... }
    local filled = string.gsub(text, "%%([1-9]%d?)", function(marker)
        return values[tonumber(marker)]
    end)
    return filled
end

local ffi_ok, ffi = pcall(require, "ffi")
if ffi_ok then
    pcall(ffi.cdef, "int fileno(void *stream); int fsync(int fd);")
end

--- Flushes `file` (an io file handle) and fsyncs it; true when it reached the disk.
function util.fsyncOpenedFile(file)
    file:flush()
    if not ffi_ok then return false end
    local fd = ffi.C.fileno(file)
    return fd >= 0 and ffi.C.fsync(fd) == 0
end

return util
