"""Reading request bodies the way Jackson binds them to BookLore's DTOs.

Binding errors (bad JSON, a wrong type, an unknown enum constant, a zone-less date,
an int out of range) raise 400 "Request body is missing or malformed." before any
validation runs. Jackson's default scalar coercions are kept: numbers into String
fields become text, numeric strings into number fields become numbers, floats into
integer fields are truncated, and unknown fields are ignored.
"""

import json

from .errors import malformed_body
from .timestamps import parse_instant

INT_RANGE = (-(2 ** 31), 2 ** 31 - 1)
LONG_RANGE = (-(2 ** 63), 2 ** 63 - 1)


def read_object(body):
    """The body as a JSON object; anything else is a binding error."""
    try:
        value = json.loads(body.decode("utf-8")) if body else None
    except ValueError:
        raise malformed_body() from None
    if not isinstance(value, dict):
        raise malformed_body()
    return value


def _integer(value, value_range):
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise malformed_body()
    try:
        number = int(value) if not isinstance(value, str) else int(value.strip())
    except (ValueError, OverflowError):
        raise malformed_body() from None
    if not value_range[0] <= number <= value_range[1]:
        raise malformed_body()
    return number


def long_field(obj, name):
    """A Java ``Long`` field."""
    return _integer(obj.get(name), LONG_RANGE)


def int_field(obj, name):
    """A Java ``Integer`` field (the DTOs' durations, ratings, track indexes)."""
    return _integer(obj.get(name), INT_RANGE)


def float_field(obj, name):
    """A Java ``Float`` field (progress values)."""
    value = obj.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise malformed_body()
    try:
        return float(value)
    except ValueError:
        raise malformed_body() from None


def string_field(obj, name):
    """A Java ``String`` field; scalars are coerced to their text."""
    value = obj.get(name)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    raise malformed_body()


def instant_field(obj, name):
    """A Java ``Instant`` field, as an aware UTC datetime."""
    value = obj.get(name)
    if value is None:
        return None
    moment = parse_instant(value)
    if moment is None:
        raise malformed_body()
    return moment


def enum_field(obj, name, constants):
    """A Java enum field: the constant's exact (case-sensitive) name."""
    value = obj.get(name)
    if value is None:
        return None
    if value not in constants:
        raise malformed_body()
    return value


def long_list_field(obj, name):
    """A ``List<Long>`` field."""
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, list):
        raise malformed_body()
    return [_integer(item, LONG_RANGE) for item in value]


def object_list_field(obj, name):
    """A list of nested DTOs; each element must be a JSON object."""
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise malformed_body()
    return value
