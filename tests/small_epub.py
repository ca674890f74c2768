"""A small EPUB with a known structure, the KOReader xpointers of passages in it, and an
independent CFI reader, so tests can check that a CFI really lands on the highlighted words.

Spine: cover (DocFragment[1]), chapter 1 (DocFragment[2]), chapter 2 (DocFragment[3],
stored as "Text/chapter 2.xhtml" and referenced percent-encoded). Chapter 2 nests
section > div > p, has inline <em>, a run of spaces, a paragraph that opens with a line
break and an `&nbsp;` entity that plain XML does not define.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile

CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles>
    <rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>
  </rootfiles>
</container>"""

OPF = """<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="id">urn:uuid:0b5c1f1e-1d1a-4c8e-9d56-6f0e3c0a0a01</dc:identifier>
    <dc:title>Small Test Book</dc:title><dc:language>en</dc:language>
  </metadata>
  <manifest>
    <item id="cover" href="Text/cover.xhtml" media-type="application/xhtml+xml"/>
    <item id="c1" href="Text/chapter-1.xhtml" media-type="application/xhtml+xml"/>
    <item id="c2" href="Text/chapter%202.xhtml" media-type="application/xhtml+xml"/>
  </manifest>
  <spine>
    <itemref idref="cover"/>
    <itemref idref="c1"/>
    <itemref idref="c2"/>
  </spine>
</package>"""

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>{0}</title></head>
"""
COVER = HEAD.format("Cover") + "<body><div><p>Small Test Book</p></div></body></html>"

CLOCKS = "It was a bright cold day in April, and the clocks were striking thirteen."
CHAPTER_1 = HEAD.format("One") + f"""<body>
  <h1>Chapter One</h1>
  <p>The sky above the port was the colour of television, tuned to a dead channel.</p>
  <p>{CLOCKS}</p>
</body></html>"""

ISHMAEL = "\n        Call me Ishmael. Some years ago, never mind how long precisely.\n      "
CHAPTER_2 = HEAD.format("Two") + f"""<body>
  <section id="c2">
    <h1>Chapter Two</h1>
    <p>First paragraph&nbsp;of the chapter.</p>
    <div class="scene">
      <p>Alpha <em>beta</em> gamma    delta.</p>
      <p>{ISHMAEL}</p>
    </div>
  </section>
</body></html>"""

MEMBERS = {
    "mimetype": "application/epub+zip",
    "META-INF/container.xml": CONTAINER,
    "OEBPS/content.opf": OPF,
    "OEBPS/Text/cover.xhtml": COVER,
    "OEBPS/Text/chapter-1.xhtml": CHAPTER_1,
    "OEBPS/Text/chapter 2.xhtml": CHAPTER_2,
}

CH1 = "/body/DocFragment[2]/body"
CH2 = "/body/DocFragment[3]/body/section/div"
_CLOCKS_AT = CLOCKS.index("clocks")

#: name: (pos0, pos1, KOReader's selected text, the CFI BookLore must get)
PASSAGES = {
    "clocks": (f"{CH1}/p[2]/text().{_CLOCKS_AT}", f"{CH1}/p[2]/text().{_CLOCKS_AT + 20}",
               "clocks were striking",
               f"epubcfi(/6/4!/4/6,/1:{_CLOCKS_AT},/1:{_CLOCKS_AT + 20})"),
    # text()[2] is the text after <em>; crengine counts "gamma    delta" as "gamma delta".
    "gamma": (f"{CH2}/p[1]/text()[2].1", f"{CH2}/p[1]/text()[2].12", "gamma delta",
              "epubcfi(/6/6!/4/2/6/2,/3:1,/3:15)"),
    "beta gamma": (f"{CH2}/p[1]/em/text().0", f"{CH2}/p[1]/text()[2].6", "beta gamma",
                   "epubcfi(/6/6!/4/2/6/2,/2/1:0,/3:6)"),
    # The paragraph opens with a line break and spaces: one character for crengine.
    "ishmael": (f"{CH2}/p[2]/text().1", f"{CH2}/p[2]/text().17", "Call me Ishmael.",
                "epubcfi(/6/6!/4/2/6/4,/1:9,/1:25)"),
}


def write_small_epub(path) -> str:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in MEMBERS.items():
            archive.writestr(name, content)
    return str(path)


def text_at(cfi: str) -> str:
    """The text a CFI selects in this book, read without the code under test: the
    chapter's text is flattened in reading order and the range sliced out of it."""
    match = re.fullmatch(r"epubcfi\(/6/(\d+)!(.*)\)", cfi)
    chapter = {4: CHAPTER_1, 6: CHAPTER_2}[int(match[1])].replace("&nbsp;", "\u00a0")
    parent, *ends = match[2].split(",")
    start, end = (parent + ends[0], parent + ends[1]) if ends else (parent, parent)
    flat, where = "", {}
    for key, text in _pieces(ET.fromstring(chapter), ()):
        where[key] = len(flat)
        flat += text
    return flat[_position(where, start):_position(where, end)]


def _pieces(element, steps):
    children = list(element)
    yield steps + (1,), element.text or ""
    for n, child in enumerate(children):
        yield from _pieces(child, steps + (2 * n + 2,))
        yield steps + (2 * n + 3,), child.tail or ""


def _position(where, path: str) -> int:
    steps = re.findall(r"/(\d+)(?::(\d+))?", path)
    key = tuple(int(index) for index, _ in steps)
    return where[key] + int(steps[-1][1] or 0)
