--[[--
One TCP connection to the sidecar on 127.0.0.1, with luasocket as KOReader bundles it.

Only `require("socket")` and its plain methods: KOReader renames luasocket's C core
(`socket.score`), so `socket.core` must never be named (koreader-host.md §13). Every wait
is bounded by a deadline in seconds; reading never blocks past it, and a line is put
together from partial reads, so a slow or silent sidecar costs at most that deadline.
]]

local socket = require("socket")

local Wire = require("bookloresync/sidecar/wire")

local Connection = {}
Connection.__index = Connection

local MAX_LINE = 8 * 1024 * 1024

--- Connects and says hello; returns the connection and the sidecar's welcome, or nil and
--- why ("refused", "wrong token", "no answer", "not a BookLore Sync core").
function Connection.open(port, token, client, seconds)
    local sock = socket.tcp()
    if not sock then return nil, "no socket" end
    sock:settimeout(seconds)
    local ok = sock:connect("127.0.0.1", port)
    if not ok then
        sock:close()
        return nil, "refused"
    end
    sock:setoption("tcp-nodelay", true)
    local self = setmetatable({ sock = sock, partial = "" }, Connection)
    if not self:send({ op = "hello", token = token, client = client }) then
        self:close()
        return nil, "refused"
    end
    local welcome, why = self:receive(socket.gettime() + seconds)
    if not welcome or welcome.op ~= "hello" then
        self:close()
        return nil, why == "timeout" and "no answer" or "not a BookLore Sync core"
    end
    if not welcome.ok then
        self:close()
        return nil, welcome.message or "refused"
    end
    return self, welcome
end

function Connection:send(message)
    local line = Wire.encode(message)
    if not line or not self.sock then return false end
    self.sock:settimeout(1)
    local sent = self.sock:send(line)
    return sent == #line
end

--- The next message, waiting until `deadline` (socket.gettime() seconds) at most;
--- nil and "timeout", "closed" or "garbage".
function Connection:receive(deadline)
    if not self.sock then return nil, "closed" end
    local wait = math.max(0, deadline - socket.gettime())
    self.sock:settimeout(wait)
    local line, err, partial = self.sock:receive("*l", self.partial)
    if not line then
        self.partial = partial or ""
        if err ~= "timeout" then return nil, "closed" end
        if #self.partial > MAX_LINE then return nil, "garbage" end
        return nil, "timeout"
    end
    self.partial = ""
    local message = Wire.decode(line)
    if not message then return nil, "garbage" end
    return message
end

function Connection:close()
    if self.sock then self.sock:close() end
    self.sock = nil
end

return Connection
