"""The HTTP layer: parse a request, apply the injected fault, dispatch, and write
the response (gzip for JSON of 1 KiB or more, as ``server.compression`` does).

HTTP/1.1 keep-alive is on, so clients with pooled connections behave as they
would against Tomcat; the server keeps track of open connections so ``stop()``
can cut idle ones instead of waiting for them.
"""

import dataclasses
import gzip
import socket
import struct
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .errors import UNEXPECTED
from .faults import Fault
from .responses import JSON_TYPE, application_error, spa_page
from .routes import dispatch

GZIP_MIN_BYTES = 1024


@dataclasses.dataclass
class Request:
    """What endpoint code sees; ``user`` is set by the security layer."""

    method: str
    path: str
    query: dict
    headers: object
    body: bytes
    client_ip: str
    user: object = None


class BookLoreRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "BookLoreDev/1"
    timeout = 30
    #: Headers and body go out in two writes; with Nagle on, the second waits for the
    #: client's delayed ACK (40 ms on Linux) on every keep-alive request.
    disable_nagle_algorithm = True

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _handle(self):
        booklore = self.server.booklore
        url = urlsplit(self.path)
        fault = booklore.fault_for(self.command, url.path)
        status = None
        if fault is Fault.RESET_BEFORE_BODY:
            self._reset_connection()
        elif fault is Fault.STALL:
            booklore.stopping.wait(booklore.stall_seconds)
            self.close_connection = True
        else:
            self._answer(booklore, url, fault)
            return
        booklore.record_request(self.command, url.path, status)

    def _answer(self, booklore, url, fault):
        """Read the body, build the response, record it, then send it (or RST for
        LOST_RESPONSE)."""
        body = self._read_body()
        if fault is Fault.ERROR_500:
            response = application_error(500, UNEXPECTED)
        elif fault is Fault.HTML_200:
            response = spa_page()
        else:
            query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            request = Request(self.command, url.path, query, self.headers, body,
                              self.client_address[0])
            response = self._dispatch(booklore, request)
        if fault is Fault.LOST_RESPONSE:
            booklore.record_request(self.command, url.path, None)
            self._reset_connection()
            return
        # Recorded before the answer leaves: a client that has its answer finds the request
        # in the log (a test reading it right after its last call never races the server).
        booklore.record_request(self.command, url.path, response.status)
        self._send(response)

    @staticmethod
    def _dispatch(booklore, request):
        try:
            return dispatch(booklore, request)
        except Exception:  # the server's own catch-all: 500 shape A, and say why
            traceback.print_exc(file=sys.stderr)
            return application_error(500, UNEXPECTED)

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked_body()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked_body(self):
        """Tomcat accepts chunked uploads; requests sends them for generator bodies."""
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _send(self, response):
        body = response.body
        gzipped = (response.content_type == JSON_TYPE and len(body) >= GZIP_MIN_BYTES
                   and "gzip" in (self.headers.get("Accept-Encoding") or ""))
        if gzipped:
            body = gzip.compress(body, mtime=0)
        self.send_response(response.status)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _reset_connection(self):
        """Abort with a TCP RST: linger 0, then really close (rfile holds a reference)."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()
        self.connection.close()
        self.close_connection = True

    def log_message(self, format, *args):
        if self.server.booklore.echo_requests:
            super().log_message(format, *args)


class BookLoreHTTPServer(ThreadingHTTPServer):
    """Daemon handler threads, never joined on close, so a stalled request cannot
    hold up ``stop()``; open connections are tracked so ``stop()`` can cut them."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address, booklore):
        self.booklore = booklore
        self._connections = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, BookLoreRequestHandler)

    def process_request(self, request, client_address):
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self):
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address):
        """Clients that hang up mid-answer are normal here; anything else is printed."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)
