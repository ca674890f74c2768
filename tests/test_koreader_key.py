"""The KOReader password is never kept, only its MD5 key (the `x-auth-key` the server is
sent): typed into the settings, taken over from an older database by a migration, or left
in the backups beside it. Test Connection and `config get` keep working; no file in the
settings folder holds the password's bytes afterwards."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest

from python_core.cli import main
from python_core.facade import BookLoreSync
from python_core.store import DB_FILENAME, schema
from tests.plugin_support import KOREADER

PASSWORD = "correct horse 012345 ✓"
KEY = hashlib.md5(PASSWORD.encode("utf-8")).hexdigest()
BEFORE = schema.LATEST_VERSION - 1  # the schema before the password became a key


def files_holding(folder, secret: str) -> list[str]:
    needle = secret.encode("utf-8")
    return sorted(p.name for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes())


def old_database(folder, password: str = PASSWORD, server_url: str = "http://127.0.0.1:9"):
    """A database as the version before kept it: the password in plain text, typed."""
    folder.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(folder / DB_FILENAME, isolation_level=None)
    schema.build_to(conn, BEFORE)
    for key, value in (("server_url", server_url), ("username", KOREADER[0]),
                       ("password", password)):
        conn.execute("INSERT INTO settings (key, type, value) VALUES (?, 'str', ?)",
                     (key, value))
    conn.close()


def test_the_migration_keeps_only_the_key_everywhere_in_the_folder(tmp_path, capsys):
    folder = tmp_path / "settings"
    old_database(folder)
    (folder / f"{DB_FILENAME}.bkp.v2").write_bytes((folder / DB_FILENAME).read_bytes())
    assert files_holding(folder, PASSWORD) == [DB_FILENAME, f"{DB_FILENAME}.bkp.v2"]
    with BookLoreSync(folder) as core:
        values = core.settings()
        assert values["koreader_key"] == KEY and values["password"] == ""
        assert core.make_client(values)._credentials.koreader_key == KEY
        rows = core.db.connection().execute("SELECT key FROM settings").fetchall()
        assert "password" not in {row[0] for row in rows}
    # the backup written before the migration, and the older one, lost the password too
    assert (folder / f"{DB_FILENAME}.bkp.v{BEFORE}").exists()
    assert files_holding(folder, PASSWORD) == []
    for backup in folder.glob("*.bkp.v*"):
        with sqlite3.connect(backup) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("SELECT count(*) FROM settings WHERE key = 'password'"
                                ).fetchone()[0] == 0
        conn.close()
    code, out, _ = run(capsys, folder, "--json", "config", "get")
    shown = json.loads(out)["settings"]
    assert code == 0 and shown["password"] == "(set)" and "koreader_key" not in shown
    assert KEY not in out and PASSWORD not in out


def test_test_connection_works_after_the_migration(tmp_path, server):
    folder = tmp_path / "settings"
    old_database(folder, password=KOREADER[1], server_url=server.url)
    with BookLoreSync(folder) as core:
        checked = core.test_connection()
    assert checked["ok"] and "KOReader account: OK" in checked["text"]
    assert files_holding(folder, KOREADER[1]) == []


def test_a_typed_password_is_never_written_to_disk(tmp_path, capsys):
    folder = tmp_path / "settings"
    assert run(capsys, folder, "config", "set", "password", PASSWORD)[0] == 0
    assert run(capsys, folder, "config", "get", "password")[1] == "password = (set)\n"
    assert files_holding(folder, PASSWORD) == []
    with BookLoreSync(folder) as core:
        assert core.settings()["koreader_key"] == KEY
        assert core.set_setting("password", "")["ok"]  # cleared: no key left either
        assert core.settings()["koreader_key"] == ""
        assert core.get_settings()["settings"]["password"] == "(not set)"


@pytest.mark.parametrize("key", ["koreader_key"])
def test_the_key_is_not_a_setting_a_person_sets(tmp_path, capsys, key):
    with BookLoreSync(tmp_path / "s") as core:
        refused = core.set_setting(key, KEY)
    assert not refused["ok"] and "Unknown setting" in refused["message"]
    with pytest.raises(SystemExit):
        main(["--settings-dir", str(tmp_path / "s"), "config", "set", key, KEY])


def run(capsys, folder, *argv: str) -> tuple[int, str, str]:
    code = main(["--settings-dir", str(folder), *argv])
    out, err = capsys.readouterr()
    return code, out, err
