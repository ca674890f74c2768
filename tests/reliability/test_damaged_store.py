"""A damaged or unusable database or settings folder, met by the command line as people
type it: one sentence on stderr naming the file and what to do, a non-zero exit (4: needs
you; 3: try later), no traceback without -v, and the damaged file never changed. Then
`booklore-sync doctor`: the check changes nothing; the repair keeps the damaged bytes
under a dated name and puts back every row that can still be read, checked against an
oracle that reads the damaged file row by row on its own.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading

import pytest

from python_core.cli import main
from python_core.facade import BookLoreSync
from python_core.store import DB_FILENAME
from tests.reliability.damage import (
    FILE_DAMAGE,
    MID_FILE_DAMAGE,
    SESSIONS,
    digest,
    fingerprint,
    populated,
    running_as_root,
    session,
    write_damaged,
)

COMMANDS = (["status"], ["sync"], ["config", "get"], ["clear-cache"], ["status", "--json"])


@pytest.fixture(scope="module")
def healthy(tmp_path_factory) -> bytes:
    return populated(tmp_path_factory.mktemp("healthy"))


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_sentence(err: str, *words: str) -> None:
    assert err.count("\n") == 1 and err.startswith("booklore-sync: "), err
    assert "Traceback" not in err and "Internal error" not in err
    assert all(word in err for word in words), err


@pytest.mark.parametrize("damage", list(FILE_DAMAGE))
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_damaged_file_is_one_sentence_and_left_untouched(tmp_path, capsys, healthy, damage,
                                                           command):
    folder = tmp_path / "settings"
    write_damaged(folder, FILE_DAMAGE[damage](healthy))
    before = fingerprint(folder)
    code, out, err = run(capsys, "--settings-dir", str(folder), *command)
    assert code == 4 and out == ""
    assert_one_sentence(err, str(folder / DB_FILENAME))
    assert fingerprint(folder) == before


@pytest.mark.parametrize("damage", list(MID_FILE_DAMAGE))
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_damage_in_the_middle_is_found_before_anything_is_written(tmp_path, capsys, healthy,
                                                                  damage, command):
    folder = tmp_path / "settings"
    write_damaged(folder, MID_FILE_DAMAGE[damage](healthy))
    before = fingerprint(folder)
    code, out, err = run(capsys, "--settings-dir", str(folder), *command)
    assert code == 4 and out == ""
    assert_one_sentence(err, "is damaged", "booklore-sync doctor")
    assert fingerprint(folder) == before


@pytest.mark.parametrize("layout, words", [
    ("settings folder is a file", "is a file, not a folder"),
    ("settings folder under a file", "is a file, so"),
    ("database is a folder", "is a folder, not a database file"),
])
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_an_unusable_settings_folder_is_one_sentence(tmp_path, capsys, layout, words, command):
    if layout == "settings folder is a file":
        target = tmp_path / "settings"
        target.write_text("not a folder")
    elif layout == "settings folder under a file":
        (tmp_path / "settings").write_text("not a folder")
        target = tmp_path / "settings" / "koreader"
    else:
        target = tmp_path / "settings"
        (target / DB_FILENAME).mkdir(parents=True)
    before = fingerprint(tmp_path)
    code, out, err = run(capsys, "--settings-dir", str(target), *command)
    assert code == 4 and out == ""
    assert_one_sentence(err, words)
    assert fingerprint(tmp_path) == before


def test_with_v_the_store_problem_still_reads_as_a_sentence(tmp_path, healthy):
    folder = tmp_path / "settings"
    write_damaged(folder, MID_FILE_DAMAGE["pages overwritten in the middle"](healthy))
    done = subprocess.run([sys.executable, "-m", "python_core.cli", "--settings-dir",
                           str(folder), "sync", "-v"], capture_output=True, text=True)
    assert done.returncode == 4 and "is damaged" in done.stderr
    assert "Traceback" not in done.stderr  # a store problem is not a crash


def test_a_database_locked_by_another_program_means_try_later(tmp_path, capsys, healthy):
    folder = tmp_path / "settings"
    write_damaged(folder, healthy)
    holder = sqlite3.connect(folder / DB_FILENAME, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code, out, err = run(capsys, "--settings-dir", str(folder), "clear-cache")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 3 and out == ""
    assert_one_sentence(err, "in use by another program", "try again")


def test_a_folder_the_core_creates_is_owner_only(tmp_path):
    old = os.umask(0)
    try:
        with BookLoreSync(tmp_path / "new" / "settings"):
            pass
    finally:
        os.umask(old)
    assert (tmp_path / "new" / "settings").stat().st_mode & 0o777 == 0o700
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    with BookLoreSync(shared):
        pass
    assert shared.stat().st_mode & 0o777 == 0o755  # a folder it did not create is left as is


@pytest.mark.skipif(running_as_root(), reason="root reads and writes any file")
def test_a_settings_folder_that_cannot_be_written_is_one_sentence(tmp_path, capsys):
    folder = tmp_path / "settings"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        code, out, err = run(capsys, "--settings-dir", str(folder), "status")
    finally:
        folder.chmod(0o700)
    assert code == 4 and out == ""
    assert_one_sentence(err, "permission denied")


# -- doctor ---------------------------------------------------------------------------


def readable_by_oracle(path, scratch) -> dict[int, tuple]:
    """Every pending session the damaged file still yields, read one id at a time through
    a plain read-only connection that shares no code with the salvage (a file cut short is
    first padded with zeros to the length its header says, as SQLite needs)."""
    data = path.read_bytes()
    pages, page_size = int.from_bytes(data[28:32], "big"), int.from_bytes(data[16:18], "big")
    copy = scratch / "oracle.sqlite"
    copy.write_bytes(data.ljust(pages * page_size, b"\0") if data[:6] == b"SQLite" else data)
    conn = sqlite3.connect(f"{copy.resolve().as_uri()}?immutable=1", uri=True)
    found = {}
    try:
        for row_id in range(1, SESSIONS + 1):
            try:
                row = conn.execute("SELECT book_hash, start_time, end_time, title FROM "
                                   "pending_sessions WHERE id = ?", (row_id,)).fetchone()
            except sqlite3.DatabaseError:
                continue
            if row is not None:
                found[row_id] = tuple(row)
    except sqlite3.DatabaseError:
        pass
    finally:
        conn.close()
    return found


def pending_rows(folder) -> dict[int, tuple]:
    with BookLoreSync(folder) as core:
        rows = core.db.connection().execute(
            "SELECT id, book_hash, start_time, end_time, title FROM pending_sessions")
        return {row[0]: tuple(row[1:]) for row in rows}


@pytest.mark.parametrize("damage", [*MID_FILE_DAMAGE, "truncated to half",
                                    "garbage after the header page"])
def test_doctor_saves_every_readable_row_and_keeps_the_damaged_bytes(tmp_path, capsys, healthy,
                                                                     damage):
    folder = tmp_path / "settings"
    damaged_bytes = {**FILE_DAMAGE, **MID_FILE_DAMAGE}[damage](healthy)
    path = write_damaged(folder, damaged_bytes)
    oracle = readable_by_oracle(path, tmp_path)
    if damage != "garbage after the header page":
        assert len(oracle) > SESSIONS // 4  # the oracle itself can read the damaged file
    before = fingerprint(folder)
    code, out, err = run(capsys, "--settings-dir", str(folder), "doctor", "--check")
    assert code == 4 and "is damaged" in out and "Nothing was changed" in out
    assert fingerprint(folder) == before

    code, out, err = run(capsys, "--settings-dir", str(folder), "doctor")
    assert code == 0 and err == "", err
    [kept] = [p for p in folder.iterdir() if p.name.startswith("booklore-sync.damaged-")]
    assert kept.read_bytes() == damaged_bytes  # byte for byte, beside the new file
    assert f"The damaged file is kept beside it as {kept.name}." in out
    saved = pending_rows(folder)
    assert {row_id: saved.get(row_id) for row_id in oracle} == oracle  # every readable row
    originals = {n + 1: session(n) for n in range(SESSIONS)}
    for row_id, (book_hash, _start, _end, title) in saved.items():  # nothing invented
        assert (book_hash, title) == (originals[row_id]["book_hash"],
                                      originals[row_id]["title"])
    if not saved:
        assert "Saved into a new database: nothing could be read" in out
        assert "not even its list of tables can be read" in out
    else:
        assert f"Saved into a new database: {len(saved)} reading session" in out
        assert ("Could not be saved: reading sessions waiting to upload" in out) == (
            len(saved) < SESSIONS)
    with BookLoreSync(folder) as core:  # the settings came back too; the file is sound
        assert core.get_settings()["settings"]["min_pages"] == (7 if saved else 5)
    code, out, _ = run(capsys, "--settings-dir", str(folder), "doctor")
    assert code == 0 and "is sound" in out


def test_doctor_on_a_file_with_nothing_readable_starts_afresh_and_keeps_it(tmp_path, capsys,
                                                                          healthy):
    folder = tmp_path / "settings"
    damaged_bytes = FILE_DAMAGE["random bytes, no header"](healthy)
    write_damaged(folder, damaged_bytes)
    code, out, _ = run(capsys, "--settings-dir", str(folder), "doctor")
    assert code == 0 and "nothing could be read" in out
    [kept] = [p for p in folder.iterdir() if p.name.startswith("booklore-sync.damaged-")]
    assert kept.read_bytes() == damaged_bytes
    code, out, _ = run(capsys, "--settings-dir", str(folder), "status")
    assert code == 0 and "Sessions: 0" in out


def test_doctor_on_a_sound_or_missing_database_changes_nothing(tmp_path, capsys, healthy):
    folder = tmp_path / "settings"
    folder.mkdir()
    code, out, _ = run(capsys, "--settings-dir", str(folder), "doctor")
    assert code == 0 and "no database yet" in out and list(folder.iterdir()) == []
    write_damaged(folder, healthy)
    before = digest(folder / DB_FILENAME)
    code, out, _ = run(capsys, "--settings-dir", str(folder), "doctor")
    assert code == 0 and "is sound (integrity check: ok)" in out
    assert digest(folder / DB_FILENAME) == before and len(list(folder.iterdir())) == 1


def test_doctor_refuses_a_newer_plugins_database(tmp_path, capsys, healthy):
    folder = tmp_path / "settings"
    path = write_damaged(folder, healthy)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 999")
    conn.close()
    before = fingerprint(folder)
    code, out, err = run(capsys, "--settings-dir", str(folder), "doctor")
    assert code == 4 and out == ""
    assert_one_sentence(err, "newer BookLore Sync", "update the plugin")
    assert fingerprint(folder) == before


def test_two_doctors_at_once_repair_once(tmp_path, healthy):
    folder = tmp_path / "settings"
    write_damaged(folder, MID_FILE_DAMAGE["pages overwritten in the middle"](healthy))
    from python_core.facade import check_database
    results = []
    workers = [threading.Thread(target=lambda: results.append(check_database(folder)))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert sorted(r["state"] for r in results) == ["healthy", "repaired"]
    assert len([p for p in folder.iterdir() if "damaged" in p.name]) == 1
