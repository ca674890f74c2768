"""A real `booklore-sync serve` process for tests, and a small client of its protocol."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from python_core.sidecar.instance import ADDRESS_FILE


@pytest.fixture(name="settings")
def empty_settings_folder(tmp_path):
    """A KOReader settings folder with nothing in it yet (the tests of `serve` use it)."""
    folder = tmp_path / "settings"
    folder.mkdir()
    return folder


def start_serve(settings_dir, *extra: str, python: str = sys.executable,
                wait: bool = True) -> subprocess.Popen:
    """`python -m python_core serve` for `settings_dir`; waits until it has published."""
    settings_dir = Path(settings_dir)
    address = settings_dir / ADDRESS_FILE
    before = address.stat().st_mtime_ns if address.exists() else None
    process = subprocess.Popen(
        [python, "-m", "python_core", "--settings-dir", str(settings_dir), "serve",
         "--idle-exit", "60", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=Path(__file__).resolve().parent.parent)
    if wait:
        deadline = time.monotonic() + 20
        while not (address.exists() and address.stat().st_mtime_ns != before):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"serve did not start: {process.communicate()}")
            time.sleep(0.02)
    return process


def stop(process: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 10) -> int:
    if process.poll() is None:
        os.kill(process.pid, sig)
    try:
        return process.wait(timeout)
    finally:
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()


def address(settings_dir) -> dict:
    return json.loads((Path(settings_dir) / ADDRESS_FILE).read_text())


class Client:
    """A plugin's view of the sidecar: hello, then calls; results matched by id."""

    def __init__(self, settings_dir, client: str = "test-client", token: str | None = None):
        found = address(settings_dir)
        self.sock = socket.create_connection(("127.0.0.1", found["port"]), timeout=10)
        self.file = self.sock.makefile("rb")
        self.next_id = 0
        self.early: dict = {}
        self.send({"op": "hello", "token": token or found["token"], "client": client})
        self.welcome = self.receive()

    def send(self, message: dict) -> None:
        self.sock.sendall(json.dumps(message).encode() + b"\n")

    def receive(self) -> dict:
        line = self.file.readline()
        if not line:
            raise ConnectionError("the sidecar closed the connection")
        return json.loads(line)

    def call(self, name: str, *args, record: str | None = None) -> dict:
        self.next_id += 1
        message = {"op": "call", "id": self.next_id, "call": name, "args": list(args)}
        if record:
            message["record"] = record
        self.send(message)
        return self.result(self.next_id)

    def ingest(self) -> dict:
        self.next_id += 1
        self.send({"op": "ingest", "id": self.next_id})
        return self.result(self.next_id)

    def result(self, request_id: int) -> dict:
        while request_id not in self.early:
            message = self.receive()
            self.early[message.get("id")] = message
        return self.early.pop(request_id)["result"]

    def close(self) -> None:
        self.file.close()
        self.sock.close()
