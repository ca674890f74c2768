"""The layers run one way (docs/ARCHITECTURE.md): checked on the imports of the code itself."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = sorted((ROOT / "python_core").rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_core_never_imports_the_bridge_the_tools_or_lupa(path):
    assert not {top(m) for m in imported_modules(path)} & {"bridge", "tools", "lupa"}


def test_only_the_transport_imports_requests():
    importers = {p.relative_to(ROOT).as_posix() for p in CORE
                 if {top(m) for m in imported_modules(p)} & {"requests", "urllib3"}}
    assert importers == {"python_core/server/transport.py"}


def test_only_the_store_imports_sqlite3():
    importers = {p.relative_to(ROOT).as_posix() for p in CORE if "sqlite3" in imported_modules(p)}
    assert importers and all(name.startswith("python_core/store/") for name in importers)


def test_every_package_says_what_it_owns():
    for package in (ROOT / "python_core").iterdir():
        if package.is_dir() and (package / "__init__.py").exists():
            assert ast.get_docstring(ast.parse((package / "__init__.py").read_text())), package


def test_nothing_below_the_facade_imports_it():
    """Only the two hosts of the facade in the core: the command line and the sidecar."""
    users = {p.relative_to(ROOT).as_posix() for p in CORE
             if any(m == "python_core.facade" or m.startswith("python_core.facade.")
                    for m in imported_modules(p))}
    users = {name for name in users if not name.startswith("python_core/facade/")}
    assert users and all(name.startswith("python_core/cli/")
                         or name == "python_core/sidecar/server.py" for name in users)


#: What starting the plugin and drawing its first menu may not import: the HTTP stack and
#: everything that only a sync, a match, a closing book or a switch from the previous
#: plugin needs (docs/PERFORMANCE.md §6: cold start).
NOT_AT_START = ("requests", "urllib3", "python_core.server", "python_core.sync.run",
                "python_core.matching", "python_core.annotations", "python_core.history",
                "python_core.store.adoption_file", "python_core.sync.report",
                "python_core.store.sqlite_snapshot", "concurrent.futures", "dataclasses",
                "tempfile", "platform", "hashlib")

_START_AND_LIST_MODULES = """
import sys
from bridge import HeadlessHost
with HeadlessHost(sys.argv[1]) as host:
    host.menu("BookLore Sync")
    print(" ".join(sorted(sys.modules)))
"""


@pytest.mark.host
def test_starting_the_plugin_and_drawing_its_menu_imports_only_what_that_needs(tmp_path):
    done = subprocess.run([sys.executable, "-c", _START_AND_LIST_MODULES, str(tmp_path / "s")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    loaded = done.stdout.split()
    assert "python_core.facade" in loaded and "lupa.luajit21" in loaded
    assert [m for m in loaded if m.startswith(NOT_AT_START)] == []


def test_the_sidecar_needs_only_the_standard_library_and_the_core():
    """It runs on e-readers with a bare Python 3.9: nothing to install but the core."""
    import sys
    if not hasattr(sys, "stdlib_module_names"):
        pytest.skip("Python 3.10+ lists its standard library")
    for path in sorted((ROOT / "python_core" / "sidecar").rglob("*.py")):
        outside = {top(m) for m in imported_modules(path)} - {"python_core", "__future__"}
        assert outside <= set(sys.stdlib_module_names), path
