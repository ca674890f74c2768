"""The child of test_kill_during_sync: one real sync that dies by SIGKILL where it is told.

    python -m tests.reliability.sync_child SETTINGS_DIR MODE N

MODE `checkpoint`: die at the N-th checkpoint the sync engine reports (between its
steps). MODE `mid_tx:<store function>`: die inside the N-th transaction that calls that
store function, after its SQL ran and before COMMIT. MODE `delay`: the parent kills this
process N microseconds after "ready". In every mode the child, once its sync is over,
prints "done" and waits to be killed, so each trial ends with a SIGKILL.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from python_core.facade import BookLoreSync
from python_core.store import session_queue
from python_core.sync.run import run_sync


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def die(where: str) -> None:
    say(f"killed at {where}")
    os.kill(os.getpid(), signal.SIGKILL)


def counting_killer(n: int, label: str):
    seen = {"count": 0}

    def maybe_die(step: str) -> None:
        seen["count"] += 1
        if seen["count"] == n:
            die(f"{label}:{step}#{n}")
    return maybe_die


def patch_store_function(name: str, n: int) -> None:
    """Make the N-th call of `session_queue.<name>` die after its SQL, inside the
    transaction (every store function runs in the caller's open BEGIN IMMEDIATE)."""
    real = getattr(session_queue, name)
    maybe_die = counting_killer(n, "mid_tx")

    def dying(conn, *args, **kwargs):
        result = real(conn, *args, **kwargs)
        assert conn.in_transaction
        maybe_die(name)
        return result
    setattr(session_queue, name, dying)


def main(settings_dir: str, mode: str, n: int) -> None:
    core = BookLoreSync(settings_dir)
    checkpoint = None
    if mode == "checkpoint":
        checkpoint = counting_killer(n, "checkpoint")
    elif mode.startswith("mid_tx:"):
        patch_store_function(mode.partition(":")[2], n)
    settings = core.settings()
    say("ready")
    report = run_sync(core.db, settings, lambda: core.make_client(settings),
                      checkpoint=checkpoint)
    say(f"done {report.status} synced={report.synced['sessions']}")
    time.sleep(60)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
