"""`booklore-sync demo`: a week of offline reading, then one sync, against a local server.

Starts the bundled BookLore-compatible server on loopback with the sample library, reads
books while the device is "offline" (sessions are queued, nothing is sent), shows the
queue the way Manage Sessions does, goes online, syncs, and prints what reached the
server. Everything lives in a temporary folder that is removed afterwards.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from python_core.facade import BookLoreSync
from tools.booklore_server import BookLoreServer, make_sample_library

DAY = 86400
WEEK_START = 1_767_225_600  # 2026-01-01T00:00:00Z
ACCOUNT = {"booklore": ("reader", "reading-is-fun"), "koreader": ("reader-ko", "012345")}


def run_demo(keep: bool = False) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="booklore-demo-"))
    try:
        with BookLoreServer(flavour="fork") as server:
            books = make_sample_library(workdir / "books")
            server.add_user(*ACCOUNT["booklore"], koreader=ACCOUNT["koreader"])
            for book in books[:-1]:  # the last book is not in the BookLore library
                server.add_book(book.title, book.authors, file_hash=book.file_hash,
                                isbn13=book.isbn13, file_name=Path(book.path).name)
            core = BookLoreSync(workdir / "settings")
            try:
                return _story(core, server, books)
            finally:
                core.close()
    finally:
        if keep:
            print(f"\nDemo folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _story(core: BookLoreSync, server: BookLoreServer, books) -> int:
    _say(f"Local BookLore server at {server.url} with {len(books) - 1} of the sample books")
    _configure(core, server.url)
    _say("A week without Wi-Fi: reading sessions are saved locally")
    for day in range(7):
        book = books[day % len(books)]
        start = WEEK_START + day * DAY + 20 * 3600
        core.record_book({"file_path": book.path, "title": book.title, "authors": book.authors})
        result = core.record_session({
            "file_path": book.path, "title": book.title, "start_time": start,
            "end_time": start + 1500 + day * 60, "pages_read": 12 + day,
            "start_progress": day * 7.5, "end_progress": day * 7.5 + 6.25,
            "start_location": str(10 + day * 20), "end_location": str(22 + day * 20)})
        print(f"  day {day + 1}: {book.title:<22} saved={result['saved']}")
    _show_queue(core)
    report = core.sync_pending(online=False, interactive=True)
    _say("Sync Now while offline")
    print(_indent(report["summary"]))
    _say("Wi-Fi is back: Sync Now")
    report = core.sync_pending(online=True, interactive=True)
    print(_indent(report["summary"]))
    print(f"  ({report['requests']} requests, {report['resolved_books']} books matched by hash)")
    _show_queue(core)
    _say("What the BookLore server now holds")
    for session in server.sessions:
        print(f"  book {session['bookId']}: {session['startTime']} → {session['endTime']}"
              f"  {session['durationFormatted']:>8}  {session['startProgress']:.2f}% → "
              f"{session['endProgress']:.2f}%")
    expected_waiting = sum(1 for day in range(7) if day % len(books) == len(books) - 1)
    return 0 if report["waiting"]["sessions"] == expected_waiting else 1


def _configure(core: BookLoreSync, url: str) -> None:
    user, password = ACCOUNT["koreader"]
    bl_user, bl_password = ACCOUNT["booklore"]
    for key, value in {"server_url": url, "username": user, "password": password,
                       "booklore_username": bl_user, "booklore_password": bl_password}.items():
        result = core.set_setting(key, value)
        if not result["ok"]:
            raise SystemExit(result["message"])


def _show_queue(core: BookLoreSync) -> None:
    counts = core.queue_counts()
    queued = f"({counts['sessions']}s, {counts['annotations']}a, {counts['ratings']}r)"
    any_queued = any(counts[k] for k in ("sessions", "annotations", "ratings"))
    _say("Tools → BookLore Sync → Settings → Manage Sessions")
    print(f"  Sync Pending Now {queued if any_queued else '(greyed out)'}")
    print(_indent(core.view_details()["text"]))


def _say(text: str) -> None:
    print(f"\n== {text}")


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())
