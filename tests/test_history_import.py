"""`booklore-sync import`: KOReader's statistics and sidecars into the queue, on a mounted
Kobo built from KOReader's real formats (tests/koreader_fixtures.py), then `sync`."""

import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from python_core.books.fingerprint import partial_md5
from python_core.facade import BookLoreSync
from tests import koreader_fixtures as ko
from tests.plugin_support import configure, start_server
from tests.small_epub import PASSAGES, write_small_epub

T0 = 1767261600  # 2026-01-01T10:00:00Z
DAY = 86400


class Kobo:
    """A Kobo's storage as a computer sees it: books, KOReader's home and statistics."""

    def __init__(self, root: Path):
        self.root = root
        self.home = root / ".adds" / "koreader"
        self.settings = self.home / "settings"
        self.settings.mkdir(parents=True)
        self.statistics = self.settings / "statistics.sqlite3"

    def book(self, relative: str, marker: str) -> tuple[Path, str]:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        write_small_epub(path)
        with zipfile.ZipFile(path, "a") as archive:  # a different file, a different fingerprint
            archive.writestr("OEBPS/marker.txt", marker * 2000)
        return path, partial_md5(path)


def highlight(name: str, when: str, note=None) -> dict:
    pos0, pos1, text, _ = PASSAGES[name]
    entry = {"datetime": when, "drawer": "lighten", "color": "yellow", "text": text,
             "pos0": pos0, "pos1": pos1, "page": pos0, "chapter": "Chapter", "pageno": 3}
    return {**entry, "note": note} if note else entry


@pytest.fixture
def kobo(tmp_path):
    """Three books, one sidecar in each of KOReader's places, two weeks of reading."""
    device = Kobo(tmp_path / "KOBOeReader")
    beside, device.beside = device.book("Books/Beside.epub", "a")
    moved, device.docsettings = device.book("Books/Moved/Docsettings Book.epub", "b")
    _, device.hashed = device.book("Books/Hashed.epub", "c")
    ko.write_sidecar(beside.with_suffix(".sdr"), "epub", {
        "partial_md5_checksum": device.beside, "doc_path": "/mnt/onboard/Books/Beside.epub",
        "summary": {"rating": 4, "status": "reading"}, "percent_finished": 0.3,
        "annotations": [highlight("clocks", "2026-01-01 10:05:00"),
                        highlight("ishmael", "2026-01-01 10:09:00", note="whale\nnote")]},
        "/mnt/onboard/Books/Beside.epub")
    ko.write_sidecar(device.home / "docsettings/mnt/onboard/Books/Docsettings Book.sdr", "epub",
                     {"partial_md5_checksum": device.docsettings,
                      "doc_path": "/mnt/onboard/Books/Docsettings Book.epub",
                      "summary": {"rating": 5},
                      "annotations": [highlight("gamma", "2026-01-02 21:00:00")]},
                     "/mnt/onboard/Books/Docsettings Book.epub")
    ko.write_sidecar(device.home / f"hashdocsettings/{device.hashed[:2]}/{device.hashed}.sdr",
                     "epub", {"doc_path": "/mnt/onboard/Books/Hashed.epub",
                              "summary": {"rating": 2}}, "/mnt/onboard/Books/Hashed.epub")
    conn = ko.statistics_db(device.statistics, wal=False)
    one = ko.add_book(conn, "Beside", device.beside)
    two = ko.add_book(conn, "Docsettings Book\0", device.docsettings)
    ko.add_book(conn, "Hashed", device.hashed)
    old = ko.add_book(conn, "Migrated long ago", None)
    for day in range(3):
        ko.read(conn, one, T0 + day * DAY, list(range(1 + 20 * day, 21 + 20 * day)))
        ko.read(conn, two, T0 + day * DAY + 7200, [5, 6, 7, 8, 9, 10], seconds=120)
    ko.read(conn, old, T0, [1, 2, 3, 4])
    conn.commit()
    conn.close()
    return device


def run(device, *args, settings_dir=None):
    command = [sys.executable, "-m", "python_core.cli", "--settings-dir",
               str(settings_dir or device.settings), "import", "--books", str(device.root), *args]
    return subprocess.run(command, capture_output=True, text=True, env={**os.environ,
                                                                        "COLUMNS": "200"})


def stored(settings_dir, sql):
    with BookLoreSync(settings_dir) as core:
        return [tuple(row) for row in core.db.connection().execute(sql)]


def test_sittings_become_sessions_in_utc_with_reading_time_and_progress(kobo):
    with BookLoreSync(kobo.settings) as core:
        report = core.import_history(books=[str(kobo.root)])
    assert report["ok"] and report["totals"]["sessions"] == 6
    rows = stored(kobo.settings, "SELECT title, start_time, end_time, duration_seconds, "
                                 "start_progress, end_progress, start_location, end_location, "
                                 "pages_read, book_type FROM pending_sessions ORDER BY start_time")
    assert rows[0] == ("Beside", "2026-01-01T10:00:00Z", "2026-01-01T10:20:00Z", 1200, 0.0,
                       100 * 20 / 300, "1", "20", 19, "EPUB")
    assert rows[1][:4] == ("Docsettings Book", "2026-01-01T12:00:00Z", "2026-01-01T12:12:00Z",
                           720)
    assert report["books_without_fingerprint"] == 1


def test_ratings_and_highlights_come_from_sidecars_in_all_three_places(kobo):
    with BookLoreSync(kobo.settings) as core:
        core.import_history(books=[str(kobo.root)])
    ratings = dict(stored(kobo.settings, "SELECT book_hash, rating FROM pending_ratings"))
    assert ratings == {kobo.beside: 8, kobo.docsettings: 10, kobo.hashed: 4}
    notes = stored(kobo.settings, "SELECT book_hash, kind, note, cfi, color FROM "
                                  "pending_annotations ORDER BY created")
    assert notes == [
        (kobo.beside, "highlight", None, PASSAGES["clocks"][3], "#FFFF33"),
        (kobo.beside, "note", "whale\nnote", PASSAGES["ishmael"][3], "#FFFF33"),
        # found by its name after moving to Books/Moved/, checked by its fingerprint
        (kobo.docsettings, "highlight", None, PASSAGES["gamma"][3], "#FFFF33")]


def test_a_second_import_adds_nothing_and_one_after_more_reading_adds_only_that(kobo):
    first = run(kobo)
    again = run(kobo, "--json")
    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    assert "Imported 6 reading sessions" in first.stdout
    assert '"sessions": 0' in again.stdout and '"visits_already_known": 78' in again.stdout
    with sqlite3.connect(kobo.statistics) as conn:
        ko.read(conn, 1, T0 + 5 * DAY, list(range(61, 71)))
    conn.close()
    more = run(kobo)
    assert "Imported 1 reading session (10m 00s)" in more.stdout
    assert stored(kobo.settings, "SELECT count(*) FROM pending_sessions") == [(7,)]


def test_reading_the_plugin_recorded_live_is_not_imported_again(kobo):
    with BookLoreSync(kobo.settings) as core:
        core.record_session({"book_hash": kobo.beside, "start_time": T0 + DAY - 60,
                             "end_time": T0 + DAY + 600, "pages_read": 10, "title": "Beside"})
        report = core.import_history(books=[str(kobo.root)])
    starts = stored(kobo.settings, "SELECT start_time FROM pending_sessions "
                                   f"WHERE book_hash = '{kobo.beside}' ORDER BY start_time")
    # day 2's sitting, pages 21-40: the live session covered the first 10 minutes of it
    assert starts == [("2026-01-01T10:00:00Z",), ("2026-01-02T09:59:00Z",),
                      ("2026-01-02T10:10:00Z",), ("2026-01-03T10:00:00Z",)]
    assert report["visits_already_known"] == 10


def test_dry_run_changes_nothing_and_prints_the_same_counts(kobo):
    before = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in kobo.root.rglob("*")
              if p.is_file()}
    dry = run(kobo, "--dry-run")
    after = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in kobo.root.rglob("*")
             if p.is_file()}
    assert dry.returncode == 0 and before == after
    real = run(kobo)
    assert dry.stdout.replace("Would import", "Imported").replace("\nRun sync", "") == \
        real.stdout.replace("\nRun sync to upload them.", "")
    assert "  Beside: 3 sessions (1h 00m), 1 rating, 2 highlights or notes" in dry.stdout


def test_the_statistics_file_with_its_wal_is_read_and_never_changed(kobo, tmp_path):
    source = tmp_path / "live.sqlite3"
    conn = ko.statistics_db(source, wal=True)
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    book = ko.add_book(conn, "Beside", kobo.beside)
    ko.read(conn, book, T0 + 9 * DAY, list(range(1, 11)))
    os.remove(kobo.statistics)
    ko.copy_with_wal(conn, source, kobo.statistics)  # the rows are only in the -wal
    conn.close()
    files = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in kobo.settings.iterdir()}
    with BookLoreSync(tmp_path / "elsewhere") as core:
        report = core.import_history(statistics=str(kobo.statistics))
    assert report["totals"]["sessions"] == 1
    assert {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in kobo.settings.iterdir()} \
        == files
    assert sorted(files) == ["statistics.sqlite3", "statistics.sqlite3-wal"]


def test_a_statistics_file_in_the_middle_of_a_write_is_read_as_of_its_last_commit(kobo):
    writer = sqlite3.connect(kobo.statistics)
    writer.execute("PRAGMA cache_size = 1")
    writer.execute("BEGIN EXCLUSIVE")
    writer.executemany("INSERT INTO page_stat_data VALUES (1, ?, ?, 60, 300)",
                       [(page, T0 + 40 * DAY + page * 60) for page in range(1, 400)])
    try:
        with BookLoreSync(kobo.settings) as core:
            report = core.import_history(books=[str(kobo.root)])
    finally:
        writer.rollback()
        writer.close()
    assert report["ok"] and report["totals"]["sessions"] == 6


@pytest.mark.parametrize("content, words", [
    (b"this is not a database" * 200, "cannot be read as a KOReader statistics database"),
    (None, "written by a newer KOReader")])
def test_a_statistics_file_we_cannot_use_is_one_sentence_and_nothing_is_imported(
        kobo, content, words):
    if content is None:
        with sqlite3.connect(kobo.statistics) as conn:
            conn.execute("PRAGMA user_version = 20990101")
        conn.close()
    else:
        kobo.statistics.write_bytes(content)
    done = run(kobo)
    assert done.returncode == 1 and words in done.stderr and done.stderr.count("\n") == 1
    assert stored(kobo.settings, "SELECT count(*) FROM pending_sessions") == [(0,)]


def test_a_missing_statistics_file_says_where_it_looked(kobo):
    os.remove(kobo.statistics)
    done = run(kobo)
    assert done.returncode == 1 and str(kobo.statistics) in done.stderr


def test_hostile_or_broken_sidecars_are_reported_and_the_rest_is_imported(kobo):
    broken = kobo.root / "Books"
    (broken / "Calls.sdr").mkdir()
    (broken / "Calls.sdr" / "metadata.epub.lua").write_text(
        'return { summary = os.execute("touch /tmp/pwned") }')
    (broken / "Text.sdr").mkdir()
    (broken / "Text.sdr" / "metadata.epub.lua").write_text('return "just words"')
    (broken / "Huge.sdr").mkdir()
    (broken / "Huge.sdr" / "metadata.pdf.lua").write_bytes(b"return {" + b" " * (9 << 20) + b"}")
    with BookLoreSync(kobo.settings) as core:
        report = core.import_history(books=[str(kobo.root)])
    reasons = "\n".join(report["unreadable_sidecars"])
    assert "Calls.sdr" in reasons and "unexpected text" in reasons
    assert not Path("/tmp/pwned").exists()
    assert "Text.sdr" in reasons and "does not hold a table" in reasons
    assert "Huge.sdr" in reasons and "larger than 8 MiB" in reasons
    assert report["totals"] == {"sessions": 6, "seconds": 3 * 1200 + 3 * 720,
                                "ratings": 3, "annotations": 3}


def test_import_then_sync_uploads_everything_once_and_nothing_when_run_again(kobo, library):
    server, _ = start_server(library, known=0)
    try:
        for title, md5 in (("Beside", kobo.beside), ("Docsettings Book", kobo.docsettings),
                           ("Hashed", kobo.hashed)):
            server.add_book(title, file_hash=md5)
        configure(kobo.settings, server.url)
        first = run(kobo)
        sync = subprocess.run([sys.executable, "-m", "python_core.cli", "--settings-dir",
                               str(kobo.settings), "sync"], capture_output=True, text=True)
        uploaded = len(server.sessions)
        again = run(kobo, "--json")
        assert (first.returncode, sync.returncode, again.returncode) == (0, 0, 0), sync.stdout
        assert uploaded == 6 and len(server.ratings) == 3 and len(server.annotations) == 2
        assert '"sessions": 0' in again.stdout
    finally:
        server.stop()


def test_sittings_another_device_uploaded_are_read_back_and_skipped(kobo, library):
    server, _ = start_server(library, known=0)
    try:
        book = server.add_book("Beside", file_hash=kobo.beside)
        configure(kobo.settings, server.url)
        user = server.state.user_named("reader")
        server.state.insert("sessions", {  # the phone uploaded day 2 itself
            "userId": user.id, "bookId": book, "bookType": "EPUB",
            "startTime": "2026-01-02T10:00:00Z", "endTime": "2026-01-02T10:20:00Z",
            "durationSeconds": 1200, "startProgress": 6.67, "endProgress": 13.33,
            "progressDelta": 6.66, "startLocation": "21", "endLocation": "40",
            "createdAt": "2026-01-02T10:21:00"})
        with BookLoreSync(kobo.settings) as core:
            report = core.import_history(books=[str(kobo.root)])
        reads = [path for method, path, _ in server.request_log if method == "GET"]
    finally:
        server.stop()
    beside = [b for b in report["books"] if b["book_hash"] == kobo.beside][0]
    assert beside["sessions"] == 2 and beside["known"] == 20
    assert f"/api/v1/reading-sessions/book/{book}" in reads
    assert report["books_not_checked_on_server"] == 1  # the server does not have the other


def test_an_unreachable_server_stops_the_import_with_try_later(kobo):
    configure(kobo.settings, "http://127.0.0.1:9")
    done = run(kobo)
    assert done.returncode == 3 and "try again when the server can be reached" in done.stderr
    assert stored(kobo.settings, "SELECT count(*) FROM pending_sessions") == [(0,)]


def test_rows_with_null_or_text_where_numbers_belong_are_left_out(kobo):
    with sqlite3.connect(kobo.statistics) as conn:
        conn.execute("INSERT INTO page_stat_data VALUES (1, 99, 'yesterday', 60, 300)")
        conn.execute("INSERT INTO page_stat_data VALUES (1, 4, ?, 'long', 300)", (T0 + 7 * DAY,))
        conn.execute("INSERT INTO page_stat_data VALUES (NULL, 3, ?, 60, 300)", (T0 + 7 * DAY,))
    conn.close()
    done = run(kobo)
    assert done.returncode == 0 and "Imported 6 reading sessions" in done.stdout
    assert done.stderr == ""  # no progress bar when stderr is not a terminal


def test_the_import_tells_its_page_visits_through_the_one_progress_mechanism(kobo):
    """The CLI's bar and the plugin's message hear the same steps (python_core/progress)."""
    told = []
    with BookLoreSync(kobo.settings) as core:
        core.import_history(books=[str(kobo.root)], progress=told.append)
        assert core.work_progress() == {"ok": True, "active": False}
    assert {(step.job, step.stage) for step in told} == {("import", "Importing page visits")}
    assert [step.done for step in told] == sorted(step.done for step in told)
    assert told[-1].done == told[-1].total == 3 * 20 + 3 * 6 + 4
