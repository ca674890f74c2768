"""Shared set-up for the tests that drive the real plugin through `bridge.HeadlessHost`."""

from __future__ import annotations

from pathlib import Path

from python_core.facade import BookLoreSync
from tools.booklore_server import BookLoreServer

KOREADER = ("reader-ko", "012345")
BOOKLORE = ("reader", "secret-pass")
MANAGE = ("BookLore Sync", "Settings", "Manage Sessions")


def start_server(library, known: int = 4, flavour: str = "fork") -> tuple[BookLoreServer, list]:
    """The tools server with the account and the first `known` sample books."""
    server = BookLoreServer(flavour=flavour).start()
    server.add_user(*BOOKLORE, koreader=KOREADER)
    ids = [server.add_book(b.title, b.authors, file_hash=b.file_hash, isbn13=b.isbn13,
                           file_name=Path(b.path).name) for b in library[:known]]
    return server, ids


def configure(settings_dir, server_url: str, booklore: bool = True, **extra) -> None:
    """Write the settings the way the plugin's own menu would, before the host starts."""
    core = BookLoreSync(settings_dir)
    values = {"server_url": server_url, "username": KOREADER[0], "password": KOREADER[1]}
    if booklore:
        values.update(booklore_username=BOOKLORE[0], booklore_password=BOOKLORE[1])
    values.update(extra)
    for key, value in values.items():
        assert core.set_setting(key, value)["ok"], key
    core.close()


def turn_pages(host, pages: int, seconds_per_page: float = 30) -> None:
    """Read `pages` pages of the open book at a steady pace (the book stays open)."""
    for _ in range(pages):
        host.advance(seconds_per_page)
        host.turn_page()


def read_book(host, book, pages: int = 10, seconds_per_page: int = 30, **open_args) -> None:
    """Open, read `pages` pages at a steady pace, close."""
    host.open_book(book.path, title=book.title, authors="\n".join(book.authors), **open_args)
    turn_pages(host, pages, seconds_per_page)
    host.close_book()


def labels(host, *path) -> dict[str, bool]:
    """{label: enabled} of the entries under `path`."""
    return {child["text"]: child["enabled"] for child in host.menu(*path)["children"]}


def queue_items(settings_dir, book_hash: str, ratings: int = 0, annotations: int = 0) -> None:
    """Put ratings/annotations in their queues directly (their capture is another feature)."""
    core = BookLoreSync(settings_dir)
    with core.db.atomic() as tx:
        for n in range(ratings):
            tx.execute("INSERT INTO pending_ratings (book_hash, rating, created_at, updated_at) "
                       "VALUES (?, ?, 'x', 'x')", (f"{n:032x}" if n else book_hash, 8))
        for n in range(annotations):
            tx.execute("INSERT INTO pending_annotations (book_hash, kind, created, text, "
                       "created_at, updated_at) VALUES (?, 'highlight', ?, 'text', 'x', 'x')",
                       (book_hash, f"2026-01-01 10:00:{n:02d}"))
    core.close()
