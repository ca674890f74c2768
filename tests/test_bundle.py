"""The device bundle: what it holds, and that a bare Python (no pip installs, no lupa) runs
the core from it, started by the plugin itself in the standalone luajit host."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import zipfile

import pytest

from bridge.standalone import StandaloneHost, luajit_available, wait_for
from python_core.sidecar.instance import ADDRESS_FILE
from tests.plugin_support import configure, start_server
from tools.bundle import ROOT, admits_39, build

DEPENDENCIES = ("requests", "urllib3", "idna", "certifi", "charset_normalizer", "tqdm")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    output = tmp_path_factory.mktemp("dist") / f"{ROOT}.zip"
    built = build(output)
    return output, built


def test_the_bundle_holds_the_plugin_the_core_and_its_pure_python_dependencies(bundle):
    output, built = bundle
    names = zipfile.ZipFile(output).namelist()
    assert f"{ROOT}/main.lua" in names and f"{ROOT}/bookloresync/core.lua" in names
    assert f"{ROOT}/bookloresync/calls.lua" in names
    assert f"{ROOT}/python/python_core/sidecar/server.py" in names
    for package in DEPENDENCIES:
        assert f"{ROOT}/python/{package}/__init__.py" in names, package
    assert not [n for n in names if n.endswith((".so", ".pyd", ".pyc")) or "__pycache__" in n]
    assert not [n for n in names if "/tests/" in n or "/bridge/" in n or "lupa" in n]
    assert len(built["licences"]) == len(DEPENDENCIES)
    assert all(files for files in built["licences"].values())
    assert zipfile.ZipFile(output).read(f"{ROOT}/main.lua") == open(
        "lua_plugin/bookloresync.koplugin/main.lua", "rb").read()


def test_every_dependency_in_the_bundle_admits_python_3_9(bundle):
    output, _ = bundle
    archive = zipfile.ZipFile(output)
    for name in archive.namelist():
        if name.endswith(".dist-info/METADATA"):
            head = archive.read(name).decode().split("\n\n")[0]
            floor = next((line.split(": ", 1)[1] for line in head.splitlines()
                          if line.startswith("Requires-Python: ")), "")
            assert admits_39(floor), (name, floor)


@pytest.mark.parametrize("spec, admits", [(">=3.9", True), (">=3.10", False), (">=3.7", True),
                                          (">=3.8,!=3.9.*", False), ("<3.9", False), ("", True),
                                          (">3.8", True), ("~=3.9", True)])
def test_requires_python_is_read_as_pip_reads_it(spec, admits):
    assert admits_39(spec) is admits


def _bare_interpreters():
    """System interpreters with nothing installed for us: only the bundle can give them
    requests and the core."""
    found = []
    for name in ("pypy3", "python3"):
        path = shutil.which(name, path="/usr/bin")
        if path and subprocess.run([path, "-c", "import requests"],
                                   capture_output=True).returncode:
            found.append(path)
    return found


_NO_BARE = [pytest.param(None, marks=pytest.mark.skip(
    reason="no bare system Python without requests"))]
BARE = pytest.mark.parametrize("python", _bare_interpreters() or _NO_BARE)
#: The update tests need one bare interpreter: what they test is the sidecar's restart,
#: which the first test shows to run alike on each.
ONE_BARE = pytest.mark.parametrize("python", _bare_interpreters()[:1] or _NO_BARE)
NEEDS_LUAJIT = pytest.mark.skipif(luajit_available() is not None,
                                  reason=str(luajit_available()))


def read_and_sync(host, book, server, sessions: int) -> str:
    """A book read for 300 s and synced in a KOReader that just started; what Test
    Connection then reports."""
    host.open_book(book.path, title=book.title, pages=300)
    host.run_until_idle(40)
    for _ in range(10):
        host.advance(30)
        host.turn_page()
    host.close_book()
    host.run_until_idle(40)
    wait_for(lambda: len(server.sessions) == sessions, timeout=20)
    host.dispatch("BookloreTestConnection")
    host.run_until_idle(40)
    return host.screen()[-1]["text"]


def python_version(python) -> str:
    return subprocess.run([python, "-c", "import platform; print("
                           "platform.python_implementation(), platform.python_version())"],
                          capture_output=True, text=True).stdout.strip()


def end_sidecar(settings) -> None:
    address = settings / ADDRESS_FILE
    if address.exists():
        try:
            os.kill(json.loads(address.read_text())["pid"], signal.SIGTERM)
        except (ProcessLookupError, ValueError, KeyError):
            pass


@pytest.fixture
def unzipped(bundle, tmp_path, library):
    """The bundle unzipped into a KOReader's plugins folder, the settings folder configured
    for a local server: (plugins, settings, server). The sidecar is ended afterwards."""
    output, _ = bundle
    plugins = tmp_path / "koreader" / "plugins"
    zipfile.ZipFile(output).extractall(plugins)
    settings = tmp_path / "koreader" / "settings"
    server, _ = start_server(library)
    configure(settings, server.url)
    yield plugins, settings, server
    server.stop()
    end_sidecar(settings)


def koreader(unzipped, python) -> StandaloneHost:
    plugins, settings, _ = unzipped
    return StandaloneHost(settings, online=True, python=python, plugins_dir=plugins,
                          core_timeout=1.0)


@NEEDS_LUAJIT
@BARE
def test_unzipped_into_plugins_the_plugin_starts_the_core_from_the_bundle(unzipped, python,
                                                                         library):
    with koreader(unzipped, python) as host:
        report = read_and_sync(host, library[0], unzipped[2], sessions=1)
    assert "Server: reachable" in report and "sidecar process" in report
    assert f"Core: BookLore Sync 0.1.0, {python_version(python)}, sidecar process" in report


@NEEDS_LUAJIT
@ONE_BARE
def test_a_bundle_unzipped_over_the_old_one_is_the_core_after_koreader_restarts(
        unzipped, python, library):
    """The sidecar outlives KOReader's restart; it must not keep serving the old code."""
    plugins, settings, server = unzipped
    with koreader(unzipped, python) as host:
        assert "Core: BookLore Sync 0.1.0," in read_and_sync(host, library[0], server, 1)
    address = settings / ADDRESS_FILE
    first_pid = json.loads(address.read_text())["pid"]
    init = plugins / ROOT / "python" / "python_core" / "__init__.py"
    init.write_text(init.read_text().replace('__version__ = "0.1.0"', '__version__ = "0.1.1"'))
    with koreader(unzipped, python) as host:
        wait_for(lambda: address.exists() and json.loads(address.read_text()).get(
            "version") == "0.1.1", timeout=20)
        report = read_and_sync(host, library[1], server, sessions=2)
    assert "Core: BookLore Sync 0.1.1," in report
    assert json.loads(address.read_text())["pid"] == first_pid  # restarted in place
    # Each read 300 s; waiting for the first core to come up moved the clock too.
    assert all(300 <= s["durationSeconds"] < 330 for s in server.sessions)


@NEEDS_LUAJIT
@ONE_BARE
def test_an_update_while_koreader_reads_reconnects_and_loses_nothing(unzipped, python,
                                                                     library):
    """The core restarts under a KOReader that stays open: the plugin's client sees its
    connection close, journals what is read meanwhile and goes on with the new core."""
    plugins, settings, server = unzipped
    address = settings / ADDRESS_FILE
    with koreader(unzipped, python) as host:
        read_and_sync(host, library[0], server, sessions=1)
        init = plugins / ROOT / "python" / "python_core" / "__init__.py"
        init.write_text(init.read_text().replace('__version__ = "0.1.0"',
                                                 '__version__ = "0.1.1"'))
        book = library[1]
        host.open_book(book.path, title=book.title, pages=300)
        for _ in range(10):  # real time passes too: the restart happens during the reading
            host.advance(30)
            host.turn_page()
            time.sleep(0.6)
        host.close_book()
        wait_for(lambda: address.exists() and json.loads(address.read_text()).get(
            "version") == "0.1.1", timeout=20)
        host.run_until_idle(40)
        host.dispatch("SyncBooklorePending")
        host.run_until_idle(40)
        wait_for(lambda: len(server.sessions) == 2, timeout=20)
        assert host.client_state()["connected"] and not host.client_state()["journaling"]
        assert any("lost the core" in line for line in host.logs)  # it did go away
    time.sleep(0.5)
    assert len(server.sessions) == 2
    assert all(300 <= s["durationSeconds"] < 330 for s in server.sessions)
