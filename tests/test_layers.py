"""The layers run one way (docs/ARCHITECTURE.md): checked on the imports of the code itself."""

import ast
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
    users = {p.relative_to(ROOT).as_posix() for p in CORE
             if "python_core.facade" in imported_modules(p)}
    assert users and all(name.startswith("python_core/cli/") for name in users)
