"""Whether the core's own code on disk has changed since this sidecar started.

A reader updates the plugin by unzipping a new bundle over the old one and restarting
KOReader. The sidecar is detached (it outlives KOReader's restart on purpose) and KOReader
reconnects within seconds, so without this check the old core would keep serving the new
plugin for as long as the reader keeps reading, and modules it imports lazily would come
from the new files: two versions in one process. The server asks `changed()` every few
seconds and, when the answer is yes and no slow call is running, restarts itself in place
with the new code (server.py, command.py).

The stamp is each module's path, size and modification time, not its content: a stat of
the package's hundred files costs well under a millisecond, where reading them would cost
an e-reader's flash more. An unzip restores archived times, but a file whose content
changed and whose size and time are both unchanged is not something an update produces.
"""

from __future__ import annotations

import os
from pathlib import Path

import python_core

PACKAGE = Path(python_core.__file__).resolve().parent


def code_stamp(root: Path = PACKAGE) -> tuple[tuple[str, int, int], ...]:
    """(relative path, size, mtime in ns) of every module under `root`, sorted; a file
    that vanishes while it is being looked at is simply not in it."""
    found = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [name for name in subfolders if name != "__pycache__"]
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            try:
                info = os.stat(path)
            except OSError:
                continue
            found.append((os.path.relpath(path, root), info.st_size, info.st_mtime_ns))
    return tuple(sorted(found))


class CodeWatch:
    """Compares the code on disk with what it was when this process started."""

    def __init__(self, root: Path = PACKAGE):
        self.root = root
        self.started = code_stamp(root)
        self._previous = self.started

    def changed(self) -> bool:
        """True once the code differs from the start *and* looked the same at the previous
        call: an update still being copied (some files new, some old) is waited out, and
        so is a package that is not there at all (the old folder deleted before the new
        one is copied: restarting into nothing would end the core)."""
        current = code_stamp(self.root)
        settled = current == self._previous
        self._previous = current
        return settled and bool(current) and current != self.started
