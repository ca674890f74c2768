"""Sittings from KOReader's page visits: the gap, reading time, progress, known reading."""

from python_core.history.sittings import (
    SITTING_GAP_SECONDS,
    KnownSpans,
    Visit,
    new_visits,
    sittings,
)


def visits(start, pages, seconds=60, total=300):
    return [Visit(page, start + i * seconds, seconds, total) for i, page in enumerate(pages)]


def test_a_gap_of_up_to_ten_minutes_stays_in_the_sitting_a_longer_one_splits_it():
    first = visits(0, [1, 2])  # ends at 120
    kept = visits(120 + SITTING_GAP_SECONDS, [3])
    split = visits(120 + SITTING_GAP_SECONDS + 60 + SITTING_GAP_SECONDS + 1, [4])
    found = sittings(first + kept + split)
    assert [(s.start, s.turns) for s in found] == [(0, 2), (120 + 2 * SITTING_GAP_SECONDS + 61, 0)]


def test_reading_time_is_the_sum_of_visits_at_koreaders_clamp_limits():
    run = [Visit(1, 0, 5, 300), Visit(2, 5, 120, 300), Visit(3, 400, 120, 300)]
    [sitting] = sittings(run)
    assert (sitting.reading_seconds, sitting.end) == (245, 520)


def test_progress_follows_the_page_count_of_each_visits_layout():
    run = [Visit(10, 0, 60, 200), Visit(31, 60, 60, 300)]  # the font changed between them
    [sitting] = sittings(run)
    assert (sitting.start_progress, sitting.end_progress) == (4.5, 100 * 31 / 300)
    assert sittings([Visit(5, 0, 60, 0)])[0].end_progress == 0.0


def test_visits_overlapping_known_reading_are_left_out():
    known = KnownSpans([(100, 200), (150, 300), (1000, 1100)])
    run = visits(0, range(1, 21))  # 0..1200 in one-minute visits
    assert [v.start for v in new_visits(run, known)] == [
        0, 300, 360, 420, 480, 540, 600, 660, 720, 780, 840, 900, 1140]
    assert len(known) == 2 and new_visits(run, KnownSpans()) == run
