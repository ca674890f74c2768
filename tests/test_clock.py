"""The one time format shared by the store and the server."""

import pytest

from python_core import clock


def test_iso_utc_requires_a_zone():
    assert clock.iso_utc("2026-02-22T14:00:00+01:00") == "2026-02-22T13:00:00Z"
    with pytest.raises(ValueError):
        clock.iso_utc("2026-02-22T14:00:00")


def test_iso_utc_drops_fractions_so_stored_and_read_back_times_compare_equal():
    assert clock.iso_utc(1772460251.75) == "2026-03-02T14:04:11Z"
    assert clock.iso_utc("2026-03-02T14:04:11.750Z") == "2026-03-02T14:04:11Z"


def test_epoch_reads_what_iso_utc_writes():
    assert clock.epoch(clock.iso_utc(1772460251)) == 1772460251
    assert clock.utc_now().endswith("Z") and len(clock.utc_now()) == 20
