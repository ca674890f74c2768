"""How BookLore's HTTP answers become python_core.errors exceptions and readable messages.

Pure functions over a fully read `Reply`, so the rules can be read and tested without a
network; `transport.py` is the only module that speaks HTTP and builds replies.
The server has three error-body shapes (booklore-api.md §1.5): A `{status, message,
timestamp[, details]}` from the application, B Spring's `{timestamp, status, error, path}`
from the security filters, C an empty body for a bad token. Proxies add HTML pages.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urljoin

from python_core.errors import (
    AuthError,
    BadResponse,
    BookLoreError,
    NotFound,
    Rejected,
    ServerError,
)

#: Longest server-supplied text kept in a message; a proxy can answer with a whole page.
MAX_MESSAGE_CHARS = 300
#: Most validation details kept from one answer (a batch of 1000 items can fail on each).
MAX_DETAILS = 20

_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Reply:
    """One HTTP answer, body fully read (and capped) by the client."""

    status: int
    content_type: str = ""
    body: bytes = b""
    url: str = ""  # what was requested, to resolve a relative redirect
    path: str = ""  # the API path within `url`
    location: str = ""


def raise_for_status(reply: Reply, redact: Callable[[str], str]) -> None:
    """The one translation of a non-2xx answer into an exception.

    `redact` scrubs secrets from the server's words: servers and proxies sometimes echo
    a request back.
    """
    if 200 <= reply.status < 300:
        return
    if 300 <= reply.status < 400:
        raise redirect_error(reply.status, reply.url, reply.path, redact(reply.location))
    text, details = error_text(reply.content_type, reply.body, redact)
    raise error_for_status(reply.status, text, details)


def json_body(reply: Reply, expected: type, redact: Callable[[str], str]):
    """A 2xx answer's JSON value of the expected type, or the matching exception."""
    raise_for_status(reply, redact)
    return decode_json(reply, expected)


def is_json(content_type: str) -> bool:
    """True for application/json and the +json family, whatever the parameters."""
    mime = _mime(content_type)
    return mime == "application/json" or mime.endswith("+json")


def decode_json(reply: Reply, expected: type) -> object:
    """Decode a JSON answer, refusing anything else.

    An unpatched server answers unknown GETs with its web app (200 text/html) and a
    captive portal answers with a login page, so a 2xx alone proves nothing.
    """
    status = reply.status
    if not is_json(reply.content_type):
        raise BadResponse(f"The server answered with {_kind_of_body(reply.content_type)} "
                          "instead of JSON; is the server URL right?", status)
    try:
        value = json.loads(reply.body.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadResponse("The server's JSON answer is not UTF-8 text", status) from None
    except (ValueError, RecursionError):
        raise BadResponse("The server's JSON answer is malformed", status) from None
    if not isinstance(value, expected):
        raise BadResponse(f"The server answered with a JSON {_json_kind(type(value))} "
                          f"where a JSON {_json_kind(expected)} was expected", status)
    return value


def expect_api_body(reply: Reply) -> None:
    """Accept any 2xx that is empty or JSON; a web page means a proxy or portal answered.

    A single session answers 202 with an empty body on current servers and with
    `{"sessionId": N}` on Feb 2026 fork builds (§5.7); both are success.
    """
    if reply.body.strip() and not is_json(reply.content_type):
        raise BadResponse(f"The server answered with {_kind_of_body(reply.content_type)} "
                          "instead of BookLore's API; is the server URL right?", reply.status)


def error_text(content_type: str, body: bytes,
               redact: Callable[[str], str]) -> tuple[str, tuple[str, ...]]:
    """One readable line and the validation details from an error body of any shape.

    Secrets are scrubbed before clipping, which could otherwise leave half a secret.
    """
    if not body.strip():
        return "", ()
    data = _json_object(body)
    if data is not None:
        message = data.get("message") or data.get("error") or ""
        details = data.get("details")
        kept = details[:MAX_DETAILS] if isinstance(details, list) else []
        return clip(redact(str(message))), tuple(clip(redact(str(item))) for item in kept)
    text = body.decode("utf-8", errors="replace")
    if "html" in content_type.lower() or text.lstrip().startswith("<"):
        title = _HTML_TITLE.search(text)
        return (clip(redact(html.unescape(title.group(1)))) if title else ""), ()
    return clip(redact(text)), ()


def error_for_status(status: int, text: str, details: tuple[str, ...] = ()) -> BookLoreError:
    """The exception for a 4xx/5xx (or an unknown status), with the server's own words."""
    summary = _summary(status, text, details)
    if status in (401, 403):
        return AuthError(f"Server refused access ({status}): {summary}", status)
    if status == 404:
        return NotFound(f"Not found on the server (404): {summary}", status)
    if status == 429:  # a proxy's rate limit: the same request will work later
        return ServerError(f"Server is busy (429): {summary}", status)
    if 400 <= status < 500:
        return Rejected(f"Server rejected the request ({status}): {summary}", status, details)
    if 500 <= status < 600:
        return ServerError(f"Server error ({status}): {summary}", status)
    return BadResponse(f"Unexpected answer from the server ({status}): {summary}", status)


def redirect_error(status: int, request_url: str, api_path: str, location: str) -> BadResponse:
    """Explain a 3xx instead of following it.

    Following would turn a POST into a GET and could carry credentials to another host;
    the usual cause is an http:// server URL behind an https redirect, which the user fixes
    once in the settings.
    """
    if not location:
        return BadResponse(f"The server answered with a redirect ({status}) but no target; "
                           "check the server URL", status)
    target = clip(urljoin(request_url, location))
    base = target.split("?", 1)[0]
    if api_path and base.endswith(api_path) and len(base) > len(api_path):
        return BadResponse(f"The server redirected to {target}; set the server URL to "
                           f"{base[: -len(api_path)]}", status)
    return BadResponse(f"The server redirected to {target}; check the server URL", status)


def clip(text: str) -> str:
    """Collapse whitespace and cut text that is too long to show."""
    flat = " ".join(text.split())
    if len(flat) <= MAX_MESSAGE_CHARS:
        return flat
    return flat[: MAX_MESSAGE_CHARS - 1] + "…"


def _summary(status: int, text: str, details: tuple[str, ...]) -> str:
    try:
        fallback = HTTPStatus(status).phrase
    except ValueError:
        fallback = "no explanation given"
    summary = text or fallback
    if details:
        summary = f"{summary}: {'; '.join(details)}"
    return clip(summary)


def _json_object(body: bytes) -> dict | None:
    """The body as a JSON object, or None; error bodies are read whatever their label says."""
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _mime(content_type: str) -> str:
    """`type/subtype` of a Content-Type header, lowercase, without its parameters."""
    return content_type.split(";", 1)[0].strip().lower()


def _kind_of_body(content_type: str) -> str:
    mime = _mime(content_type)
    return "a web page" if "html" in mime else (mime or "an unlabelled body")


def _json_kind(kind: type) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean",
             int: "number", float: "number", type(None): "null"}
    return names.get(kind, "value")
