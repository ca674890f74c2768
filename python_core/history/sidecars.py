"""Finding and reading KOReader's book sidecars (`metadata.<ext>.lua`, koreader-host.md §14)
on a device or a mounted reader, and the book file each belongs to.

KOReader keeps a book's sidecar in one of three places: beside the book (`Book.sdr/`), in
`<home>/docsettings/<device path>.sdr/`, or in `<home>/hashdocsettings/<md5[:2]>/<md5>.sdr/`.
Every `.sdr` folder under the given roots is read (with `lua_table`, which cannot run
anything) and keyed by the book's partial MD5; where one book has several, the most
recently modified wins, as in KOReader. Paths inside a sidecar are the device's
(`/mnt/onboard/...` on a Kobo), so the book file is looked for by the path's tail under
each root, then by its name anywhere under them, and accepted only if its fingerprint
matches: a book moved since is still found, a different file with the same name is not.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any, NamedTuple

from python_core.books.fingerprint import is_fingerprint, partial_md5
from python_core.errors import FingerprintError
from python_core.history.lua_table import MAX_BYTES, LuaTableError, loads

log = logging.getLogger("booklore_sync.history")

_SIDECAR = re.compile(r"^metadata\.([A-Za-z0-9]{1,10})\.lua$")
BOOK_EXTENSIONS = {"epub", "kepub", "pdf", "cbz", "cbr", "cbt", "fb2", "mobi", "azw3", "azw",
                   "djvu", "djv", "xps", "oxps", "txt", "doc", "docx", "rtf", "html", "htm",
                   "md", "odt", "chm", "pdb", "prc", "zip"}


class Sidecar(NamedTuple):
    md5: str
    path: Path                 # the metadata.<ext>.lua file
    data: dict[str, Any]
    book_file: Path | None     # the book on this computer, if found
    modified: float


class SidecarScan(NamedTuple):
    sidecars: dict[str, Sidecar]          # by partial MD5
    unreadable: list[tuple[Path, str]]    # (file, why)


def scan(roots: list[Path]) -> SidecarScan:
    files, books = _walk(roots)
    found: dict[str, Sidecar] = {}
    unreadable: list[tuple[Path, str]] = []
    for path, extension in files:
        try:
            sidecar = _read(path, extension, roots, books)
        except (OSError, LuaTableError, FingerprintError) as exc:
            unreadable.append((path, str(exc)))
            continue
        if sidecar is None:
            unreadable.append((path, "no fingerprint and no book file to compute it from"))
        elif sidecar.md5 not in found or found[sidecar.md5].modified < sidecar.modified:
            found[sidecar.md5] = sidecar
    return SidecarScan(found, unreadable)


def _walk(roots: list[Path]) -> tuple[list[tuple[Path, str]], dict[str, list[Path]]]:
    """Every sidecar file once (by real path), and the book files by lower-case name."""
    seen: set[str] = set()
    files: list[tuple[Path, str]] = []
    books: dict[str, list[Path]] = {}
    for root in roots:
        for folder, subfolders, names in os.walk(root, onerror=_skip):
            if folder.endswith(".sdr"):
                subfolders[:] = []
                for name in sorted(names):
                    match = _SIDECAR.match(name)
                    real = os.path.realpath(os.path.join(folder, name))
                    if match and real not in seen:
                        seen.add(real)
                        files.append((Path(folder, name), match.group(1).lower()))
                continue
            subfolders[:] = [d for d in subfolders if not d.startswith(".") or d.endswith(".sdr")
                             or d in (".adds", ".kobo")]
            for name in names:
                if name.rpartition(".")[2].lower() in BOOK_EXTENSIONS:
                    books.setdefault(name.lower(), []).append(Path(folder, name))
    return files, books


def _skip(error: OSError) -> None:
    log.info("cannot list %s: %s", error.filename, error.strerror)


def _read(path: Path, extension: str, roots: list[Path],
          books: dict[str, list[Path]]) -> Sidecar | None:
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise LuaTableError(f"larger than {MAX_BYTES // 2**20} MiB")
    data = loads(path.read_bytes())
    if not isinstance(data, dict):
        raise LuaTableError("it does not hold a table of book settings")
    stated = data.get("partial_md5_checksum")
    folder_md5 = path.parent.name[:-4].lower()
    md5 = (stated.lower() if is_fingerprint(stated)
           else folder_md5 if is_fingerprint(folder_md5) else None)
    book_file = _book_file(path, extension, data, md5, roots, books)
    if md5 is None and book_file is not None:
        md5 = partial_md5(book_file)
    if md5 is None:
        return None
    return Sidecar(md5, path, data, book_file, path.stat().st_mtime)


def _book_file(path: Path, extension: str, data: dict[str, Any], md5: str | None,
               roots: list[Path], books: dict[str, list[Path]]) -> Path | None:
    sdr = path.parent
    candidates = [sdr.with_name(sdr.name[:-4] + "." + extension)]
    device_path = data.get("doc_path")
    if isinstance(device_path, str) and device_path:
        parts = [p for p in device_path.replace("\\", "/").split("/") if p]
        candidates += [root.joinpath(*parts[i:]) for root in roots for i in range(len(parts))]
        candidates += books.get(parts[-1].lower(), []) if parts else []
    candidates += books.get(sdr.name[:-4].lower() + "." + extension, [])
    for candidate in dict.fromkeys(candidates):
        if candidate.is_file() and (md5 is None or _fingerprint(candidate) == md5):
            return candidate
    return None


def _fingerprint(path: Path) -> str | None:
    try:
        return partial_md5(path)
    except FingerprintError:
        return None
