"""KOReader's partial MD5: the book fingerprint shared by KOReader, kosync and BookLore.

BookLore matches a device's file to a library book only by this value (its
`book_file.current_hash`), so it has to agree byte for byte with KOReader's
`util.partialMD5` and the server's `FileFingerprint` for every file size. Samples of at
most 1 KiB are read at offset 0 and at 1024 * 4**i for i = 0..10; reading stops at the
first offset past the end, and a short last sample is hashed as read.
"""

from __future__ import annotations

import errno
import os

from python_core.errors import FingerprintError

SAMPLE_SIZE = 1024
SAMPLE_OFFSETS = (0,) + tuple(1024 << (2 * i) for i in range(11))


def partial_md5(path: str | os.PathLike) -> str:
    """Return the fingerprint of the file at `path` as 32 lowercase hex digits.

    Raises FingerprintError with a sentence a reader understands when the file is
    missing, is a directory or cannot be read; an empty hash is never returned.
    """
    import hashlib  # only when a book is fingerprinted: not at every start
    digest = hashlib.md5()
    try:
        with open(path, "rb") as book:
            for offset in SAMPLE_OFFSETS:
                book.seek(offset)
                sample = book.read(SAMPLE_SIZE)
                if not sample:
                    break
                digest.update(sample)
    except OSError as exc:
        raise FingerprintError(_describe(path, exc)) from None
    return digest.hexdigest()


def _describe(path: str | os.PathLike, exc: OSError) -> str:
    name = os.fspath(path)
    if exc.errno == errno.ENOENT:
        return f"Book file not found: {name}"
    if exc.errno == errno.EISDIR:
        return f"Not a book file but a folder: {name}"
    if exc.errno == errno.EACCES:
        return f"No permission to read the book file: {name}"
    return f"Cannot read the book file {name}: {exc.strerror or exc}"


def is_fingerprint(value: object) -> bool:
    """True for a well-formed fingerprint (what the queues accept as a book reference)."""
    return (
        isinstance(value, str)
        and len(value) == 32
        and all(c in "0123456789abcdef" for c in value)
    )
