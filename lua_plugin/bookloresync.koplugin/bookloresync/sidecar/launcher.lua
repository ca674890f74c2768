--[[--
Starting the core when no sidecar answers: `python -m python_core serve --detach` for
this settings folder, in the background, so KOReader never waits for Python to start.

The interpreter is the reader's setting `bookloresync_python` (in KOReader's settings)
if set, else `python3` from PATH; the code is the bundle's own `python/` folder beside
this plugin when it is there, else whatever that interpreter has installed. A shell line
run by `os.execute` with `&` (as SSH.koplugin starts its daemon) checks the interpreter and
its version first and leaves the outcome in `booklore-sync-sidecar.status`, which the
client reads when no core has come up: so "Python not found" is told plainly.
]]

local logger = require("logger")

local Launcher = {}

Launcher.STATUS_FILE = "booklore-sync-sidecar.status"
Launcher.LOG_FILE = "booklore-sync-sidecar.log"

local function quote(text)
    return "'" .. tostring(text):gsub("'", "'\\''") .. "'"
end

local function holdsCore(code)
    local file = io.open(code .. "/python_core/__init__.py", "rb")
    if file then file:close() end
    return file ~= nil
end

--- The folder that holds this plugin (…/bookloresync.koplugin).
function Launcher.pluginDir()
    local source = debug.getinfo(1, "S").source or ""
    return source:match("^@(.*)/bookloresync/sidecar/launcher%.lua$") or "."
end

function Launcher.python()
    local chosen = G_reader_settings and G_reader_settings.readSetting
        and G_reader_settings:readSetting("bookloresync_python")
    if type(chosen) == "string" and chosen ~= "" then return chosen end
    return "python3"
end

--- The shell line that starts the sidecar for `folder`.
--- With the bundle, the core runs in the bundle's `python/` folder: `python -m` puts the
--- working folder first on its path, so the bundle's core is imported whatever folder
--- KOReader runs in, and the core's restart after an update (an exec, in place) finds the
--- new code there again. The settings folder is made absolute first: KOReader's may be
--- relative to its own working folder (`./settings`).
function Launcher.command(folder, python)
    local code = Launcher.pluginDir() .. "/python"
    local status = quote(folder .. "/" .. Launcher.STATUS_FILE)
    local lines = {
        "PY=" .. quote(python),
        'if ! command -v "$PY" >/dev/null 2>&1; then echo no-python > ' .. status .. "; exit 0; fi",
        [[if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' ]]
            .. ">/dev/null 2>&1; then echo old-python > " .. status .. "; exit 0; fi",
        "echo starting > " .. status,
        "DIR=$(cd " .. quote(folder) .. " && pwd) || exit 0",
    }
    if holdsCore(code) then
        table.insert(lines, "cd " .. quote(code) .. " || exit 0")
        table.insert(lines, 'PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"; export PYTHONPATH')
    end
    table.insert(lines, 'exec "$PY" -m python_core --settings-dir "$DIR" serve --detach')
    return "( " .. table.concat(lines, "; ") .. " ) </dev/null >>"
        .. quote(folder .. "/" .. Launcher.LOG_FILE) .. " 2>&1 &"
end

function Launcher.start(folder)
    local python = Launcher.python()
    os.remove(folder .. "/" .. Launcher.STATUS_FILE)
    logger.info("BookLoreSync: starting the core with", python)
    os.execute(Launcher.command(folder, python))
end

local function status(folder)
    local file = io.open(folder .. "/" .. Launcher.STATUS_FILE, "rb")
    local found = file and file:read("*l") or ""
    if file then file:close() end
    return found
end

--- Whether the start already failed for good (no usable Python): no need to wait.
function Launcher.hopeless(folder)
    local found = status(folder)
    return found == "no-python" or found == "old-python"
end

--- After a start that did not come up: what to tell the reader.
function Launcher.failure(folder)
    if Launcher.hopeless(folder) then
        return "BookLore Sync: Python 3.9 or newer not found — see docs/DEVICES.md. "
            .. "Reading is still recorded on this device."
    end
    return "BookLore Sync core is not running (see " .. Launcher.LOG_FILE
        .. " in KOReader's settings folder). Reading is still recorded on this device."
end

return Launcher
