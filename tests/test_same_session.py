"""One rule for "the server already holds this sitting", shared by the sessions phase and
the history import."""

from python_core.reading.same_session import StoredSessions, same_session

SENT = {"startTime": "2026-03-02T19:04:11Z", "endTime": "2026-03-02T19:40:02Z",
        "durationSeconds": 2151, "startProgress": 12.5, "endProgress": 18.27}


def stored(**changes):
    return {**SENT, "id": 7, **changes}


def test_the_same_times_and_float_rounded_progress_match():
    # 18.27 as a Java Float prints as 18.27 but is 18.270000457763672 as a double
    assert same_session(SENT, stored(endProgress=18.270000457763672))


def test_any_difference_in_timing_is_another_session():
    assert not same_session(SENT, stored(startTime="2026-03-02T19:04:12Z"))
    assert not same_session(SENT, stored(endTime="2026-03-02T19:40:03Z"))
    assert not same_session(SENT, stored(durationSeconds=2150))


def test_progress_beyond_float_precision_is_another_session():
    assert not same_session(SENT, stored(startProgress=12.6))
    assert not same_session(SENT, stored(endProgress=18.28))


def test_a_progress_the_server_does_not_hold_does_not_count_against_a_match():
    assert same_session(SENT, stored(startProgress=None, endProgress=None))


def test_each_stored_copy_matches_one_local_session_only():
    index = StoredSessions([stored(), stored(startTime="2026-03-02T18:00:00Z")])
    assert len(index) == 2
    assert index.take(SENT)["id"] == 7
    assert index.take(SENT) is None
    assert len(index) == 1


def test_take_skips_a_same_timed_copy_with_other_progress():
    index = StoredSessions([stored(id=1, endProgress=50.0), stored(id=2)])
    assert index.take(SENT)["id"] == 2
    assert index.take(SENT) is None
