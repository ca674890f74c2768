"""`booklore-sync serve`: the core for one KOReader settings folder, on 127.0.0.1.

One process per folder (`instance`), found by the plugin through the address file, and
spoken to in the line format of `protocol` by clients that present the token. At start it
continues a session the core had open, ingests the plugin's journal, then listens on an
ephemeral loopback port. Each connection has a thread for its requests; quick calls
answer on it (under the runner's lock), slow calls run on the one worker and answer on
the same connection when done, matched by the request id.

It stops on SIGTERM or SIGINT, and by itself when no KOReader has been connected for
`idle_exit` seconds (KOReader keeps its connection open while it runs, so this is the
time after KOReader quit, crashed or restarted without coming back). When its own code on
disk changes (the plugin was updated) it stops with `restart` set, once no slow call is
running, and `serve` starts the new code in the same process.
"""

from __future__ import annotations

import concurrent.futures
import hmac
import logging
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any, Callable

from python_core import __version__, calls
from python_core.clock import utc_now
from python_core.facade import BookLoreSync
from python_core.sidecar.code_watch import CodeWatch
from python_core.sidecar.instance import Instance
from python_core.sidecar.journal import Journal
from python_core.sidecar.protocol import MAX_LINE, ProtocolError, arguments, decode, encode
from python_core.sidecar.runner import CallRunner

log = logging.getLogger("booklore_sync.sidecar")

HELLO_SECONDS = 10.0
DEFAULT_IDLE_EXIT = 300.0
MAX_CLIENTS = 8
APPLIED_IDS_KEPT_DAYS = 60
CODE_CHECK_SECONDS = 2.0


class SidecarServer:
    """A running sidecar; `start()`, then `wait()` until it is told or decides to stop."""

    def __init__(self, settings_dir: str | os.PathLike, idle_exit: float = DEFAULT_IDLE_EXIT,
                 port: int = 0):
        self.folder = Path(settings_dir).resolve()
        self.idle_exit = idle_exit
        self._port = port
        self.instance = Instance(self.folder)
        self.stopping = threading.Event()
        self._clients: dict[int, _Connection] = {}
        self._clients_lock = threading.Lock()
        self._last_client = time.monotonic()
        self._worker = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="core-slow")
        self._slow_running = 0  # slow calls and ingests submitted and not yet answered
        self.code = CodeWatch()
        self.restart = False  # stopped because the code on disk changed: serve runs it
        self._update_waits = False  # the change is seen and waits for a slow call to end
        self.core: BookLoreSync | None = None

    def start(self) -> int:
        """Take the folder, prepare the core, listen, publish; returns the port."""
        self.instance.acquire()  # raises AlreadyRunning before anything is touched
        self.core = BookLoreSync(self.folder, keep_recording=True)  # records whatever happens
        self.core.runs_in = f"sidecar process {os.getpid()}"
        self.core.continue_reading()
        self.core.forget_applied_calls(APPLIED_IDS_KEPT_DAYS)
        self.runner = CallRunner(self.core)
        self.journal = Journal(self.folder, self.runner)
        self.journal.ingest()
        self._listener = socket.create_server(("127.0.0.1", self._port))
        self._listener.settimeout(0.5)
        port = self._listener.getsockname()[1]
        self.instance.publish(port, __version__)
        for target in (self._accept_loop, self._idle_watch):
            threading.Thread(target=target, daemon=True, name=target.__name__).start()
        log.info("serving %s on 127.0.0.1:%d (pid %d, idle exit %s s)", self.folder, port,
                 os.getpid(), self.idle_exit or "never")
        return port

    def wait(self) -> None:
        while not self.stopping.wait(0.5):
            pass

    def stop(self) -> None:
        """Stop listening, let a running slow call finish (bounded), close everything."""
        self.stopping.set()
        self._listener.close()
        with self._clients_lock:
            connections = list(self._clients.values())
        for connection in connections:
            connection.close()
        self._worker.shutdown(wait=True, cancel_futures=True)
        if self.core is not None:
            self.core.close()
        self.instance.release()
        log.info("stopped")

    # Connections ------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return  # the listener was closed: stopping
            with self._clients_lock:
                full = len(self._clients) >= MAX_CLIENTS
            if full:
                sock.close()
                continue
            connection = _Connection(self, sock)
            threading.Thread(target=connection.run, daemon=True, name="client").start()

    def joined(self, connection: _Connection) -> None:
        with self._clients_lock:
            self._clients[id(connection)] = connection
            present = {c.client for c in self._clients.values()}
        self.runner.retire_absent(present)

    def left(self, connection: _Connection) -> None:
        with self._clients_lock:
            self._clients.pop(id(connection), None)
            self._last_client = time.monotonic()

    def _idle_watch(self) -> None:
        next_code_check = time.monotonic() + CODE_CHECK_SECONDS
        while not self.stopping.wait(1.0):
            with self._clients_lock:
                idle = not self._clients and time.monotonic() - self._last_client
            if self.idle_exit and idle and idle > self.idle_exit:
                log.info("no KOReader connected for %d s: exiting", int(idle))
                self.stopping.set()
            elif time.monotonic() >= next_code_check:
                next_code_check = time.monotonic() + CODE_CHECK_SECONDS
                self._restart_if_updated()

    def _restart_if_updated(self) -> None:
        """A running sync or ingest is let finish, so its answer still reaches the reader;
        reading calls meanwhile go to the old code, which records them as ever."""
        if not self.code.changed():
            return
        with self._clients_lock:
            busy = self._slow_running
        if busy:
            if not self._update_waits:  # said once, not at every check of a long sync
                log.info("the core on disk was updated: restarting when the running call ends")
            self._update_waits = True
            return
        log.info("the core on disk was updated: restarting with the new code")
        self.restart = True
        self.stopping.set()

    def _counted(self, work: Callable[[], None]) -> Callable[[], None]:
        with self._clients_lock:
            self._slow_running += 1

        def run() -> None:
            try:
                work()
            finally:
                with self._clients_lock:
                    self._slow_running -= 1
        return run

    def submit_slow(self, connection: _Connection, request_id: Any, name: str, args: list) -> None:
        self._worker.submit(self._counted(
            lambda: connection.answer(request_id, self.runner.slow(name, args))))

    def ingest(self, connection: _Connection, request_id: Any) -> None:
        run = self._counted(lambda: connection.answer(request_id, self.journal.ingest()))
        threading.Thread(target=run, daemon=True, name="ingest").start()

    def hello(self) -> dict[str, Any]:
        return {"op": "hello", "ok": True, "version": __version__, "pid": os.getpid(),
                "protocol": 1, "started": utc_now()}


class _Connection:
    """One client: a hello with the token, then requests until either side closes."""

    def __init__(self, server: SidecarServer, sock: socket.socket):
        self.server = server
        self.sock = sock
        self.client = ""
        self._write = threading.Lock()
        self._closed = False

    def run(self) -> None:
        try:
            reader = self.sock.makefile("rb")
            self.sock.settimeout(HELLO_SECONDS)
            if not self._hello(reader.readline(MAX_LINE + 1)):
                return
            self.sock.settimeout(None)
            self.server.joined(self)
            while not self._closed:
                line = reader.readline(MAX_LINE + 1)
                if not line:
                    return
                self._request(line)
        except ProtocolError as exc:
            log.warning("closing a connection: %s", exc)
            self.send({"op": "error", "message": f"Not understood: {exc}"})
        except (OSError, ValueError):
            return  # the client went away (or the server is stopping)
        finally:
            self.close()
            self.server.left(self)

    def _hello(self, line: bytes) -> bool:
        message = decode(line) if line else {}
        token = message.get("token")
        client = message.get("client")
        if message.get("op") != "hello" or not isinstance(token, str) or not isinstance(
                client, str) or not 0 < len(client) <= 100:
            raise ProtocolError("expected a hello")
        if not hmac.compare_digest(token.encode(), self.server.instance.token.encode()):
            log.warning("refused a client with a wrong token")
            self.send({"op": "hello", "ok": False, "message": "wrong token"})
            return False
        self.client = client
        self.send(self.server.hello())
        return True

    def _request(self, line: bytes) -> None:
        if not line.endswith(b"\n"):
            raise ProtocolError("message too long or cut off")
        message = decode(line)
        request_id = message.get("id")
        if message.get("op") == "ingest":
            return self.server.ingest(self, request_id)
        if message.get("op") != "call" or not isinstance(message.get("call"), str):
            raise ProtocolError("expected a call")
        name, args = message["call"], arguments(message)
        if name in calls.SLOW:
            return self.server.submit_slow(self, request_id, name, args)
        record = message.get("record") if isinstance(message.get("record"), str) else None
        self.answer(request_id, self.server.runner.quick(name, args, self.client, record))

    def answer(self, request_id: Any, result: Any) -> None:
        self.send({"op": "result", "id": request_id, "result": result})

    def send(self, message: dict[str, Any]) -> None:
        try:
            data = encode(message)
        except (TypeError, ValueError):
            log.error("an answer could not be encoded", exc_info=True)
            data = encode({"op": "result", "id": message.get("id"),
                           "result": {"ok": False, "message": "Internal error in the answer"}})
        with self._write:
            if self._closed:
                return
            try:
                self.sock.sendall(data)
            except OSError:
                self._closed = True

    def close(self) -> None:
        with self._write:
            self._closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
