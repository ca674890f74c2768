"""`booklore-sync` over the same database the plugin uses."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from python_core.cli import build_parser, main
from python_core.cli.exits import ExitStatus
from python_core.facade import BookLoreSync
from python_core.server.credentials import md5_hex

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
    core = BookLoreSync(d)  # kept only as the KOReader key, of the text "012345"
    assert core.settings()["password"] == "" and core.settings()["koreader_key"] == md5_hex(
        "012345")
    core.close()


def test_config_set_reads_a_secret_from_stdin(capsys, tmp_path, monkeypatch):
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret pass\n"))
    assert run(capsys, "--settings-dir", str(tmp_path), "config", "set",
               "booklore_password", "-")[0] == 0
    core = BookLoreSync(tmp_path)
    assert core.settings()["booklore_password"] == "s3cret pass"
    core.close()


def test_bad_setting_exits_non_zero_with_a_message_on_stderr(capsys, tmp_path):
    code, out, err = run(capsys, "--settings-dir", str(tmp_path), "config", "set", "server_url",
                         "nohttp.example")
    assert code == 1 and out == ""
    assert err.startswith("booklore-sync: Server URL 'nohttp.example' is not valid")


def test_status_text_and_json(capsys, settings_dir):
    code, out, _ = run(capsys, "--settings-dir", settings_dir, "status")
    assert code == 0 and "Pending uploads" in out and "Sessions: 1" in out
    code, out, _ = run(capsys, "--settings-dir", settings_dir, "--json", "status")
    assert json.loads(out)["pending"] == {"sessions": 1, "annotations": 0, "ratings": 0}


def test_sync_without_configuration_needs_you_and_keeps_the_queue(capsys, settings_dir):
    code, out, _ = run(capsys, "--settings-dir", settings_dir, "sync")
    assert code == ExitStatus.NEEDS_YOU == 4 and "server URL" in out
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


@pytest.mark.parametrize("argv", [
    ("--settings-dir", "{d}", "--json", "status"),
    ("--settings-dir", "{d}", "status", "--json"),
    ("status", "--settings-dir", "{d}", "--json"),
    ("--json", "status", "--settings-dir", "{d}"),
])
def test_global_flags_work_before_and_after_the_command(capsys, settings_dir, argv):
    code, out, _ = run(capsys, *(a.format(d=settings_dir) for a in argv))
    assert code == 0 and json.loads(out)["pending"]["sessions"] == 1


def test_verbose_after_the_command_logs_to_stderr(capsys, settings_dir):
    code, out, err = run(capsys, "--settings-dir", settings_dir, "config", "set",
                         "server_url", "http://127.0.0.1:9", "-v")
    assert code == 0 and out.strip() == "server_url saved"
    code, out, err = run(capsys, "--settings-dir", settings_dir, "config", "set",
                         "username", "ko", "-v")
    done = subprocess.run([sys.executable, "-m", "python_core.cli", "sync", "-v",
                           "--settings-dir", settings_dir], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == ExitStatus.TRY_LATER == 3
    assert "Cannot reach 127.0.0.1:9" in done.stdout and "DEBUG" in done.stderr


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("booklore-sync 0.")


def test_a_dash_prompts_without_echo_on_a_terminal(capsys, tmp_path, monkeypatch):
    asked = []
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    monkeypatch.setattr("getpass.getpass", lambda prompt: asked.append(prompt) or "pa55 word")
    assert run(capsys, "--settings-dir", str(tmp_path), "config", "set", "password", "-")[0] == 0
    assert asked == ["password: "]
    with BookLoreSync(tmp_path) as core:
        assert core.settings()["koreader_key"] == md5_hex("pa55 word")


def test_a_password_on_the_command_line_is_taken_with_a_warning(capsys, tmp_path):
    code, out, err = run(capsys, "--settings-dir", str(tmp_path), "config", "set",
                         "booklore_password", "hunter22")
    assert code == 0 and "shell's history" in err and "hunter22" not in out + err


def test_an_unexpected_error_is_one_sentence_and_the_traceback_only_with_verbose(
        capsys, settings_dir, monkeypatch):
    def broken(self):
        raise ZeroDivisionError("boom")
    monkeypatch.setattr(BookLoreSync, "view_details", broken)
    code, out, err = run(capsys, "--settings-dir", settings_dir, "status")
    assert code == 1 and out == ""
    assert err.strip() == ("booklore-sync: internal error: ZeroDivisionError "
                           "(run again with -v for details)")
    code, out, err = run(capsys, "--settings-dir", settings_dir, "status", "-v")
    assert "Traceback" in err and "boom" in err


def test_ctrl_c_exits_130(capsys, settings_dir, monkeypatch):
    def interrupted(self, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(BookLoreSync, "sync_pending", interrupted)
    assert run(capsys, "--settings-dir", settings_dir, "sync")[0] == 130


def readme_command_lines():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for line in readme.splitlines():
        line = line.split("  #")[0].strip()
        if line.startswith("booklore-sync "):
            yield line


@pytest.mark.parametrize("line", list(readme_command_lines()))
def test_every_command_line_in_the_readme_parses(line):
    import shlex
    args = build_parser().parse_args(shlex.split(line)[1:])
    assert args.command


def test_the_readme_shows_command_lines():
    assert len(list(readme_command_lines())) >= 5


def test_test_connection_prints_what_the_server_offers_and_exits_by_outcome(capsys, tmp_path):
    from tools.booklore_server import BookLoreServer
    with BookLoreServer(flavour="upstream") as server:
        server.add_user("reader", "secret-pass", koreader=("ko", "kopass"))
        folder = str(tmp_path / "s")
        for key, value in (("server_url", server.url), ("username", "ko"), ("password", "kopass"),
                           ("booklore_username", "reader"), ("booklore_password", "secret-pass")):
            assert run(capsys, "--settings-dir", folder, "config", "set", key, value)[0] == 0
        code, out, err = run(capsys, "--settings-dir", folder, "test-connection")
        assert code == ExitStatus.OK and err == ""
        assert "Batch upload: not available (either account): uploads one session per " \
               "request" in out
        assert "Read-back of stored sessions: available (BookLore account): uploads are " \
               "exactly once" in out
        code, out, _err = run(capsys, "--settings-dir", folder, "--json", "test-connection")
        offers = json.loads(out)["offers"]
        assert offers["batch_sessions"]["available"] is False
        assert offers["library_listing"]["account"] == "BookLore account"
        run(capsys, "--settings-dir", folder, "config", "set", "booklore_password", "wrong")
        code, out, _err = run(capsys, "--settings-dir", folder, "test-connection")
        assert code == ExitStatus.NEEDS_YOU and "BookLore account: refused" in out
    code, out, _err = run(capsys, "--settings-dir", folder, "test-connection")
    assert code == ExitStatus.TRY_LATER and out.startswith("Cannot reach the server.")
