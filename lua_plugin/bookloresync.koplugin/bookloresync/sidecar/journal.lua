--[[--
The plugin's journal: reading calls kept while no core process answers, so a session
is never lost because Python is not running (python_core/sidecar/journal.py ingests it).

One line per call, appended to `booklore-sync-journal.jsonl` in KOReader's settings
folder and flushed to disk (`ffi/util`'s fsyncOpenedFile) before the call returns. The
file is opened for every record and closed after it: the core takes the journal by
renaming it, and the next record then starts a new file. Each record carries an id
(this KOReader's name and a counter), which the core applies once.
]]

local logger = require("logger")

local Wire = require("bookloresync/sidecar/wire")

local Journal = {}
Journal.__index = Journal

Journal.FILE = "booklore-sync-journal.jsonl"

local function fsync(file)
    local ok, ffiutil = pcall(require, "ffi/util")
    if ok and ffiutil.fsyncOpenedFile then
        return pcall(ffiutil.fsyncOpenedFile, file)
    end
    return false
end

function Journal:new(folder, client)
    return setmetatable({ path = folder .. "/" .. Journal.FILE, client = client, written = 0 },
        self)
end

--- Whether records are waiting in the journal (this KOReader's or an earlier run's).
function Journal:holdsRecords()
    local file = io.open(self.path, "rb")
    if not file then return false end
    local size = file:seek("end")
    file:close()
    return (size or 0) > 0
end

--- Appends one record durably; returns true, or false and why.
function Journal:append(record_id, call, args)
    local line, why = Wire.encode({ id = record_id, client = self.client, call = call,
                                    args = args, at = os.time() })
    if not line then return false, why end
    local file, err = io.open(self.path, "ab")
    if not file then return false, err end
    local written, write_err = file:write(line)
    if written then written, write_err = file:flush() end
    fsync(file)
    file:close()
    if not written then return false, write_err end
    self.written = self.written + 1
    return true
end

--- Lines in the journal now (for the menu's "what it knows"); cheap for a few thousand.
function Journal:count()
    local file = io.open(self.path, "rb")
    if not file then return 0 end
    local count = 0
    for _ in file:lines() do count = count + 1 end
    file:close()
    return count
end

function Journal:warnUnwritable(why)
    logger.err("BookLoreSync: the journal cannot be written:", self.path, why)
end

return Journal
