"""An EPUB file opened to place KOReader highlights: container → package document → spine
→ the chapter XHTML that `DocFragment[N]` names, each parsed once per opening.

The CFI rules themselves live in `epub_cfi` (pure). This module only reads the zip, and
it is lenient where real books are sloppy: percent-encoded or differently cased member
names, and HTML entities such as `&nbsp;` that XHTML without a DTD does not define.
Whatever cannot be read makes `cfi()` answer None, so the caller falls back to a plain
note instead of uploading a wrong position.
"""

from __future__ import annotations

import html.entities
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from urllib.parse import unquote

from python_core.annotations import epub_cfi

CONTAINER = "META-INF/container.xml"
#: BookLore refuses longer CFIs (`cfi` ≤ 1000 characters).
MAX_CFI_LENGTH = 1000

_XML_ENTITIES = {b"amp", b"lt", b"gt", b"quot", b"apos"}
_NAMED_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]{1,31});")


class EpubFile:
    """One EPUB, read for CFIs; use as a context manager."""

    def __init__(self, path: str):
        self._zip = zipfile.ZipFile(path)
        try:
            package_name = self._package_name()
            package = self._parse(package_name)
            self._spine_step, self._items = _spine(package, posixpath.dirname(package_name))
        except BaseException:
            self._zip.close()
            raise
        self._chapters: dict[int, ET.Element | None] = {}

    def __enter__(self) -> EpubFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    def cfi(self, pos0: str | None, pos1: str | None = None) -> str | None:
        """The CFI of the highlight pos0..pos1 (or of the point pos0); None if unplaceable."""
        start = epub_cfi.parse_xpointer(pos0)
        end = epub_cfi.parse_xpointer(pos1) if pos1 else None
        if start is None or (pos1 and end is None):
            return None
        if end is not None and end.fragment != start.fragment:
            return None  # a highlight across two spine items: no single range to give
        chapter = self._chapter(start.fragment)
        if chapter is None:
            return None
        start_steps = epub_cfi.content_steps(chapter, start)
        end_steps = epub_cfi.content_steps(chapter, end) if end else None
        if start_steps is None or (end is not None and end_steps is None):
            return None
        item_step = self._items[start.fragment - 1][0]
        cfi = epub_cfi.build_cfi((self._spine_step, item_step), start_steps, end_steps)
        return cfi if len(cfi) <= MAX_CFI_LENGTH else None

    def _chapter(self, fragment: int) -> ET.Element | None:
        if fragment not in self._chapters:
            self._chapters[fragment] = self._read_chapter(fragment)
        return self._chapters[fragment]

    def _read_chapter(self, fragment: int) -> ET.Element | None:
        if not 1 <= fragment <= len(self._items) or self._items[fragment - 1][1] is None:
            return None
        try:
            return self._parse(self._items[fragment - 1][1])
        except (KeyError, ET.ParseError):
            return None

    def _package_name(self) -> str:
        container = self._parse(CONTAINER)
        for element in container.iter():
            if _local(element.tag) == "rootfile" and element.get("full-path"):
                return element.get("full-path")
        raise KeyError("container.xml names no package document")

    def _parse(self, name: str) -> ET.Element:
        return ET.fromstring(_numeric_entities(self._zip.read(self._member(name))))

    def _member(self, name: str) -> str:
        """The zip member for `name`, also when the case differs."""
        names = self._zip.namelist()
        if name in names:
            return name
        lowered = name.lower()
        for candidate in names:
            if candidate.lower() == lowered:
                return candidate
        raise KeyError(name)


def _spine(package: ET.Element, base: str) -> tuple[int, list[tuple[int, str | None]]]:
    """(CFI step of <spine> in <package>, [(CFI step of each itemref, its file)])."""
    children = [child for child in package if isinstance(child.tag, str)]
    spine = next((c for c in children if _local(c.tag) == "spine"), None)
    if spine is None:
        raise KeyError("the package document has no spine")
    hrefs = {item.get("id"): item.get("href") for item in package.iter()
             if _local(item.tag) == "item"}
    items = []
    for position, itemref in enumerate(c for c in spine if isinstance(c.tag, str)):
        href = hrefs.get(itemref.get("idref"))
        name = None
        if href:
            name = posixpath.normpath(posixpath.join(base, unquote(href.split("#")[0])))
        if _local(itemref.tag) == "itemref":
            items.append((2 * (position + 1), name))
    return 2 * (children.index(spine) + 1), items


def _numeric_entities(document: bytes) -> bytes:
    """HTML's named entities as numeric references, which XML needs no DTD for."""
    def replace(match: re.Match) -> bytes:
        name = match.group(1)
        if name in _XML_ENTITIES:
            return match.group(0)
        text = html.entities.html5.get(name.decode("ascii") + ";")
        if text is None:
            return match.group(0)
        return "".join(f"&#{ord(char)};" for char in text).encode("ascii")
    return _NAMED_ENTITY.sub(replace, document)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
