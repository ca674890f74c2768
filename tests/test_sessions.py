"""Session validation (product.md §4) and the normalised upload item (§7.4)."""

import pytest

from python_core.reading import sessions
from python_core.settings import with_defaults

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


def judge(**raw):
    settings = with_defaults(raw.pop("settings", {}))
    base = {"start_time": T0, "end_time": T0 + 300, "pages_read": 10}
    return sessions.judge({**base, **raw}, settings)


def test_duration_mode_keeps_a_long_enough_session_with_a_page_turn():
    assert judge().keep


def test_duration_mode_rejects_a_short_session():
    verdict = judge(end_time=T0 + 29)
    assert not verdict.keep and "shorter than 30 s" in verdict.reason


def test_duration_mode_needs_a_page_turn():
    verdict = judge(pages_read=0)
    assert not verdict.keep and verdict.reason == "no page was turned"


def test_pages_mode_counts_pages_not_time():
    pages = {"detection_mode": "pages", "min_pages": 5}
    assert judge(settings=pages, end_time=T0 + 5, pages_read=5).keep
    assert not judge(settings=pages, end_time=T0 + 3000, pages_read=4).keep


def test_end_before_start_is_rejected():
    verdict = judge(end_time=T0 - 1)
    assert not verdict.keep and "ends before it starts" in verdict.reason


def test_clock_jump_is_rejected():
    assert not judge(end_time=T0 + 25 * 3600, last_activity_time=T0 + 25 * 3600).keep


def test_idle_gap_ends_the_session_at_the_last_page_turn():
    verdict = judge(end_time=T0 + 9 * 3600, last_activity_time=T0 + 1200)
    assert verdict.keep and verdict.end_time == T0 + 1200


def test_idle_gap_below_the_cap_keeps_the_real_end():
    verdict = judge(end_time=T0 + 1700, last_activity_time=T0 + 1000)
    assert verdict.end_time == T0 + 1700


@pytest.mark.parametrize("path, kind", [
    ("a.epub", "EPUB"), ("B.PDF", "PDF"), ("c.cbz", "CBX"), ("c.cbr", "CBX"),
    ("d.fb2", "FB2"), ("d.fb2.zip", "FB2"), ("e.mobi", "MOBI"), ("f.azw3", "AZW3"),
    ("g.djvu", "PDF"), ("h.txt", "EPUB"), ("noext", "EPUB"),
])
def test_book_type_from_extension(path, kind):
    assert sessions.book_type_for(path) == kind


def row(**values):
    base = {"start_time": "2026-01-01T10:00:00Z", "end_time": "2026-01-01T10:30:00Z",
            "duration_seconds": 1800, "start_progress": 10.123456, "end_progress": 12.987654,
            "start_location": "12", "end_location": "20"}
    return {**base, **values}


def test_upload_item_shape_and_rounding():
    item = sessions.upload_item(row(), decimals=2)
    assert item == {
        "startTime": "2026-01-01T10:00:00Z", "endTime": "2026-01-01T10:30:00Z",
        "durationSeconds": 1800, "durationFormatted": "30m 0s",
        "startProgress": 10.12, "endProgress": 12.99, "progressDelta": 2.87,
        "startLocation": "12", "endLocation": "20",
    }


def test_delta_is_computed_from_rounded_values():
    item = sessions.upload_item(row(start_progress=0.4, end_progress=1.4), decimals=0)
    assert (item["startProgress"], item["endProgress"], item["progressDelta"]) == (0, 1, 1)


def test_progress_is_clamped_and_locations_truncated():
    item = sessions.upload_item(row(start_progress=-3, end_progress=140,
                                    end_location="x" * 900, start_location=None), decimals=2)
    assert (item["startProgress"], item["endProgress"]) == (0.0, 100.0)
    assert len(item["endLocation"]) == 500 and item["startLocation"] == ""


def test_end_before_start_is_normalised_not_sent_broken():
    item = sessions.upload_item(row(end_time="2026-01-01T09:00:00Z"), decimals=2)
    assert item["endTime"] == item["startTime"]


@pytest.mark.parametrize("seconds, text", [(7, "7s"), (245, "4m 5s"), (3723, "1h 2m 3s")])
def test_duration_formatted_like_the_web_reader(seconds, text):
    assert sessions.format_duration(seconds) == text


def test_server_book_type_is_always_an_allowed_value():
    assert sessions.server_book_type("epub") == "EPUB"
    assert sessions.server_book_type("DJVU") == "EPUB"
    assert sessions.server_book_type(None) == "EPUB"

