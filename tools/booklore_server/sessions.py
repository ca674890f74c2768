"""Reading sessions: the single POST (202, empty body), the fork's all-or-nothing
batch POST, and the read-back of one book's sessions (page by page, newest first),
with the DTO validation, the checks the service makes, and the database constraints
that reject what validation lets through."""

import math
import re
import struct

from .constraints import max_size, not_empty, not_null, reject_violations
from .errors import ApiError, book_not_found, data_conflict, unexpected, validation_error
from .request_fields import (
    enum_field,
    float_field,
    instant_field,
    int_field,
    long_field,
    object_list_field,
    read_object,
    string_field,
)
from .responses import Response, json_response
from .state import BOOK_TYPES
from .timestamps import format_instant, utc_local_timestamp

LOCATION_COLUMN = 500
DURATION_FORMATTED_COLUMN = 50
BATCH_LIMIT = 1000


def _read_timing(obj):
    """Bind the fields shared by the single request and a batch item."""
    return {
        "startTime": instant_field(obj, "startTime"),
        "endTime": instant_field(obj, "endTime"),
        "durationSeconds": int_field(obj, "durationSeconds"),
        "durationFormatted": string_field(obj, "durationFormatted"),
        "startProgress": float_field(obj, "startProgress"),
        "endProgress": float_field(obj, "endProgress"),
        "progressDelta": float_field(obj, "progressDelta"),
        "startLocation": string_field(obj, "startLocation"),
        "endLocation": string_field(obj, "endLocation"),
    }


def _check_columns(item):
    """What MariaDB would refuse: ``VARCHAR(500)`` locations, ``VARCHAR(50)`` duration text."""
    for name, limit in (("startLocation", LOCATION_COLUMN), ("endLocation", LOCATION_COLUMN),
                        ("durationFormatted", DURATION_FORMATTED_COLUMN)):
        if item[name] is not None and len(item[name]) > limit:
            raise data_conflict()


def _store(server, user, book_id, book_type, item):
    row = {"userId": user.id, "bookId": book_id, "bookType": book_type, **item}
    row["startTime"] = format_instant(item["startTime"], keep_fraction=False)
    row["endTime"] = format_instant(item["endTime"], keep_fraction=False)
    row["createdAt"] = utc_local_timestamp(server.clock())
    return server.state.insert("sessions", row)


def _find_book(state, book_id):
    """FORK head answers 404 both for unknown books and for books outside the user's
    libraries; this server has one library every user belongs to."""
    if book_id not in state.books:
        raise book_not_found(book_id)


def record_one(server, request):
    """``POST /api/v1/reading-sessions``: no end-before-start check, no dedup."""
    body = read_object(request.body)
    book_id = long_field(body, "bookId")
    book_type = enum_field(body, "bookType", BOOK_TYPES)
    item = _read_timing(body)
    reject_violations(
        not_null(book_id, "bookId"),
        not_null(item["startTime"], "startTime"),
        not_null(item["endTime"], "endTime"),
        not_null(item["durationSeconds"], "durationSeconds"),
    )
    _find_book(server.state, book_id)
    if book_type is None:
        raise data_conflict()
    _check_columns(item)
    _store(server, request.user, book_id, book_type, item)
    return Response(202)


def _item_violations(index, item):
    prefix = f"sessions[{index}]"
    return (
        not_null(item["startTime"], f"{prefix}.startTime", "Start time is required"),
        not_null(item["endTime"], f"{prefix}.endTime", "End time is required"),
        not_null(item["durationSeconds"], f"{prefix}.durationSeconds", "Duration is required"),
        max_size(item["startLocation"], f"{prefix}.startLocation", LOCATION_COLUMN,
                 "Start location must not exceed 500 characters"),
        max_size(item["endLocation"], f"{prefix}.endLocation", LOCATION_COLUMN,
                 "End location must not exceed 500 characters"),
    )


def record_batch(server, request):
    """``POST /api/v1/reading-sessions/batch`` (FORK): one transaction for all items."""
    body = read_object(request.body)
    book_id = long_field(body, "bookId")
    book_type = enum_field(body, "bookType", BOOK_TYPES)
    raw_items = object_list_field(body, "sessions")
    items = [_read_timing(raw) for raw in raw_items or []]
    reject_violations(
        not_null(book_id, "bookId", "Book ID is required"),
        not_null(book_type, "bookType", "Book type is required"),
        not_empty(raw_items, "sessions", "Sessions list cannot be empty"),
        max_size(raw_items, "sessions", BATCH_LIMIT),
        *(detail for i, item in enumerate(items) for detail in _item_violations(i, item)),
    )
    _find_book(server.state, book_id)
    if any(item["endTime"] < item["startTime"] for item in items):
        raise ApiError(400, "End time must be after start time")
    for item in items:
        _check_columns(item)
    results = []
    for item in items:
        row = _store(server, request.user, book_id, book_type, item)
        results.append({"sessionId": row["id"], "startTime": format_instant(item["startTime"]),
                        "endTime": format_instant(item["endTime"])})
    return json_response(200, {"totalRequested": len(items), "successCount": len(items),
                               "results": results})


# -- read-back: GET /api/v1/reading-sessions/book/{bookId}?page=&size= -------------------

PAGE_SIZE_DEFAULT = 5
PAGE_SIZE_MAX = 100
_PARAMETER_PREFIX = "getReadingSessionsForBook"


def _int_parameter(query, name, default):
    """A ``@RequestParam int``: empty means the default; text that is no int is a type
    mismatch, which falls through to the catch-all 500."""
    text = query.get(name, "")
    if text == "":
        return default
    if not re.fullmatch(r"[+-]?\d{1,10}", text.strip()):
        raise unexpected()
    number = int(text)
    if not -(2 ** 31) <= number < 2 ** 31:
        raise unexpected()
    return number


def _page_violations(page, size):
    details = []
    if page < 0:
        details.append(f"{_PARAMETER_PREFIX}.page: must be greater than or equal to 0")
    if size < 1:
        details.append(f"{_PARAMETER_PREFIX}.size: must be greater than or equal to 1")
    if size > PAGE_SIZE_MAX:
        details.append(f"{_PARAMETER_PREFIX}.size: must be less than or equal to {PAGE_SIZE_MAX}")
    return details


def java_float(value):
    """A number as Jackson writes a Java ``Float``: rounded to 32 bits, then the shortest
    decimal that reads back as the same float (``Float.toString``)."""
    if value is None:
        return None
    single = struct.unpack("f", struct.pack("f", value))[0]
    if not math.isfinite(single):
        return single
    for digits in range(1, 10):
        text = f"{single:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == single:
            return float(text)
    return single


def _session_dto(server, row):
    book = server.state.books.get(row["bookId"])
    return {
        "id": row["id"], "bookId": row["bookId"], "bookTitle": book.title if book else None,
        "bookType": row["bookType"], "startTime": row["startTime"], "endTime": row["endTime"],
        "durationSeconds": row["durationSeconds"],
        "startProgress": java_float(row["startProgress"]),
        "endProgress": java_float(row["endProgress"]),
        "progressDelta": java_float(row["progressDelta"]),
        "startLocation": row["startLocation"], "endLocation": row["endLocation"],
        "createdAt": row["createdAt"],
    }


def list_for_book(server, request, book_id):
    """The caller's own sessions of one book, ``ORDER BY startTime DESC``, as a Spring
    ``Page`` serialised VIA_DTO. Parameters are validated before the book is looked up;
    the lookup is ``findById`` only (no library-access check)."""
    page = _int_parameter(request.query, "page", 0)
    size = _int_parameter(request.query, "size", PAGE_SIZE_DEFAULT)
    if not re.fullmatch(r"-?\d{1,18}", book_id):
        raise unexpected()
    violations = _page_violations(page, size)
    if violations:
        raise validation_error(violations)
    wanted = int(book_id)
    if wanted not in server.state.books:
        raise book_not_found(wanted)
    rows = [row for row in server.state.records["sessions"]
            if row["bookId"] == wanted and row["userId"] == request.user.id]
    rows.sort(key=lambda row: row["startTime"], reverse=True)
    chosen = rows[page * size:(page + 1) * size]
    return json_response(200, {
        "content": [_session_dto(server, row) for row in chosen],
        "page": {"size": size, "number": page, "totalElements": len(rows),
                 "totalPages": math.ceil(len(rows) / size)},
    })
