"""EPUB CFIs for KOReader highlights, so BookLore's reader shows them on the same words.

KOReader's reflowable engine (crengine) addresses a position as an *xpointer* into one DOM
it builds from the whole book: `/body/DocFragment[3]/body/div/p[4]/text().12` is character
12 of the 4th <p> (counting <p> siblings only) in the <div> of the <body> of the 3rd spine
item. BookLore's reader, like every reader built on the EPUB standard, takes an EPUB CFI
instead: `epubcfi(/6/6!/4/2/8/1:12)`, steps into the package document down to the spine
item, `!`, then steps into that item's XHTML. The differences this module bridges:

- `DocFragment[N]` is the N-th <itemref> of the spine (crengine leaves out `[1]` when the
  book has a single spine item); the caller supplies the package steps for it.
- A CFI element step is twice the element's position among *all* element children of its
  parent (`/8` = the 4th child element), where crengine counts same-name siblings (`p[4]`).
- CFI addresses text with odd steps: `/1` is the text before the first child element, `/3`
  the text after it, and so on. crengine numbers the text nodes it kept (`text()[2]`), and
  it does not keep a whitespace-only text node that opens a block element.
- crengine counts offsets in text whose whitespace runs are collapsed to one space (not in
  <pre>-like elements); CFI counts the source text in UTF-16 code units, as the browsers
  BookLore's reader runs in do.

Everything here is pure: an xpointer string and a parsed XHTML tree in, steps and CFI
strings out. Reading the book file is `epub_file`'s job. Anything that does not resolve
gives None, never a guess.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

#: One CFI step: (index, character offset or None). Even index: element; odd: text.
Step = tuple[int, "int | None"]

#: crengine keeps whitespace as written in these (its built-in `white-space: pre`).
PRE_TAGS = frozenset({"pre", "code", "listing", "plaintext", "xmp", "textarea"})
#: Block containers: crengine drops a whitespace-only text node that opens one of these.
BLOCK_TAGS = frozenset({
    "body", "div", "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
    "blockquote", "pre", "section", "article", "aside", "header", "footer", "nav", "main",
    "figure", "figcaption", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption",
    "address", "details", "summary", "form", "fieldset", "center",
})
_WHITESPACE = " \t\n\r\f"

_XPOINTER = re.compile(
    r"^/body/DocFragment(?:\[(?P<fragment>\d+)\])?/body"
    r"(?P<path>(?:/[A-Za-z_][\w:-]*(?:\[\d+\])?)*)"
    r"(?P<text>/text\(\)(?:\[(?P<text_index>\d+)\])?)?"
    r"(?:\.(?P<offset>\d+))?$")
_SEGMENT = re.compile(r"/(?P<name>[A-Za-z_][\w:-]*)(?:\[(?P<index>\d+)\])?")


@dataclass(frozen=True)
class XPointer:
    """A parsed crengine xpointer into an EPUB."""

    fragment: int                        # 1-based spine position (DocFragment[N])
    path: tuple[tuple[str, int], ...]    # below <body>: (local name, 1-based same-name index)
    text_index: int | None               # None: no text() step; 0: text(); k: text()[k]
    offset: int | None                   # crengine character offset, if any


def parse_xpointer(text: str | None) -> XPointer | None:
    """The parts of an EPUB xpointer; None for anything else (PDF positions, FB2 paths)."""
    match = _XPOINTER.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        return None
    path = tuple((_local(m["name"]).lower(), int(m["index"] or 1))
                 for m in _SEGMENT.finditer(match["path"]))
    if any(index < 1 for _, index in path):
        return None
    text_index = None
    if match["text"]:
        text_index = int(match["text_index"] or 0)
    offset = None if match["offset"] is None else int(match["offset"])
    return XPointer(int(match["fragment"] or 1), path, text_index, offset)


def content_steps(html_root: ET.Element, pointer: XPointer) -> list[Step] | None:
    """The CFI steps inside one content document (from its <html> root) for `pointer`."""
    element, steps = html_root, []
    preformatted = False
    for name, index in (("body", 1),) + pointer.path:
        position = _child_position(element, name, index)
        if position is None:
            return None
        element = _children(element)[position]
        steps.append((2 * (position + 1), None))
        preformatted = preformatted or _local(element.tag).lower() in PRE_TAGS
    if pointer.text_index is not None:
        point = _text_child_point(element, pointer, preformatted)
    elif pointer.offset is not None:
        point = _descendant_point(element, pointer.offset, preformatted)
    else:
        point = []
    return None if point is None else steps + point


def build_cfi(package_steps: Sequence[int], start: list[Step],
              end: list[Step] | None = None) -> str:
    """`epubcfi(...)` for a point, or for the range start..end in the same document.

    A range shares the element steps both ends have in common:
    `epubcfi(/6/8!/4/2/8,/1:12,/1:40)`."""
    package = "".join(f"/{index}" for index in package_steps)
    if not end or end == start:
        return f"epubcfi({package}!{_path(start)})"
    shared = 0
    limit = min(len(start), len(end)) - 1
    while (shared < limit and start[shared] == end[shared]
           and start[shared][0] % 2 == 0 and start[shared][1] is None):
        shared += 1
    return (f"epubcfi({package}!{_path(start[:shared])},"
            f"{_path(start[shared:])},{_path(end[shared:])})")


def _path(steps: Sequence[Step]) -> str:
    return "".join(f"/{index}" if offset is None else f"/{index}:{offset}"
                   for index, offset in steps)


def _local(tag: str) -> str:
    """`{namespace}p` and `svg:image` → `p`, `image`."""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _children(element: ET.Element) -> list[ET.Element]:
    return [child for child in element if isinstance(child.tag, str)]


def _child_position(element: ET.Element, name: str, index: int) -> int | None:
    """Position among all element children of the `index`-th child named `name`."""
    seen = 0
    for position, child in enumerate(_children(element)):
        if _local(child.tag).lower() == name:
            seen += 1
            if seen == index:
                return position
    return None


def _text_pieces(element: ET.Element) -> list[tuple[int, str]]:
    """(CFI text step, source text) of the element's own non-empty text nodes."""
    pieces = [(1, element.text or "")]
    pieces += [(2 * position + 3, child.tail or "")
               for position, child in enumerate(_children(element))]
    return [(index, text) for index, text in pieces if text]


def _kept_by_crengine(element: ET.Element, preformatted: bool) -> list[tuple[int, str]]:
    opens_block = _local(element.tag).lower() in BLOCK_TAGS and not preformatted
    return [(index, text) for index, text in _text_pieces(element)
            if not (opens_block and index == 1 and not text.strip(_WHITESPACE))]


def _text_child_point(element: ET.Element, pointer: XPointer,
                      preformatted: bool) -> list[Step] | None:
    """`.../text()[k].n`: the k-th text node crengine kept, or the only one for `text()`."""
    kept = _kept_by_crengine(element, preformatted)
    if pointer.text_index == 0:
        visible = [piece for piece in kept if piece[1].strip(_WHITESPACE)]
        chosen = (visible or kept or [None])[0]
    else:
        chosen = kept[pointer.text_index - 1] if pointer.text_index <= len(kept) else None
    if chosen is None:
        return None
    index, text = chosen
    return [(index, source_offset(text, pointer.offset or 0, preformatted))]


def _descendant_point(element: ET.Element, offset: int, preformatted: bool) -> list[Step]:
    """`.../p[4].n` (no text step): n characters into the element's text, in reading order;
    the element itself when it holds no text (an image)."""
    remaining = offset
    for steps, index, text, pre in _text_in_order(element, [], preformatted):
        length = len(text) if pre else collapsed_length(text)
        if remaining <= length:
            return steps + [(index, source_offset(text, remaining, pre))]
        remaining -= length
    return []


def _text_in_order(element: ET.Element, steps: list[Step],
                   preformatted: bool) -> Iterator[tuple[list[Step], int, str, bool]]:
    kept = dict(_kept_by_crengine(element, preformatted))
    if 1 in kept:
        yield steps, 1, kept[1], preformatted
    for position, child in enumerate(_children(element)):
        child_pre = preformatted or _local(child.tag).lower() in PRE_TAGS
        yield from _text_in_order(child, steps + [(2 * (position + 1), None)], child_pre)
        if 2 * position + 3 in kept:
            yield steps, 2 * position + 3, kept[2 * position + 3], preformatted


def collapsed_length(text: str) -> int:
    """Length of `text` as crengine counts it: each whitespace run is one character."""
    return sum(1 for i in range(len(text)) if not _continues_run(text, i))


def source_offset(text: str, crengine_offset: int, preformatted: bool = False) -> int:
    """crengine's offset into a text node → the CFI offset (source text, UTF-16 units)."""
    if preformatted:
        position = min(crengine_offset, len(text))
    else:
        position, counted = len(text), 0
        for i in range(len(text)):
            if _continues_run(text, i):
                continue
            if counted == crengine_offset:
                position = i
                break
            counted += 1
    return len(text[:position].encode("utf-16-le")) // 2


def _continues_run(text: str, i: int) -> bool:
    return i > 0 and text[i] in _WHITESPACE and text[i - 1] in _WHITESPACE
