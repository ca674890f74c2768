"""`booklore-sync` over the same database the plugin uses."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from python_core.cli import main
from python_core.facade import BookLoreSync

T0 = 1_767_225_600


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def settings_dir(tmp_path):
    core = BookLoreSync(tmp_path)
    core.record_session({"book_hash": "c" * 32, "start_time": T0, "end_time": T0 + 600,
                         "pages_read": 4})
    core.close()
    return str(tmp_path)


def test_config_set_and_get_keep_types_and_mask_passwords(capsys, tmp_path):
    d = str(tmp_path)
    assert run(capsys, "--settings-dir", d, "config", "set", "password", "012345")[0] == 0
    assert run(capsys, "--settings-dir", d, "config", "set", "min_duration", "60")[0] == 0
    code, out, _ = run(capsys, "--settings-dir", d, "--json", "config", "get")
    values = json.loads(out)["settings"]
    assert values["password"] == "(set)" and values["min_duration"] == 60
    assert "012345" not in out
    core = BookLoreSync(d)
    assert core.settings()["password"] == "012345"
    core.close()


def test_config_set_reads_a_secret_from_stdin(capsys, tmp_path, monkeypatch):
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret pass\n"))
    assert run(capsys, "--settings-dir", str(tmp_path), "config", "set",
               "booklore_password", "-")[0] == 0
    core = BookLoreSync(tmp_path)
    assert core.settings()["booklore_password"] == "s3cret pass"
    core.close()


def test_bad_setting_exits_non_zero_with_a_message(capsys, tmp_path):
    code, out, _ = run(capsys, "--settings-dir", str(tmp_path), "config", "set", "server_url",
                       "nohttp.example")
    assert code == 1 and out.startswith("Error: Server URL 'nohttp.example' is not valid")


def test_status_text_and_json(capsys, settings_dir):
    code, out, _ = run(capsys, "--settings-dir", settings_dir, "status")
    assert code == 0 and "Pending uploads" in out and "Sessions: 1" in out
    code, out, _ = run(capsys, "--settings-dir", settings_dir, "--json", "status")
    assert json.loads(out)["pending"] == {"sessions": 1, "annotations": 0, "ratings": 0}


def test_sync_without_configuration_fails_and_keeps_the_queue(capsys, settings_dir):
    code, out, _ = run(capsys, "--settings-dir", settings_dir, "sync")
    assert code == 1 and "server URL" in out
    assert json.loads(run(capsys, "--settings-dir", settings_dir, "--json",
                          "status")[1])["pending"]["sessions"] == 1


def test_clear_pending_and_clear_cache(capsys, settings_dir):
    code, out, _ = run(capsys, "--settings-dir", settings_dir, "clear-pending", "sessions")
    assert code == 0 and out.strip() == "Cleared 1 pending sessions"
    code, out, _ = run(capsys, "--settings-dir", settings_dir, "clear-cache")
    assert code == 0 and out.strip() == "Local book cache cleared"


def test_missing_settings_dir_is_a_usage_error(capsys, monkeypatch):
    monkeypatch.delenv("BOOKLORE_SYNC_SETTINGS_DIR", raising=False)
    code, _, err = run(capsys, "status")
    assert code == 2 and "--settings-dir" in err


SCRIPT = shutil.which("booklore-sync", path=str(Path(sys.executable).parent))


@pytest.mark.skipif(SCRIPT is None, reason="package not installed (pip install -e .)")
def test_console_script_is_installed(settings_dir):
    done = subprocess.run([SCRIPT, "--settings-dir", settings_dir, "status"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "Sessions: 1" in done.stdout
