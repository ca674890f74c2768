--[[--
The plugin's client of the core process (`booklore-sync serve`): what `bookloresync/core`
is in a real KOReader, where no host preloads it.

- Quick calls are sent and answered within QUICK_SECONDS; the UI thread never waits
  longer, even when the sidecar hangs (after a miss it does not wait again for a while).
- Slow calls (sync, matching, Test Connection) are sent and return at once; their answer
  is read by a poller that UIManager runs every POLL_SECONDS while anything is awaited,
  and handed to the callback on the UI thread.
- Reading calls (calls.lua's `journaled`) never fail for want of a core: when it cannot
  be reached, or its answer does not come, the call goes to the journal (fsynced) and is
  answered as the core would have. From then on every reading call goes to the journal,
  in order, until the core confirms it has ingested all of it.
- When no core answers, the client starts one (sidecar/launcher.lua) and tells the reader
  once, plainly, if none comes up. Slow calls made while it comes up (or while it takes
  the journal) wait for it, so the sync a closed book asks for runs once the core has the
  session; they are answered "not running" if it never comes.
]]

local DataStorage = require("datastorage")
local UIManager = require("ui/uimanager")
local logger = require("logger")
local socket = require("socket")

local Connection = require("bookloresync/sidecar/connection")
local Journal = require("bookloresync/sidecar/journal")
local Launcher = require("bookloresync/sidecar/launcher")

local Client = {}
Client.__index = Client

Client.QUICK_SECONDS = 0.05     -- KOReader's setting bookloresync_core_timeout overrides it
Client.POLL_SECONDS = 0.1
Client.RETRY_SECONDS = 2       -- between connection attempts
Client.PAUSE_SECONDS = 2       -- no waiting on a sidecar that just missed a deadline
Client.START_SECONDS = 30      -- how long a started core may take to answer
Client.IDLE_RETRY_SECONDS = 30 -- between attempts once the reader was told
Client.ADDRESS_FILE = "booklore-sync-sidecar.json"

Client.NOT_RUNNING = "BookLore Sync core is not running"

local function newName()
    local file = io.open("/dev/urandom", "rb")
    local bytes = file and file:read(8)
    if file then file:close() end
    if not bytes or #bytes < 8 then
        math.randomseed(os.time() + math.floor((os.clock() * 1e6) % 1e6))
        return string.format("ko-%08x%08x", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
    end
    return "ko-" .. bytes:gsub(".", function(c) return string.format("%02x", c:byte()) end)
end

function Client:new(calls, folder)
    folder = folder or DataStorage:getSettingsDir()
    local name = newName()
    local client = setmetatable({
        folder = folder, name = name, calls = calls, seq = 0, next_id = 0,
        journal = Journal:new(folder, name),
        waiting = {},       -- request id -> { name, callback }
        answers = {},       -- answers read while waiting for another, delivered by poll
        deferred = {},      -- slow calls waiting for the core to come up
        next_attempt = 0, paused_until = 0, started_at = nil, told = false, gave_up = false,
        settings = nil,     -- the last settings the core sent, shown while it is away
    }, self)
    client.journaling = client.journal:holdsRecords()
    client.poll_task = function() client:poll() end
    Client.last = client  -- one per KOReader process; the headless drivers look at it
    return client
end

local function now() return socket.gettime() end

--- How long a quick call may wait: 50 ms, or the reader's `bookloresync_core_timeout`
--- (seconds, 0.01 to 2) for a device whose flash makes the core's commits slower.
function Client.quickSeconds()
    local chosen = G_reader_settings and G_reader_settings.readSetting
        and tonumber(G_reader_settings:readSetting("bookloresync_core_timeout"))
    if not chosen then return Client.QUICK_SECONDS end
    return math.min(2, math.max(0.01, chosen))
end

-- Connection ----------------------------------------------------------------------

function Client:readAddress()
    local file = io.open(self.folder .. "/" .. Client.ADDRESS_FILE, "rb")
    if not file then return nil end
    local text = file:read("*a")
    file:close()
    local address = require("bookloresync/sidecar/wire").decode(text or "")
    if not address or type(address.port) ~= "number" or type(address.token) ~= "string" then
        return nil
    end
    return address
end

--- Whether a connection is open, trying to open one (at most every RETRY_SECONDS).
function Client:connected()
    if self.conn then return true end
    if now() < self.next_attempt then return false end
    self.next_attempt = now() + Client.RETRY_SECONDS
    local address = self:readAddress()
    local conn, welcome
    if address then
        conn, welcome = Connection.open(address.port, address.token, self.name, Client.quickSeconds())
    end
    if not conn then
        self:noCore(address and welcome or "no address file")
        return false
    end
    self.conn, self.sidecar, self.started_at, self.gave_up = conn, welcome, nil, false
    logger.info("BookLoreSync: connected to the core, pid", welcome.pid, "version", welcome.version)
    if self.journal:holdsRecords() then self.journaling = true end
    self:schedulePoll()
    return true
end

--- No core answered: start one (once per START_SECONDS), tell the reader if none came.
function Client:noCore(why)
    logger.dbg("BookLoreSync: no core:", why)
    if self.gave_up then
        self.next_attempt = now() + Client.IDLE_RETRY_SECONDS
    elseif not self.started_at then
        self.started_at = now()
        Launcher.start(self.folder)
        self:schedulePoll()
    elseif Launcher.hopeless(self.folder) or now() - self.started_at > Client.START_SECONDS then
        self:tellOnce(Launcher.failure(self.folder))
        self.started_at, self.gave_up = nil, true  -- retried now and then, not restarted
        for _, call in ipairs(self.deferred) do
            table.insert(self.answers, { pending = call, result = self:unavailable(call.name) })
        end
        self.deferred = {}
    end
end

function Client:tellOnce(text)
    if self.told then return end
    self.told = true
    logger.warn("BookLoreSync:", text)
    local InfoMessage = require("ui/widget/infomessage")
    UIManager:show(InfoMessage:new{ text = text, timeout = 8 })
end

function Client:disconnect(why)
    logger.warn("BookLoreSync: lost the core:", why)
    if self.conn then self.conn:close() end
    self.conn, self.ingest, self.next_attempt = nil, nil, 0
    for id, pending in pairs(self.waiting) do
        self.waiting[id] = nil
        table.insert(self.answers, { pending = pending, result = self:unavailable(pending.name,
            "BookLore Sync core stopped before it answered") })
    end
    self:schedulePoll()
end

-- Calls -----------------------------------------------------------------------------

function Client:nextId()
    self.next_id = self.next_id + 1
    return self.next_id
end

--- Sends a request and waits for its answer until QUICK_SECONDS; other answers that
--- arrive meanwhile are kept for the poller. Returns the result, or nil and why.
function Client:request(message)
    if now() < self.paused_until then return nil, "paused" end
    if not self.conn:send(message) then
        self:disconnect("send failed")
        return nil, "closed"
    end
    local deadline = now() + Client.quickSeconds()
    while true do
        local answer, why = self.conn:receive(deadline)
        if not answer then
            if why == "timeout" then  -- its answer, if it comes, is dropped by `keep`
                self.paused_until = now() + Client.PAUSE_SECONDS
            else
                self:disconnect(why)
            end
            return nil, why
        end
        if answer.id == message.id and answer.op == "result" then return answer.result end
        self:keep(answer)
    end
end

--- An answer to something else than the call being waited for.
function Client:keep(answer)
    local pending = answer.id and self.waiting[answer.id]
    if pending then
        self.waiting[answer.id] = nil
        table.insert(self.answers, { pending = pending, result = answer.result })
        self:schedulePoll()
    elseif self.ingest and answer.id == self.ingest.id then
        self:ingested(answer.result)
    elseif answer.op == "error" then
        self:disconnect(answer.message or "error")
    end
end

function Client:unavailable(name, text)
    text = text or Client.NOT_RUNNING
    if name == "identify_book" then return { ok = false } end  -- a background look-up: silent
    return { ok = false, message = text, summary = text, text = text, status = "core_unavailable" }
end

function Client:quick(name, args)
    if self:connected() then
        local result = self:request({ op = "call", id = self:nextId(), call = name, args = args })
        if result then
            if name == "get_settings" and result.ok then self.settings = result end
            return result
        end
    end
    if name == "get_settings" and self.settings then return self.settings end
    if name == "view_details" then
        return { ok = true, text = Client.NOT_RUNNING .. ".\n" .. self:journalText() }
    end
    return self:unavailable(name)
end

function Client:journalText()
    local count = self.journal:count()
    if count == 0 then return "Nothing is waiting on this device." end
    return string.format("%d reading event(s) are saved on this device and will be handed "
        .. "to the core when it runs.", count)
end

--- A reading call: to the core while it answers and nothing is journaled, else journaled.
function Client:journaled(name, args)
    self.seq = self.seq + 1
    local record = self.name .. ":" .. self.seq
    if not self.journaling and self:connected() then
        local result = self:request({ op = "call", id = self:nextId(), call = name, args = args,
                                      record = record })
        if result then return result end
    end
    local ok, why = self.journal:append(record, name, args)
    if not ok then
        self.journal:warnUnwritable(why)
        return { ok = false, message = "BookLore Sync cannot save reading data: " .. tostring(why) }
    end
    self.journaling = true
    self:schedulePoll()
    return self:accepted(name)
end

--- What a journaled call answers: what the core would, minus what only it can know.
--- `saved` means durable on this device, so the plugin asks for the sync it would ask
--- for; the sync waits for the core (see `slow`).
function Client:accepted(name)
    if name == "start_reading" then
        local settings = self.settings and self.settings.settings
        return { ok = true, journaled = true,
                 tracking = not (settings and settings.tracking_enabled == false) }
    end
    if name == "page_turned" then return { ok = true, journaled = true } end
    return { ok = true, journaled = true, saved = true, queued = true }
end

function Client:slow(name, args, callback)
    if type(callback) ~= "function" then
        return { ok = false, message = "core." .. name .. " needs a callback function as its last argument" }
    end
    local call = { name = name, args = args, callback = callback }
    local connected = self:connected()
    if connected and not self.journaling then
        self:send(call)
    elseif connected or self.started_at then
        table.insert(self.deferred, call)
    else
        table.insert(self.answers, { pending = call, result = self:unavailable(name) })
    end
    self:schedulePoll()
    return { ok = true, started = true }
end

function Client:send(call)
    local id = self:nextId()
    if self.conn:send({ op = "call", id = id, call = call.name, args = call.args }) then
        self.waiting[id] = call
    else
        self:disconnect("send failed")
        table.insert(self.answers, { pending = call, result = self:unavailable(call.name) })
    end
end

-- The poller --------------------------------------------------------------------------

--- Often while answers are awaited on a connection, seldom while there is none (an
--- e-reader's main loop should sleep when nothing is happening). A poll needed sooner
--- than the sleeping one (an answer queued meanwhile, e.g. "not running" to a Sync Now)
--- takes its place, so the reader is not kept waiting for the long sleep to end.
function Client:schedulePoll()
    local answering = self.conn and (next(self.waiting) or self.ingest or self.journaling)
    local delay = (answering or #self.answers > 0) and Client.POLL_SECONDS
        or math.max(Client.POLL_SECONDS, math.min(Client.RETRY_SECONDS, self.next_attempt - now()))
    local due = now() + delay
    if self.poll_due then
        if self.poll_due <= due then return end
        UIManager:unschedule(self.poll_task)
    end
    self.poll_due = due
    UIManager:scheduleIn(delay, self.poll_task)
end

--- Whether the poller still has something to do.
function Client:busy()
    return next(self.waiting) ~= nil or #self.answers > 0 or #self.deferred > 0
        or self.journaling or self.started_at ~= nil or self.ingest ~= nil
end

function Client:poll()
    self.poll_due = nil
    while self.conn do
        local answer, why = self.conn:receive(now())
        if not answer then
            if why ~= "timeout" then self:disconnect(why) end
            break
        end
        self:keep(answer)
    end
    local answers = self.answers
    self.answers = {}
    for _, answer in ipairs(answers) do
        local ok, err = xpcall(answer.pending.callback, debug.traceback, answer.result)
        if not ok then logger.err("BookLoreSync: the answer to", answer.pending.name, "failed:", err) end
    end
    if self.journaling or self.started_at or #self.deferred > 0 then self:handOver() end
    if self.conn and not self.journaling and #self.deferred > 0 then
        local deferred = self.deferred
        self.deferred = {}
        for _, call in ipairs(deferred) do self:send(call) end
    end
    if self:busy() then self:schedulePoll() end
end

--- Asks the core to ingest the journal; journaling ends when an ingest covered every
--- record written so far.
function Client:handOver()
    if self.ingest or not self:connected() or not self.journaling then return end
    self.ingest = { id = self:nextId(), written = self.journal.written }
    if not self.conn:send({ op = "ingest", id = self.ingest.id }) then
        self:disconnect("send failed")
    end
end

function Client:ingested(result)
    local written = self.ingest.written
    self.ingest = nil
    if type(result) == "table" and result.ok and written == self.journal.written then
        self.journaling = self.journal:holdsRecords()
        logger.info("BookLoreSync: the core took the journal:", result.applied, "applied")
    end
    self:schedulePoll()
end

return Client
