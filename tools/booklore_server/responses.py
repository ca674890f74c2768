"""The response bodies the real server produces, one function per shape, so every
endpoint answers with exactly the bytes and content type a client must parse."""

from __future__ import annotations

import dataclasses
import json

from .timestamps import local_timestamp, spring_error_timestamp

JSON_TYPE = "application/json"
HTML_TYPE = "text/html;charset=UTF-8"

SPA_PAGE = (
    b"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    b"<title>BookLore</title><base href=\"/\"></head>"
    b"<body><app-root></app-root></body></html>\n"
)


@dataclasses.dataclass(frozen=True)
class Response:
    """What the handler writes: a status and a body (empty body = no Content-Type)."""

    status: int
    body: bytes = b""
    content_type: str | None = None


def json_response(status, payload):
    """A JSON body; Jackson's compact rendering."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return Response(status, text.encode("utf-8"), JSON_TYPE)


def application_error(status, message, details=None):
    """Shape A: ``{"status","message","timestamp"[,"details"]}``, timestamp zone-less."""
    payload = {"status": status, "message": message, "timestamp": local_timestamp()}
    if details is not None:
        payload["details"] = details
    return json_response(status, payload)


def security_forbidden(path):
    """Shape B: Spring Boot's ``/error`` JSON for a request the security chain refused."""
    return json_response(403, {
        "timestamp": spring_error_timestamp(),
        "status": 403,
        "error": "Forbidden",
        "path": path,
    })


def invalid_token():
    """Shape C: the JWT filter's 401 with an empty body."""
    return Response(401)


def spa_page():
    """The Angular ``index.html`` that the ``/**`` resource handler serves for unmapped GETs."""
    return Response(200, SPA_PAGE, HTML_TYPE)
