"""`booklore-sync demo`: a week of offline reading through the real plugin, then Wi-Fi.

Starts the bundled BookLore-compatible server on loopback with the sample library, runs
the real `main.lua` in the headless KOReader host with the real core, sets the plugin up
through its own menus, reads books for a week with Wi-Fi off (sessions are queued, nothing
is sent; Sync Now offline gets KOReader's Wi-Fi prompt), shows Manage Sessions, turns
Wi-Fi on (the waiting sync runs by itself), then taps Sync Now, and prints what a reader would have seen and what reached the server.
Everything lives in a temporary folder that is removed afterwards.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from bridge import HeadlessHost
from tools.booklore_server import BookLoreServer, make_sample_library

DAY = 86400
ACCOUNT = {"booklore": ("reader", "reading-is-fun"), "koreader": ("reader-ko", "012345")}
SETTINGS_MENU = ("BookLore Sync", "Settings")
MANAGE = (*SETTINGS_MENU, "Manage Sessions")


def command(argv: list[str]) -> int:
    """`booklore-sync demo [--keep]`, registered as an entry point in pyproject.toml."""
    parser = argparse.ArgumentParser(prog="booklore-sync demo", description=__doc__.split("\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the demo's folder")
    return run_demo(keep=parser.parse_args(argv).keep)


def run_demo(keep: bool = False) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="booklore-demo-"))
    try:
        with BookLoreServer(flavour="fork") as server:
            books = make_sample_library(workdir / "books")
            server.add_user(*ACCOUNT["booklore"], koreader=ACCOUNT["koreader"])
            for book in books[:-1]:  # the last book is not in the BookLore library
                server.add_book(book.title, book.authors, file_hash=book.file_hash,
                                isbn13=book.isbn13, file_name=Path(book.path).name)
            with HeadlessHost(workdir / "settings", online=False) as host:
                return Story(host, server, books).run()
    finally:
        if keep:
            print(f"\nDemo folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


class Story:
    def __init__(self, host: HeadlessHost, server: BookLoreServer, books):
        self.host, self.server, self.books = host, server, books
        self.toasts_seen = 0

    def run(self) -> int:
        _say(f"Local BookLore server at {self.server.url}, "
             f"{len(self.books) - 1} of the {len(self.books)} sample books in its library")
        self.set_up()
        _say("A week without Wi-Fi: each evening a book is read, then closed")
        for day in range(7):
            self.read_evening(day)
        self.show_manage_sessions()
        _say("Tools → BookLore Sync → Sync Now, still offline: KOReader offers Wi-Fi")
        self.host.tap_menu("BookLore Sync", "Sync Now")
        print(f"  [dialog] {self.host.screen()[-1]['text']} → Cancel")
        self.host.tap_button("Cancel")
        self.host.run_until_idle()
        self.print_new_toasts(none="  (nothing sent; the queue stays)")
        _say("Wi-Fi is back: the waiting sync runs by itself, silently")
        self.host.set_online(True)
        self.host.run_until_idle(timeout=60)
        self.print_new_toasts(none="  (no message: automatic syncs are silent)")
        self.show_manage_sessions()
        _say("Tools → BookLore Sync → Sync Now")
        self.host.tap_menu("BookLore Sync", "Sync Now")
        self.host.run_until_idle(timeout=60)
        self.print_new_toasts()
        return self.show_server()

    def set_up(self) -> None:
        _say("Settings → Server and accounts, typed in the plugin's own dialogs")
        host = self.host
        host.tap_menu(*SETTINGS_MENU, "Server and accounts", "Server")
        host.type_text(self.server.url)
        host.tap_button("Save")
        for entry, (user, password) in (("KOReader account", ACCOUNT["koreader"]),
                                        ("BookLore account", ACCOUNT["booklore"])):
            host.tap_menu(*SETTINGS_MENU, "Server and accounts", entry)
            host.type_text(user, field=0)
            host.type_text(password, field=1)
            host.tap_button("Save")
        for label in _labels(host, *SETTINGS_MENU, "Server and accounts"):
            print(f"  {label}")
        self.print_new_toasts(none="")

    def read_evening(self, day: int) -> None:
        book = self.books[day % len(self.books)]
        host = self.host
        host.advance(DAY - (host.now() % DAY) + 20 * 3600)  # 20:00 the next evening
        host.open_book(book.path, title=book.title, authors="\n".join(book.authors))
        pages = 12 + day
        for _ in range(pages):
            host.advance(120)
            host.turn_page()
        host.close_book()
        print(f"  day {day + 1}: {book.title[:28]:<28} {pages} pages in {pages * 2} min")
        self.print_new_toasts(none="")

    def show_manage_sessions(self) -> None:
        _say("Tools → BookLore Sync → Settings → Manage Sessions")
        for label in _labels(self.host, *MANAGE):
            print(f"  {label}")
        self.host.tap_menu(*MANAGE, "View Details")
        details = [w for w in self.host.screen() if w["type"] == "InfoMessage"][-1]
        print("  View Details:")
        print(_indent(details["text"], "    | "))
        self.host.dismiss()
        self.toasts_seen = len(self.host.toasts)

    def print_new_toasts(self, none: str = "  (no message)") -> None:
        toasts = self.host.toasts
        for text in toasts[self.toasts_seen:]:
            print(_indent(text, "  [toast] "))
        if len(toasts) == self.toasts_seen and none:
            print(none)
        self.toasts_seen = len(toasts)

    def show_server(self) -> int:
        _say("What the BookLore server now holds")
        for session in sorted(self.server.sessions, key=lambda s: s["startTime"]):
            print(f"  book {session['bookId']}: {session['startTime']} → {session['endTime']}"
                  f"  {session['durationFormatted']:>8}  {session['startProgress']:.2f}% → "
                  f"{session['endProgress']:.2f}%")
        expected = sum(1 for day in range(7) if day % len(self.books) != len(self.books) - 1)
        return 0 if len(self.server.sessions) == expected else 1


def _labels(host: HeadlessHost, *path: str) -> list[str]:
    return [child["text"] + ("" if child["enabled"] else "   (greyed out)")
            for child in host.menu(*path)["children"]]


def _say(text: str) -> None:
    print(f"\n== {text}")


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(f"{prefix}{line}" for line in text.splitlines())
