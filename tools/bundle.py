"""The device bundle: `bookloresync.koplugin.zip`, what a reader unzips into KOReader's
`plugins/` folder.

It holds the plugin folder as it is in the repository plus `python/`: the core
(`python_core/`) and the packages it depends on (pyproject.toml's `dependencies`: requests
and its own, tqdm), each with its licence. Those are installed for the device, not taken
from the building machine: pip resolves them for Python 3.9 as pure-Python wheels only
(`--python-version 3.9 --platform any --only-binary=:all:`), so the newest releases that
dropped 3.9 are passed over and a compiled build (charset_normalizer's mypyc one) is never
chosen; a compiled file in the result stops the build. Entries are sorted and dated
alike, so the same inputs give the same archive.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PLUGIN = REPO / "lua_plugin" / "bookloresync.koplugin"
ROOT = "bookloresync.koplugin"
_COMPILED = (".so", ".pyd", ".dylib", ".pyc")
_LICENCE = re.compile(r"(LICEN[CS]E|COPYING|NOTICE|AUTHORS)", re.I)
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)


def requirements(pyproject: Path = REPO / "pyproject.toml") -> list[str]:
    """The core's `dependencies` from pyproject.toml (read as text: no tomllib on 3.9)."""
    block = re.search(r"^dependencies = \[(.*?)^\]", pyproject.read_text(), re.S | re.M)
    return re.findall(r'"([^"]+)"', block.group(1)) if block else []


def install_for_device(target: Path, wanted: list[str]) -> None:
    """The dependencies as a Python 3.9 device gets them: pure-Python wheels only.

    An index that does not publish each file's Requires-Python (a local mirror) can still
    hand pip a release that dropped 3.9; the installed METADATA is checked, and such a
    release is excluded and the install run again."""
    excluded: list[str] = []
    for _ in range(10):
        shutil.rmtree(target, ignore_errors=True)
        done = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--target", str(target), "--python-version", "3.9", "--implementation", "py",
             "--abi", "none", "--platform", "any", "--only-binary=:all:", "--no-compile",
             *wanted, *excluded], capture_output=True, text=True, check=False)
        if done.returncode:
            raise SystemExit(f"pip could not install the device dependencies:\n{done.stderr}")
        too_new = [f"{name}!={version}" for name, version, floor in _installed(target)
                   if not admits_39(floor)]
        if not too_new:
            break
        excluded += too_new
    else:
        raise SystemExit(f"no release admitting Python 3.9 found for: {excluded}")
    shutil.rmtree(target / "bin", ignore_errors=True)
    compiled = [p for p in target.rglob("*") if p.suffix in _COMPILED]
    if compiled:
        raise SystemExit(f"compiled files in the device dependencies: {compiled[:5]}")


def _installed(folder: Path) -> list[tuple[str, str, str]]:
    """(name, version, Requires-Python) of each distribution installed in `folder`."""
    found = []
    for info in folder.glob("*.dist-info"):
        fields = dict(re.findall(r"^([A-Za-z-]+): (.*)$", (info / "METADATA").read_text(
            encoding="utf-8", errors="replace").split("\n\n")[0], re.M))
        found.append((fields.get("Name", ""), fields.get("Version", ""),
                      fields.get("Requires-Python", "")))
    return found


def admits_39(spec: str) -> bool:
    """Whether a Requires-Python such as ">=3.8, !=3.9.*" or ">=3.10" admits Python 3.9."""
    for clause in filter(None, (part.strip() for part in spec.split(","))):
        found = re.fullmatch(r"(>=|>|==|!=|<=|<|~=)\s*(\d+)(?:\.(\d+))?(\.\*)?.*", clause)
        if not found:
            continue
        op, version = found.group(1), (int(found.group(2)), int(found.group(3) or 0))
        wildcard = found.group(4) is not None
        if (op in (">=", "~=") and version > (3, 9)) or (op == ">" and version >= (3, 9)):
            return False
        if (op == "<" and version <= (3, 9)) or (op == "<=" and version < (3, 9)):
            return False
        if op == "!=" and wildcard and version == (3, 9):
            return False
    return True


def _kept(path: Path, folder: Path) -> bool:
    """Code (without the packages' own tests), and of each dist-info its METADATA and
    licence files only."""
    parts = path.relative_to(folder).parts
    if "__pycache__" in parts or "tests" in parts or not path.is_file():
        return False
    if parts[0].endswith(".dist-info"):
        return path.name == "METADATA" or "licenses" in parts or bool(_LICENCE.match(path.name))
    return True


def _entries(folder: Path, prefix: str, only_python: bool = False) -> list[tuple[str, Path]]:
    return [(f"{prefix}/{path.relative_to(folder).as_posix()}", path)
            for path in sorted(folder.rglob("*"))
            if _kept(path, folder) and (not only_python or path.suffix == ".py")]


def licences(folder: Path) -> dict[str, list[str]]:
    """{distribution-version: its licence files} for what is in `folder`."""
    found = {}
    for info in sorted(folder.glob("*.dist-info")):
        found[info.name[: -len(".dist-info")]] = sorted(
            p.relative_to(info).as_posix() for p in info.rglob("*")
            if p.is_file() and _LICENCE.match(p.name))
    return found


def build(output: Path) -> dict:
    """Write the bundle to `output`; returns what went in."""
    with tempfile.TemporaryDirectory() as scratch:
        deps = Path(scratch) / "python"
        install_for_device(deps, requirements())
        missing = [name for name, files in licences(deps).items() if not files]
        if missing:
            raise SystemExit(f"no licence file shipped by: {missing}")
        entries = _entries(PLUGIN, ROOT)
        entries += _entries(REPO / "python_core", f"{ROOT}/python/python_core", only_python=True)
        entries += _entries(deps, f"{ROOT}/python")
        output.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, path in sorted(entries):
                info = zipfile.ZipInfo(name, _ZIP_TIME)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
        return {"path": str(output), "files": len(entries), "licences": licences(deps)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/build_bundle",
                                     description="Build bookloresync.koplugin.zip.")
    parser.add_argument("--output", type=Path, default=REPO / "dist" / f"{ROOT}.zip")
    args = parser.parse_args(argv)
    built = build(args.output)
    print(f"{built['path']}: {built['files']} files; with {', '.join(built['licences'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
