"""The README's main job: `booklore-sync demo` runs the real plugin against the local server."""

import subprocess
import sys

from tools.demo import run_demo


def test_demo_runs_through_the_plugin_and_reaches_the_server(capsys):
    assert run_demo() == 0
    out = capsys.readouterr().out
    assert "Sync Pending Now (7s, 0a, 0r)" in out
    assert "[dialog] Do you want to turn on Wi-Fi? → Cancel" in out
    assert "Sync Pending Now (1s, 0a, 0r)" in out
    assert out.count("book ") >= 6


def test_demo_command_exits_zero():
    done = subprocess.run([sys.executable, "-m", "python_core.cli", "demo"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "What the BookLore server now holds" in done.stdout
    assert done.stderr == ""
