"""What the core stores about a book, built from the plugin's plain values.

The fingerprint is taken from KOReader when it already computed one (doc settings
`partial_md5_checksum`) and computed from the file otherwise; ISBNs are read from the
document's identifier lines (EPUB2 `ISBN:978...`, EPUB3 `urn:isbn:978...`).
"""

from __future__ import annotations

import os
import re
from typing import Any

from python_core.books.fingerprint import is_fingerprint, partial_md5
from python_core.errors import FingerprintError

#: The files KOReader opens as books (its paged and reflowable engines), by extension.
BOOK_EXTENSIONS = frozenset({
    "epub", "kepub", "pdf", "djvu", "djv", "xps", "oxps", "cbz", "cbr", "cbt", "fb2", "fb3",
    "mobi", "azw", "azw3", "pdb", "prc", "txt", "html", "htm", "xhtml", "rtf", "chm", "doc",
    "docx", "odt", "md", "zip"})
_ISBN_CANDIDATE = re.compile(r"(97[89][\d\- ]{10,14}|[\dX][\d\- ]{8,12}[\dXx])")


def book_entry(data: dict[str, Any]) -> dict[str, Any]:
    path = data.get("file_path")
    given = data.get("book_hash") or data.get("partial_md5")
    if is_fingerprint(given):
        book_hash = given
    elif path:
        book_hash = partial_md5(path)
    else:
        raise FingerprintError("The book has neither a file path nor a fingerprint")
    authors = data.get("authors")
    if isinstance(authors, list):
        authors = ", ".join(str(a) for a in authors)
    isbn13, isbn10 = parse_isbns(data.get("identifiers"))
    return {"file_path": path, "book_hash": book_hash, "book_id": data.get("book_id"),
            "title": data.get("title") or None, "author": authors or None,
            "isbn10": data.get("isbn10") or isbn10, "isbn13": data.get("isbn13") or isbn13,
            "file_size": _size(path)}


def is_book_file(path: str) -> bool:
    """Whether KOReader would open the file as a book, by its name as KOReader decides."""
    return os.path.splitext(path.lower())[1].lstrip(".") in BOOK_EXTENSIONS


def parse_isbns(identifiers: Any) -> tuple[str | None, str | None]:
    """(isbn13, isbn10) from KOReader's identifiers text, checksums verified."""
    isbn13 = isbn10 = None
    for line in str(identifiers or "").splitlines():
        if "isbn" not in line.lower() and not line.strip()[:3].isdigit():
            continue
        for candidate in _ISBN_CANDIDATE.findall(line):
            digits = re.sub(r"[\s\-]", "", candidate).upper()
            if len(digits) == 13 and not isbn13 and _valid13(digits):
                isbn13 = digits
            elif len(digits) == 10 and not isbn10 and _valid10(digits):
                isbn10 = digits
    return isbn13, isbn10


def _valid13(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits))
    return total % 10 == 0


def _valid10(digits: str) -> bool:
    if not (digits[:9].isdigit() and (digits[9].isdigit() or digits[9] == "X")):
        return False
    values = [int(d) for d in digits[:9]] + [10 if digits[9] == "X" else int(digits[9])]
    return sum((10 - i) * v for i, v in enumerate(values)) % 11 == 0


def _size(path: str | None) -> int | None:
    try:
        return os.path.getsize(path) if path else None
    except OSError:
        return None
