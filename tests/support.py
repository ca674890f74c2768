"""Small helpers shared by test servers of every kind (werkzeug handlers, raw sockets)."""

from __future__ import annotations

import socket
import struct


def rst_now(sock: socket.socket) -> None:
    """Abort the connection with a TCP reset (linger 0, then close) instead of answering:
    the client sees "connection reset", as after a server crash or a dropped NAT entry."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
