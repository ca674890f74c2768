"""A small, deterministic library of valid EPUB 3 files for demos and end-to-end tests.

Every entry uses a fixed timestamp and is stored uncompressed, so the bytes (and so
the partial-MD5 fingerprints) do not depend on the clock or on the zlib version.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import uuid
import zipfile
from xml.sax.saxutils import escape

from .sample_texts import SAMPLE_TEXTS

ZIP_TIMESTAMP = (2000, 1, 1, 0, 0, 0)
MODIFIED = "2000-01-01T00:00:00Z"
UNIX_FILE_MODE = 0o100644 << 16

CONTAINER_XML = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles>
    <rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>
  </rootfiles>
</container>
"""


@dataclasses.dataclass
class SampleBook:
    """One generated EPUB; ``file_hash`` is KOReader's partial MD5 of ``path``."""

    path: str
    title: str
    authors: list
    isbn13: str | None
    file_hash: str
    book_type: str = "EPUB"


def partial_md5(path):
    """KOReader's ``util.partialMD5``, which is also BookLore's ``FileFingerprint``."""
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for i in range(-1, 11):
            f.seek(0 if i == -1 else 1024 << (2 * i))
            sample = f.read(1024)
            if not sample:
                break
            digest.update(sample)
    return digest.hexdigest()


def _identifier(text):
    if text["isbn13"]:
        return f"urn:isbn:{text['isbn13']}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'booklore-sample:' + text['slug'])}"


def _xhtml(title, body):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
            '<html xmlns="http://www.w3.org/1999/xhtml" '
            'xmlns:epub="http://www.idpf.org/2007/ops" xml:lang="en" lang="en">\n'
            f"<head><meta charset=\"UTF-8\"/><title>{escape(title)}</title></head>\n"
            f"<body>\n{body}</body>\n</html>\n")


def _chapter(heading, paragraphs):
    body = f"<section epub:type=\"chapter\">\n<h1>{escape(heading)}</h1>\n"
    body += "".join(f"<p>{escape(p)}</p>\n" for p in paragraphs)
    return _xhtml(heading, body + "</section>\n")


def _nav(text):
    items = "".join(f'<li><a href="chapter-{n}.xhtml">{escape(heading)}</a></li>\n'
                    for n, (heading, _) in enumerate(text["chapters"], start=1))
    body = f'<nav epub:type="toc" id="toc">\n<h1>Contents</h1>\n<ol>\n{items}</ol>\n</nav>\n'
    return _xhtml(text["title"], body)


def _opf(text):
    creators = "".join(f"    <dc:creator>{escape(a)}</dc:creator>\n" for a in text["authors"])
    count = len(text["chapters"])
    manifest = "".join(
        f'    <item id="chapter-{n}" href="chapter-{n}.xhtml" '
        f'media-type="application/xhtml+xml"/>\n' for n in range(1, count + 1))
    spine = "".join(f'    <itemref idref="chapter-{n}"/>\n' for n in range(1, count + 1))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="book-id" xml:lang="en">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="book-id">{_identifier(text)}</dc:identifier>
    <dc:title>{escape(text["title"])}</dc:title>
{creators}    <dc:language>en</dc:language>
    <meta property="dcterms:modified">{MODIFIED}</meta>
  </metadata>
  <manifest>
    <item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
{manifest}  </manifest>
  <spine>
{spine}  </spine>
</package>
"""


def _entries(text):
    """(name, content) in archive order; ``mimetype`` must come first."""
    yield "mimetype", "application/epub+zip"
    yield "META-INF/container.xml", CONTAINER_XML
    yield "OEBPS/content.opf", _opf(text)
    yield "OEBPS/nav.xhtml", _nav(text)
    for n, (heading, paragraphs) in enumerate(text["chapters"], start=1):
        yield f"OEBPS/chapter-{n}.xhtml", _chapter(heading, paragraphs)


def write_epub(path, text):
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in _entries(text):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3
            info.external_attr = UNIX_FILE_MODE
            archive.writestr(info, content.encode("utf-8"))


def make_sample_library(directory):
    """Write the five sample EPUBs into ``directory`` (created if missing)."""
    os.makedirs(directory, exist_ok=True)
    books = []
    for text in SAMPLE_TEXTS:
        path = os.path.join(directory, f"{text['slug']}.epub")
        write_epub(path, text)
        books.append(SampleBook(path=path, title=text["title"], authors=list(text["authors"]),
                                isbn13=text["isbn13"], file_hash=partial_md5(path)))
    return books
