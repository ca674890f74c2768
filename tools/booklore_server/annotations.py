"""Highlights and notes: annotations and v2 notes (409 on a repeated cfi for the
same book and user), v1 notes (no dedup), and bookmarks (409 on a repeated cfi).

Unknown books give 500 where the service only takes a JPA reference
(annotations, v2 notes, bookmarks) and 404 where it looks the book up (v1 notes).
"""

from __future__ import annotations

from .constraints import matches, max_size, not_blank, not_empty, not_null, reject_violations
from .errors import ApiError, book_not_found, data_conflict, unexpected
from .request_fields import int_field, long_field, read_object, string_field
from .responses import json_response
from .timestamps import local_timestamp

HEX_COLOR = r"^#[0-9A-Fa-f]{6}$"
ANNOTATION_STYLE = r"^(highlight|underline|strikethrough|squiggly)$"


def _strings(body, names):
    return {name: string_field(body, name) for name in names}


def _reject_duplicate(state, table, user, book_id, cfi, message):
    for row in state.records[table]:
        if (row["userId"], row["bookId"], row["cfi"]) == (user.id, book_id, cfi):
            raise ApiError(409, message)


def _require_book_reference(state, book_id):
    """``getReferenceById`` on a missing book fails at flush with EntityNotFoundException."""
    if book_id not in state.books:
        raise unexpected()


def _insert(state, table, row):
    now = local_timestamp()
    return state.insert(table, {**row, "createdAt": now, "updatedAt": now})


def create_annotation(server, request):
    """``POST /api/v1/annotations``."""
    body = read_object(request.body)
    book_id = long_field(body, "bookId")
    fields = _strings(body, ("cfi", "text", "color", "style", "note", "chapterTitle"))
    reject_violations(
        not_null(book_id, "bookId"),
        not_empty(fields["cfi"], "cfi"), max_size(fields["cfi"], "cfi", 1000),
        not_empty(fields["text"], "text"), max_size(fields["text"], "text", 5000),
        matches(fields["color"], "color", HEX_COLOR),
        matches(fields["style"], "style", ANNOTATION_STYLE),
        max_size(fields["note"], "note", 5000),
        max_size(fields["chapterTitle"], "chapterTitle", 500),
    )
    state = server.state
    _reject_duplicate(state, "annotations", request.user, book_id, fields["cfi"],
                      "Annotation already exists at this location")
    _require_book_reference(state, book_id)
    fields["color"] = fields["color"] or "#FFFF00"
    fields["style"] = fields["style"] or "highlight"
    row = _insert(state, "annotations", {"userId": request.user.id, "bookId": book_id,
                                         "cfi": fields.pop("cfi"), "text": fields.pop("text"),
                                         **fields})
    return json_response(200, row)


def create_note_v2(server, request):
    """``POST /api/v2/book-notes``."""
    body = read_object(request.body)
    book_id = long_field(body, "bookId")
    fields = _strings(body, ("cfi", "selectedText", "noteContent", "color", "chapterTitle"))
    reject_violations(
        not_null(book_id, "bookId"),
        not_empty(fields["cfi"], "cfi"), max_size(fields["cfi"], "cfi", 1000),
        not_empty(fields["noteContent"], "noteContent"),
        max_size(fields["selectedText"], "selectedText", 5000),
        matches(fields["color"], "color", HEX_COLOR),
        max_size(fields["chapterTitle"], "chapterTitle", 500),
    )
    state = server.state
    _reject_duplicate(state, "notes_v2", request.user, book_id, fields["cfi"],
                      "Note already exists at this location")
    _require_book_reference(state, book_id)
    fields["color"] = fields["color"] or "#FFC107"
    row = _insert(state, "notes_v2", {"userId": request.user.id, "bookId": book_id,
                                      "cfi": fields.pop("cfi"), **fields})
    return json_response(200, row)


def create_or_update_note_v1(server, request):
    """``POST /api/v1/book-notes``: creates without ``id``, updates the user's note with it."""
    body = read_object(request.body)
    note_id = long_field(body, "id")
    book_id = long_field(body, "bookId")
    title, content = string_field(body, "title"), string_field(body, "content")
    reject_violations(not_null(book_id, "bookId"), not_blank(content, "content"))
    state = server.state
    if book_id not in state.books:
        raise book_not_found(book_id)
    if note_id is None:
        row = _insert(state, "notes_v1", {"userId": request.user.id, "bookId": book_id,
                                          "title": title, "content": content})
        return json_response(200, row)
    row = next((n for n in state.records["notes_v1"]
                if n["id"] == note_id and n["userId"] == request.user.id), None)
    if row is None:
        raise unexpected()
    row.update(bookId=book_id, title=title, content=content, updatedAt=local_timestamp())
    return json_response(200, row)


def create_bookmark(server, request):
    """``POST /api/v1/bookmarks``; a null cfi never counts as a duplicate."""
    body = read_object(request.body)
    book_id = long_field(body, "bookId")
    cfi, title = string_field(body, "cfi"), string_field(body, "title")
    position_ms, track_index = long_field(body, "positionMs"), int_field(body, "trackIndex")
    reject_violations(not_null(book_id, "bookId"))
    state = server.state
    if cfi is not None:
        _reject_duplicate(state, "bookmarks", request.user, book_id, cfi,
                          "Bookmark already exists at this location")
    _require_book_reference(state, book_id)
    if (cfi and len(cfi) > 1000) or (title and len(title) > 255):
        raise data_conflict()
    row = _insert(state, "bookmarks", {
        "userId": request.user.id, "bookId": book_id, "cfi": cfi, "positionMs": position_ms,
        "trackIndex": track_index, "title": title, "color": None, "notes": None, "priority": 3})
    return json_response(200, row)
