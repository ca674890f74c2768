"""A tiny raw-socket HTTP server that answers every request with exactly the bytes a test
chose: any status line, any header, truncated or endless bodies, a reset or silence.

pytest-httpserver (werkzeug) always writes well-formed HTTP; the client must also survive
what a broken proxy, a captive portal or a wrong port sends.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable

from tests.support import rst_now

#: What the server sends: bytes, or a function of the raw request returning chunks;
#: RESET and SILENCE are special answers.
RESET = "reset"
SILENCE = "silence"


class RawServer:
    """`tls`: an ssl.SSLContext to serve https with (the answers are the same bytes)."""

    def __init__(self, tls=None) -> None:
        self._tls = tls
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.answer: bytes | str | Callable[[bytes], Iterable[bytes]] = b""
        self.requests: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="raw-http", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._serve_one, args=(conn,), daemon=True).start()

    def _serve_one(self, conn: socket.socket) -> None:
        """One thread per connection, so a silent answer holds up nobody else."""
        with conn:
            try:
                if self._tls is not None:
                    conn.settimeout(2)
                    conn = self._tls.wrap_socket(conn, server_side=True)
                self._answer(conn)
            except OSError:
                pass  # the client hung up first (early refusal of a huge body): fine

    def _answer(self, conn: socket.socket) -> None:
        conn.settimeout(2)
        request = _read_request(conn)
        self.requests.append(request)
        answer = self.answer
        if answer == RESET:
            rst_now(conn)
            return
        if answer == SILENCE:  # until the client gives up and hangs up
            conn.settimeout(5)
            conn.recv(1)
            return
        chunks = answer(request) if callable(answer) else [answer]
        for chunk in chunks:
            conn.sendall(chunk)
        conn.shutdown(socket.SHUT_WR)


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        part = conn.recv(65536)
        if not part:
            return data
        data += part
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        part = conn.recv(65536)
        if not part:
            break
        body += part
    return head + b"\r\n\r\n" + body
