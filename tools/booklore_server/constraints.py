"""Bean Validation constraints, each returning a ``"field: message"`` detail or None.

Messages are the DTO's own where the spec quotes one, otherwise Hibernate
Validator's English defaults. ``reject_violations`` turns the collected details
into one 400 "Validation error", as Spring does for an ``@Valid`` body.
"""

import re

from .errors import validation_error


def not_null(value, field, message="must not be null"):
    return f"{field}: {message}" if value is None else None


def not_empty(value, field, message="must not be empty"):
    return f"{field}: {message}" if value is None or len(value) == 0 else None


def not_blank(value, field, message="must not be blank"):
    return f"{field}: {message}" if value is None or not value.strip() else None


def java_length(value):
    """``String.length()`` counts UTF-16 code units (an emoji is two); ``size()`` of a
    list counts its elements."""
    if isinstance(value, str):
        return len(value.encode("utf-16-le", "surrogatepass")) // 2
    return len(value)


def max_size(value, field, limit, message=None):
    if value is None or java_length(value) <= limit:
        return None
    return f"{field}: {message or f'size must be between 0 and {limit}'}"


def matches(value, field, regexp):
    if value is None or re.fullmatch(regexp, value):
        return None
    return f'{field}: must match "{regexp}"'


def reject_violations(*details):
    """Raise 400 "Validation error" if any detail is set."""
    found = [detail for detail in details if detail]
    if found:
        raise validation_error(found)
