"""Instant parsing and the three timestamp renderings the real server uses.

Jackson reads ``Instant`` fields from ISO-8601 strings that carry ``Z`` or an offset
(zone-less strings are rejected) and from bare numbers as epoch seconds; responses
render ``Instant`` like Java's ``Instant.toString()``, application errors and entity
timestamps as zone-less server-local ``LocalDateTime``, and Spring's ``/error`` body
as an ISO date with offset.
"""

from __future__ import annotations

import datetime
import re

_INSTANT = re.compile(
    r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$",
    re.IGNORECASE,
)


def parse_instant(value):
    """Return an aware UTC datetime, or None when Jackson would reject ``value``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    match = _INSTANT.match(value)
    if not match:
        return None
    base, fraction, zone = match.groups()
    micros = (fraction or "").ljust(6, "0")[:6]
    zone = "+00:00" if zone.upper() == "Z" else zone
    try:
        parsed = datetime.datetime.fromisoformat(f"{base}.{micros}{zone}")
    except ValueError:
        return None
    return parsed.astimezone(datetime.timezone.utc)


def format_instant(moment, keep_fraction=True):
    """Render like ``Instant.toString()``; without fraction as a DATETIME column stores it."""
    text = moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    micros = moment.microsecond if keep_fraction else 0
    if micros == 0:
        return text + "Z"
    if micros % 1000 == 0:
        return f"{text}.{micros // 1000:03d}Z"
    return f"{text}.{micros:06d}Z"


def local_timestamp():
    """Zone-less server-local time, as ``LocalDateTime.now()`` serialises."""
    return datetime.datetime.now().isoformat()


def utc_local_timestamp(epoch_seconds):
    """A ``LocalDateTime`` column holding UTC, whole seconds, no zone (``createdAt``)."""
    moment = datetime.datetime.fromtimestamp(epoch_seconds, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def spring_error_timestamp():
    """Spring Boot ``/error`` timestamp: ISO with milliseconds and an offset."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.isoformat(timespec="milliseconds")
