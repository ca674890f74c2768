"""One sync at a time across threads and processes; a dead holder never blocks for long."""

import subprocess
import sys
import textwrap

from python_core.store import Database, config_tables
from python_core.sync.single_flight import single_flight

HOLD_LEASE = textwrap.dedent("""
    import sys, time
    from python_core.sync.single_flight import single_flight
    from python_core.store import Database
    db = Database(sys.argv[1])
    with single_flight(db) as lease:
        print("held" if lease else "busy", flush=True)
        sys.stdin.readline()
""")


def test_second_claim_in_the_same_process_is_refused(tmp_path):
    db = Database.in_settings_dir(tmp_path)
    with single_flight(db) as first:
        with single_flight(db) as second:
            assert first is not None and second is None
    with single_flight(db) as again:
        assert again is not None
    db.close()


def test_a_lease_held_by_another_process_is_respected(tmp_path):
    db = Database.in_settings_dir(tmp_path)
    child = subprocess.Popen([sys.executable, "-c", HOLD_LEASE, str(db.path)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "held"
        with single_flight(db) as lease:
            assert lease is None
    finally:
        child.communicate("done\n", timeout=10)
    with single_flight(db) as lease:
        assert lease is not None
    db.close()


def test_a_lease_of_a_killed_process_is_taken_over(tmp_path):
    db = Database.in_settings_dir(tmp_path)
    child = subprocess.Popen([sys.executable, "-c", HOLD_LEASE, str(db.path)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "held"
    child.kill()
    child.wait(10)
    assert config_tables.lease_holder(db.connection(), "sync") is not None
    with single_flight(db) as lease:
        assert lease is not None
    db.close()


def test_an_expired_lease_of_another_host_is_taken_over(tmp_path):
    db = Database.in_settings_dir(tmp_path)
    with db.atomic() as tx:
        config_tables.claim_lease(tx, "sync", "other-host:1:abc", expires_at=0.0)
    with single_flight(db) as lease:
        assert lease is not None
    with db.atomic() as tx:
        config_tables.claim_lease(tx, "sync", "other-host:1:abc", expires_at=4e9)
    with single_flight(db) as lease:
        assert lease is None
    db.close()
