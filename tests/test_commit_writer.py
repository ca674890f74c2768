"""The sessions phase's commit thread (sync/commit_writer.py) and the drain built on it:
order, grouping, errors, and no mark left behind."""

import threading
import time

import pytest

from python_core.store import Database
from python_core.sync import commit_writer
from python_core.sync.commit_writer import CommitWriter


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "db.sqlite")
    yield database
    database.close()


def note(value):
    def job(tx):
        tx.execute("INSERT INTO settings (key, type, value) VALUES (?, 'str', ?)",
                   (f"k{value}", str(value)))
        return value
    return job


def keys(db):
    return [r[0] for r in db.connection().execute("SELECT value FROM settings ORDER BY rowid")]


def test_jobs_commit_in_the_order_submitted_on_a_connection_of_their_own(db):
    threads = []
    with CommitWriter(db) as writer:
        tickets = [writer.submit([note(n), lambda tx: threads.append(threading.get_ident())])
                   for n in range(5)]
        assert [t.wait() for t in tickets] == [None] * 5
    assert keys(db) == ["0", "1", "2", "3", "4"]
    assert set(threads) != {threading.get_ident()}
    assert len(db._connections) == 1  # the writer's connection closed with its thread


def test_work_nobody_waits_for_is_grouped_and_an_urgent_job_takes_it_along(db, monkeypatch):
    monkeypatch.setattr(commit_writer, "MAX_DELAY", 5.0)
    commits = []
    with CommitWriter(db) as writer:
        for n in range(3):
            writer.submit([note(n)], urgent=False, after=[lambda n=n: commits.append(n)])
        time.sleep(0.1)
        assert commits == [] and keys(db) == []  # waiting for company
        assert writer.submit([note(9)]).wait() == 9
        assert commits == [0, 1, 2] and keys(db) == ["0", "1", "2", "9"]


def test_lone_background_work_is_committed_after_max_delay(db, monkeypatch):
    monkeypatch.setattr(commit_writer, "MAX_DELAY", 0.05)
    with CommitWriter(db) as writer:
        ticket = writer.submit([note(1)], urgent=False)
        assert ticket.wait() == 1


def test_a_failed_job_rolls_back_its_group_and_stops_all_later_work(db):
    def boom(tx):
        raise RuntimeError("disk on fire")
    with CommitWriter(db) as writer:
        writer.submit([note(1)], urgent=False)
        failed = writer.submit([boom])
        with pytest.raises(RuntimeError):
            failed.wait()
        with pytest.raises(RuntimeError):
            writer.check()
        with pytest.raises(RuntimeError):
            writer.submit([note(2)]).wait()
        with pytest.raises(RuntimeError):
            writer.flush()
    assert keys(db) == []


def test_before_runs_outside_the_transaction_and_each_ticket_keeps_its_own(db, monkeypatch):
    monkeypatch.setattr(commit_writer, "MAX_DELAY", 5.0)
    seen = []
    with CommitWriter(db) as writer:
        first_built, second_built = [], []
        hold = writer.submit([note(0)], urgent=False)  # keeps the next two in one group
        first = writer.submit(
            [lambda tx: list(first_built)], urgent=False,
            before=lambda: (seen.append(db.connection().in_transaction), first_built.append(1)))
        second = writer.submit(
            [lambda tx: list(second_built)],
            before=lambda: (seen.append(db.connection().in_transaction), second_built.append(2)))
        assert (hold.wait(), first.wait(), second.wait()) == (0, [1], [2])
    assert seen == [False, False]
