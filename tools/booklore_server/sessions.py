"""Reading sessions: the single POST (202, empty body) and the fork's all-or-nothing
batch POST, with the DTO validation, the checks the service makes, and the
database constraints that reject what validation lets through."""

from .constraints import max_size, not_empty, not_null, reject_violations
from .errors import ApiError, book_not_found, data_conflict
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
from .timestamps import format_instant

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


def _store(state, user, book_id, book_type, item):
    row = {"userId": user.id, "bookId": book_id, "bookType": book_type, **item}
    row["startTime"] = format_instant(item["startTime"], keep_fraction=False)
    row["endTime"] = format_instant(item["endTime"], keep_fraction=False)
    return state.insert("sessions", row)


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
    _store(server.state, request.user, book_id, book_type, item)
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
        row = _store(server.state, request.user, book_id, book_type, item)
        results.append({"sessionId": row["id"], "startTime": format_instant(item["startTime"]),
                        "endTime": format_instant(item["endTime"])})
    return json_response(200, {"totalRequested": len(items), "successCount": len(items),
                               "results": results})
