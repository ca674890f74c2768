"""The drain's items are built by SQLite (session_queue.chunk_items) and must be exactly
what reading.sessions.upload_item builds: the read-back compares what the server stored
with what upload_item says was sent, so a single bit of difference would be a duplicate."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from python_core.clock import iso_utc
from python_core.reading import sessions
from python_core.store import Database, session_queue

T0 = 1_767_225_600
PROGRESS = st.one_of(st.none(), st.floats(-10, 110, allow_nan=False),
                     st.integers(0, 100).map(lambda n: n + 0.5),  # exact ties
                     st.sampled_from([0.15, 1.65, 2.675, 12.345, 99.995, 100.0, 0.0]))
LOCATION = st.one_of(st.none(), st.text(max_size=12), st.text(min_size=240, max_size=260),
                     st.just("\U0001F600" * 260))
ROWS = st.lists(st.tuples(st.integers(0, 86_400 * 365), st.integers(-4000, 90_000),
                          st.integers(0, 90_000), PROGRESS, PROGRESS, LOCATION, LOCATION),
                min_size=1, max_size=30)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(rows=ROWS, decimals=st.integers(0, 5))
def test_sqlite_builds_the_same_item_as_python(tmp_path_factory, rows, decimals):
    db = Database(tmp_path_factory.mktemp("items") / "q.sqlite")
    with db.atomic() as tx:
        for n, (start, length, duration, sp, ep, sl, el) in enumerate(rows):
            tx.execute(
                "INSERT INTO pending_sessions (book_id, book_hash, book_type, start_time, "
                "end_time, duration_seconds, start_progress, end_progress, start_location, "
                "end_location, created_at) VALUES (1, ?, 'EPUB', ?, ?, ?, ?, ?, ?, ?, 'x')",
                (f"{n:032x}", iso_utc(T0 + start), iso_utc(T0 + start + length), duration,
                 sp, ep, sl, el))
    built = session_queue.chunk_items(db.connection(), 1, "EPUB", 0, 100, False,
                                      sessions.progress_scale(decimals))
    assert len(built) == len(rows)
    for row_id, item in built:
        row = session_queue.row(db.connection(), row_id)
        if item is None:  # left to Python: a location long enough for UTF-16 to matter
            assert max(len(row["start_location"] or ""), len(row["end_location"] or "")) > 250
            continue
        assert json.loads(item) == sessions.upload_item(row, decimals)
    db.close()


def test_a_corrupt_time_is_left_to_python(tmp_path):
    db = Database(tmp_path / "q.sqlite")
    with db.atomic() as tx:
        for n, start in enumerate(["2026-02-30T10:00:00Z", "2026-13-05T10:00:00Z",
                                   "2026-01-01T10:00:00Z"]):
            tx.execute("INSERT INTO pending_sessions (book_id, book_hash, book_type, start_time,"
                       " end_time, duration_seconds, created_at) VALUES (1, ?, 'EPUB', ?, "
                       "'2026-01-01T11:00:00Z', 60, 'x')", (f"{n:032x}", start))
    items = [item for _id, item in session_queue.chunk_items(db.connection(), 1, "EPUB", 0, 10,
                                                             False, 100.0)]
    assert items[:2] == [None, None] and items[2] is not None
    db.close()


def test_rounding_is_half_up_the_same_in_both():
    assert sessions.round_progress(12.5, 0) == 13.0 and sessions.round_progress(0.25, 1) == 0.3
    assert sessions.round_signed(-0.5, 1.0) == -1.0 and sessions.round_progress(150, 2) == 100.0
