"""The server's @Size limits in its own units: UTF-16 code units (Java String.length())."""

import pytest

from python_core import field_limits
from python_core.field_limits import clip, utf16_length
from python_core.reading.sessions import upload_item

EMOJI = "\U0001F600"  # one code point, two UTF-16 units


def test_length_counts_utf16_units():
    assert utf16_length("abc") == 3
    assert utf16_length("é") == 1
    assert utf16_length(EMOJI) == 2
    assert utf16_length("a" + EMOJI * 3) == 7


def test_clip_keeps_text_within_the_limit():
    assert clip("short", 500) == "short"
    assert clip("x" * 600, 500) == "x" * 500


def test_a_5600_character_highlight_with_emoji_fits_5000_units():
    """The issue's case: cutting to 5,000 code points left 5,071 units, refused for ever."""
    text = ("word " * 10 + EMOJI) * 110
    assert len(text) > 5000
    assert utf16_length(text[:5000]) > 5000  # what cutting by code points did
    cut = clip(text, field_limits.ANNOTATION_TEXT)
    assert utf16_length(cut) <= 5000 and text.startswith(cut)
    assert utf16_length(cut) >= 4999


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5])
def test_clip_never_splits_a_surrogate_pair(limit):
    cut = clip(EMOJI * 3, limit)
    assert cut == EMOJI * (limit // 2)
    cut.encode("utf-8")  # a half pair would not encode


def test_session_locations_are_cut_to_500_units():
    row = {"start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-01T00:10:00Z",
           "duration_seconds": 600, "start_progress": 1.0, "end_progress": 2.0,
           "start_location": EMOJI * 400, "end_location": "7"}
    item = upload_item(row, 2)
    assert utf16_length(item["startLocation"]) == 500
    assert item["startLocation"] == EMOJI * 250 and item["endLocation"] == "7"
