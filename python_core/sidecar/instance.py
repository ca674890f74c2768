"""One sidecar per settings folder, and the files it shares with the plugin there.

- `booklore-sync-sidecar.lock`: held (flock) while a sidecar serves this folder. The
  kernel releases it when the process ends however it ends (kill -9 too), so a stale lock
  cannot exist and a second `serve` knows at once whether one is running.
- `booklore-sync-sidecar.json`: where it listens and the token a client must present,
  owner-only, written whole (temporary file, fsync, rename) so the plugin never reads half
  of it. A file left by a killed sidecar points at a closed port; the plugin then starts a
  new sidecar, which takes the lock and writes a new file.
- `booklore-sync-sidecar.log`: what it did, rotated, never a password or the token.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import logging.handlers
import os
import secrets
from pathlib import Path
from typing import Any

LOCK_FILE = "booklore-sync-sidecar.lock"
ADDRESS_FILE = "booklore-sync-sidecar.json"
LOG_FILE = "booklore-sync-sidecar.log"
LOG_BYTES = 256 * 1024


class AlreadyRunning(Exception):
    """Another sidecar holds this folder's lock."""

    def __init__(self, pid: int | None):
        super().__init__(pid)
        self.pid = pid


class Instance:
    """The lock and the address file of one running sidecar."""

    def __init__(self, settings_dir: str | os.PathLike):
        self.folder = Path(settings_dir)
        self.token = secrets.token_hex(16)
        self._lock_fd: int | None = None

    def acquire(self) -> None:
        """Take the folder's lock, or raise AlreadyRunning with the holder's pid."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise AlreadyRunning(_running_pid(self.folder)) from None
        self._lock_fd = fd

    def publish(self, port: int, version: str) -> None:
        """Write the address file: the plugin finds this sidecar with no configuration."""
        address = {"port": port, "token": self.token, "pid": os.getpid(), "version": version,
                   "protocol": 1}
        _write_private(self.folder / ADDRESS_FILE, json.dumps(address).encode("utf-8"))

    def release(self) -> None:
        """Remove the address file if it is still ours, then let go of the lock."""
        if self._lock_fd is None:
            return
        if read_address(self.folder).get("token") == self.token:
            with contextlib.suppress(OSError):
                (self.folder / ADDRESS_FILE).unlink()
        os.close(self._lock_fd)
        self._lock_fd = None


def read_address(folder: Path) -> dict[str, Any]:
    """The address file's content, or {} when it is missing or not ours to read."""
    try:
        data = json.loads((folder / ADDRESS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def log_to_folder(folder: Path, verbose: bool = False) -> logging.Handler:
    """Send the core's log to the rotated log file in the settings folder."""
    path = folder / LOG_FILE
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600))
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=LOG_BYTES, backupCount=1,
                                                   encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.DEBUG if verbose else logging.INFO)
    root = logging.getLogger("booklore_sync")
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    return handler


def _running_pid(folder: Path) -> int | None:
    pid = read_address(folder).get("pid")
    return pid if isinstance(pid, int) else None


def _write_private(path: Path, data: bytes) -> None:
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)

