"""The bench's tools server in a process of its own, as a real server is.

    python -m tools.bench_server BOOKS

prints the server's URL, then answers one command per line on stdin: `reset` (drop what
clients stored, answered `ok`); end of input stops it. In the bench's own process the
server would share the interpreter lock with the client, so every bit of client work
the server could have run beside would count twice.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tools.bench_setup import start_server

REPO = Path(__file__).resolve().parent.parent


class ServerProcess:
    """A handle like BookLoreServer's, for the parts the bench uses."""

    def __init__(self, books: int):
        self._child = subprocess.Popen(
            [sys.executable, "-m", "tools.bench_server", str(books)], cwd=REPO,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.url = self._child.stdout.readline().strip()
        if not self.url.startswith("http"):
            raise RuntimeError(f"the bench server did not start: {self.url!r}")

    def reset_state(self) -> None:
        self._child.stdin.write("reset\n")
        self._child.stdin.flush()
        assert self._child.stdout.readline().strip() == "ok"

    def stop(self) -> None:
        self._child.stdin.close()
        self._child.wait(timeout=10)


def main(books: int) -> None:
    server = start_server(books)
    print(server.url, flush=True)
    try:
        for line in sys.stdin:
            if line.strip() == "reset":
                server.reset_state()
                print("ok", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]))
