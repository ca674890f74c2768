"""What the headless reader needs to know about a book it opens, as plain data.

KOReader learns these from the file (crengine/mupdf metadata) and from its own sidecar;
the host takes them from the caller instead, with KOReader's defaults: paged documents
are told apart by extension, and the `partial_md5_checksum` KOReader stores at first open
is computed from the file when it exists.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

#: Extensions KOReader opens with a paging (fixed-layout) engine; the rest reflow.
PAGED_EXTENSIONS = frozenset({".pdf", ".cbz", ".cbr", ".cbt", ".cb7", ".djvu", ".djv", ".xps"})


def book_spec(
    path: str | os.PathLike,
    *,
    title: str | None = None,
    authors: str | Sequence[str] | None = None,
    identifiers: str | Sequence[str] | None = None,
    pages: int = 100,
    page: int | None = None,
    has_pages: bool | None = None,
    rating: int | None = None,
    status: str | None = None,
    annotations: list[dict] | None = None,
) -> dict[str, Any]:
    """The book as the Lua reader takes it (None values are simply left out in Lua)."""
    if pages < 1:
        raise ValueError("a book has at least one page")
    file = os.path.abspath(os.fspath(path))
    if has_pages is None:
        has_pages = os.path.splitext(file)[1].lower() in PAGED_EXTENSIONS
    return {
        "file": file,
        "title": title,
        "authors": _joined(authors),
        "identifiers": _joined(identifiers),
        "pages": pages,
        "page": page,
        "has_pages": has_pages,
        "rating": rating,
        "status": status,
        "annotations": annotations,
        "partial_md5": koreader_partial_md5(file) if os.path.isfile(file) else None,
    }


def _joined(values: str | Sequence[str] | None) -> str | None:
    """KOReader gives multi-valued metadata (authors, identifiers) as one "\\n"-joined string."""
    if values is None or isinstance(values, str):
        return values
    return "\n".join(values)


def koreader_partial_md5(path: str) -> str:
    """KOReader's partialMD5, as KOReader itself stores it (koreader-host.md §7).

    The host plays KOReader here, so it does not borrow the core's implementation: the
    value in doc settings stays an independent reference for the core's own fingerprint.
    """
    import hashlib  # only when a book is fingerprinted: not at every start
    digest = hashlib.md5()
    with open(path, "rb") as book:
        for i in range(-1, 11):
            book.seek(0 if i == -1 else 1024 << (2 * i))
            sample = book.read(1024)
            if not sample:
                break
            digest.update(sample)
    return digest.hexdigest()
