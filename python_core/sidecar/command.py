"""`booklore-sync serve --settings-dir DIR`: run the sidecar until stopped.

Kept apart from the other commands because it is the only one that runs for long: it
logs to the settings folder rather than the terminal (it is usually started detached by
the plugin, with no terminal at all), installs the signal handlers, and exits 0 when a
sidecar for the folder is already running, so starting one twice is harmless.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path

from python_core.sidecar.instance import AlreadyRunning, log_to_folder
from python_core.sidecar.server import SidecarServer

log = logging.getLogger("booklore_sync.sidecar")


def serve(settings_dir: str, idle_exit: float, detach: bool = False, verbose: bool = False,
          port: int = 0) -> int:
    folder = Path(settings_dir)
    if detach:
        _detach()
    folder.mkdir(parents=True, exist_ok=True)
    log_to_folder(folder, verbose)
    server = SidecarServer(folder, idle_exit=idle_exit, port=port)
    try:
        bound = server.start()
    except AlreadyRunning as running:
        pid = f" (pid {running.pid})" if running.pid else ""
        print(f"booklore-sync serve is already running for {folder}{pid}", file=sys.stderr)
        return 0
    print(f"booklore-sync serve: {folder} on 127.0.0.1:{bound}", file=sys.stderr, flush=True)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda *_: server.stopping.set())
    try:
        server.wait()
    finally:
        server.stop()
    if server.restart:
        _run_updated_code()
    return 0


def _run_updated_code() -> None:
    """The plugin was updated: become a sidecar running the new code, in this process
    (still detached, same pid, a new port and token). Everything that must survive is in
    the settings folder; the lock was released by `stop`, so if the plugin started a
    sidecar meanwhile, that one serves and this one exits as "already running". Returns
    only if the new code cannot be started, after saying so in the log."""
    argv = [sys.executable, "-m", "python_core", *sys.argv[1:]]
    log.info("restarting: %s", " ".join(argv[:3]))
    for handler in logging.getLogger("booklore_sync").handlers:
        handler.flush()  # its file is closed by exec (close-on-exec) and opened again
    try:
        os.execv(sys.executable, argv)
    except OSError as exc:
        log.error("could not restart with the new code: %s", exc)


def _detach() -> None:
    """Leave KOReader's session and terminal: a restart of KOReader does not take the
    sidecar down with it, and nothing waits on its output."""
    try:
        os.setsid()
    except OSError:
        pass  # already a session leader
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
