"""The library listing (`GET /api/v1/books`, booklore-api.md §2.18), read into what
matching needs: per book its id, title, authors, ISBNs and files (name and size).

Pure functions over the answer's bytes, so the rules can be tested without a network.
A list view of 10,000 books is some 7 MB of JSON with dozens of fields per book; the
decoder keeps only the few fields matching reads as it builds each object, so memory
stays at a fraction of the full tree and the whole listing decodes in well under a
second. An entry without an integer id is skipped (it could only be guessed at); a body
that is not a JSON array of books is a `BadResponse`.
"""

from __future__ import annotations

import json
import re
from typing import NamedTuple

from python_core.errors import BadResponse

#: The largest listing read: about 80,000 books in the list view. Other answers are capped
#: far lower (transport.MAX_BODY_BYTES); a device with little memory should not go higher.
MAX_LISTING_BYTES = 64 * 1024 * 1024

_KEPT = frozenset({"id", "title", "metadata", "primaryFile", "alternativeFormats",
                   "authors", "isbn13", "isbn10", "fileName", "fileSizeKb"})
_NOT_ISBN = re.compile(r"[^0-9X]")


class LibraryBook(NamedTuple):
    book_id: int
    title: str | None
    authors: tuple[str, ...]
    isbn13: str | None
    isbn10: str | None
    #: (file name, size in KiB as the server rounds it: bytes // 1024); primary file first.
    files: tuple[tuple[str, int], ...]


def parse_listing(body: bytes, status: int) -> list[LibraryBook]:
    try:
        value = json.loads(body, object_pairs_hook=_kept_fields)
    except UnicodeDecodeError:
        raise BadResponse("The server's library listing is not UTF-8 text", status) from None
    except (ValueError, RecursionError):
        raise BadResponse("The server's library listing is malformed JSON", status) from None
    if not isinstance(value, list):
        raise BadResponse("The server's library listing is not a list of books", status)
    return [book for book in map(_book, value) if book is not None]


def clean_isbn(text: object) -> str | None:
    """Digits and a final X, as the server compares them (`-` and spaces dropped)."""
    if not isinstance(text, str):
        return None
    cleaned = _NOT_ISBN.sub("", text.upper())
    return cleaned if len(cleaned) in (10, 13) else None


def _kept_fields(pairs: list[tuple[str, object]]) -> dict:
    return {key: value for key, value in pairs if key in _KEPT}


def _book(entry: object) -> LibraryBook | None:
    if not isinstance(entry, dict) or type(entry.get("id")) is not int:
        return None
    metadata = entry.get("metadata") if isinstance(entry.get("metadata"), dict) else {}
    title = metadata.get("title") or entry.get("title")
    authors = metadata.get("authors")
    files = [_file(entry.get("primaryFile"))]
    alternatives = entry.get("alternativeFormats")
    if isinstance(alternatives, list):
        files.extend(_file(item) for item in alternatives)
    return LibraryBook(
        entry["id"], title if isinstance(title, str) and title.strip() else None,
        tuple(a for a in authors if isinstance(a, str)) if isinstance(authors, list) else (),
        clean_isbn(metadata.get("isbn13")), clean_isbn(metadata.get("isbn10")),
        tuple(f for f in files if f is not None))


def _file(item: object) -> tuple[str, int] | None:
    if not isinstance(item, dict):
        return None
    name, size = item.get("fileName"), item.get("fileSizeKb")
    if not isinstance(name, str) or not name or type(size) is not int:
        return None
    return name, size
