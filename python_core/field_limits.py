"""The server's field limits, counted the way the server counts them.

BookLore validates text with Bean Validation `@Size(max=N)`, which measures Java's
`String.length()`: UTF-16 code units, not the code points Python's `len` counts. A
character outside the Basic Multilingual Plane (most emoji, many CJK extension
characters) is one code point but two units, so text cut to N code points can still be
too long for the server, which then refuses it with 400 on every sync for ever. Text is
therefore cut to N units here, never in the middle of a surrogate pair. MariaDB's
`VARCHAR(N)` columns count code points, which are never more than the units, so a value
within the `@Size` limit also fits its column.
"""

from __future__ import annotations

#: booklore-api.md §2.5-2.6, §2.11-2.14.
LOCATION = 500          # sessions: startLocation, endLocation
ANNOTATION_TEXT = 5000  # annotations: text, note; v2 notes: selectedText
CHAPTER_TITLE = 500     # annotations and v2 notes: chapterTitle
CFI = 1000              # annotations, v2 notes, bookmarks: cfi
NOTE_TITLE = 255        # v1 notes and bookmarks: title (a VARCHAR(255) column)

_HIGH_SURROGATES = range(0xD800, 0xDC00)


def utf16_length(text: str) -> int:
    """Java's `String.length()` of `text`."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-16 code units, keeping whole characters."""
    if len(text) * 2 <= limit or utf16_length(text) <= limit:
        return text
    units = text.encode("utf-16-le", "surrogatepass")[: 2 * limit]
    if int.from_bytes(units[-2:], "little") in _HIGH_SURROGATES:
        units = units[:-2]  # half a pair would be an invalid character
    return units.decode("utf-16-le", "surrogatepass")
