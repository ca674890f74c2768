"""The plugin's journal: reading calls it kept while no core process answered.

`bookloresync/core.lua` appends one line per call to `booklore-sync-journal.jsonl` in the
settings folder (`{"id", "client", "call", "args", "at"}`, the line format of
`protocol`) and fsyncs it before the call returns. The core takes the file when it starts
and whenever a plugin asks after reconnecting: it renames it (the plugin opens the file
for every append, so its next record starts a new journal), waits until the taken file
has been quiet for a moment (an append that began before the rename lands in it), then
applies its records in order through the runner, each id once, and deletes it.

A line that is not a record (garbage, a record torn by a crash mid-write, a call the
journal may not carry) is copied to `booklore-sync-journal.rejected` for a person to look
at, never applied and never silently dropped. If the database fails mid-way, the records
not yet applied stay in the taken file for the next ingest.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from python_core import calls
from python_core.sidecar.protocol import ProtocolError, arguments, decode

log = logging.getLogger("booklore_sync.sidecar")

JOURNAL_FILE = "booklore-sync-journal.jsonl"
TAKEN_FILE = "booklore-sync-journal.ingesting"
REJECTED_FILE = "booklore-sync-journal.rejected"
QUIET_SECONDS = 0.5
_MAX_NAME = 200


class Journal:
    """The journal files of one settings folder."""

    def __init__(self, folder: Path, runner: Any, sleep=time.sleep, clock=time.time):
        self.folder = Path(folder)
        self._runner = runner
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()

    def ingest(self) -> dict[str, Any]:
        """Apply what the journal holds; {ok, applied, replayed, rejected}, never raises."""
        with self._lock:
            counts = {"applied": 0, "replayed": 0, "rejected": 0}
            try:
                taken = self._take()
                if taken is not None:
                    self._apply_file(taken, counts)
            except Exception as exc:  # a database failure: the rest waits in the taken file
                log.error("journal ingest stopped; it goes on next time", exc_info=True)
                return {"ok": False, "message": f"Journal kept for later ({type(exc).__name__})",
                        **counts}
            if any(counts.values()):
                log.info("journal ingested: %(applied)d applied, %(replayed)d already "
                         "applied, %(rejected)d rejected", counts)
            return {"ok": True, **counts}

    def _take(self) -> Path | None:
        """The file to ingest: one a stopped ingest left, else the live journal, renamed."""
        taken = self.folder / TAKEN_FILE
        if not taken.exists():
            try:
                os.replace(self.folder / JOURNAL_FILE, taken)
            except FileNotFoundError:
                return None
        while True:  # an append already under way when we renamed lands in the taken file
            quiet = self._clock() - taken.stat().st_mtime
            if quiet >= QUIET_SECONDS or quiet < 0:
                return taken
            self._sleep(QUIET_SECONDS - quiet)

    def _apply_file(self, taken: Path, counts: dict[str, int]) -> None:
        lines = taken.read_bytes().split(b"\n")
        torn = lines.pop()  # after the last newline: b"" unless a write was cut short
        for index, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                outcome = self._apply_line(line)
            except Exception:
                _keep(taken, lines[index:], torn)
                raise
            if outcome == "rejected":
                self._reject(line, "not a journal record")
            counts[outcome] += 1
        if torn.strip():
            self._reject(torn, "torn record (cut short by a crash)")
            counts["rejected"] += 1
        taken.unlink()

    def _apply_line(self, line: bytes) -> str:
        try:
            record = _record(decode(line))
        except ProtocolError:
            return "rejected"
        result = self._runner.replay(record["call"], record["args"], record["client"],
                                     record["id"])
        return "replayed" if result.get("replayed") else "applied"

    def _reject(self, line: bytes, why: str) -> None:
        log.warning("journal: %s; kept in %s", why, REJECTED_FILE)
        fd = os.open(self.folder / REJECTED_FILE, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
        try:
            os.write(fd, line.rstrip(b"\n") + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)


def _record(message: dict[str, Any]) -> dict[str, Any]:
    """A journal record's fields, checked: only reading calls, only plain names."""
    for key in ("id", "client"):
        value = message.get(key)
        if not isinstance(value, str) or not 0 < len(value) <= _MAX_NAME:
            raise ProtocolError(f"{key} is missing")
    if message.get("call") not in calls.JOURNALED:
        raise ProtocolError("not a call the journal may carry")
    return {"id": message["id"], "client": message["client"], "call": message["call"],
            "args": arguments(message)}


def _keep(taken: Path, lines: list[bytes], torn: bytes) -> None:
    """Leave only the records not yet applied in the taken file, for the next ingest."""
    temporary = taken.with_name(taken.name + ".tmp")
    with open(temporary, "wb") as out:
        out.write(b"".join(line + b"\n" for line in lines) + torn)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, taken)
