"""What `booklore-sync`'s exit status tells a script, in the spirit of httpie's ExitStatus.

A script that syncs from cron wants to know whether to try again later (offline, another
sync running) or to wake a person (nothing configured, an account refused, a damaged
database) — not just "non-zero".
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class ExitStatus(IntEnum):
    OK = 0
    FAILED = 1          # the command ran and something in it failed (an item, a value)
    USAGE = 2           # the command line itself is wrong (argparse's own code)
    TRY_LATER = 3       # offline, the server unreachable, or another sync is running
    NEEDS_YOU = 4       # not configured, an account refused, a database that needs repair
    INTERRUPTED = 130   # Ctrl-C, as shells report SIGINT


_TRY_LATER = {"offline", "busy"}
_NEEDS_YOU = {"not_configured"}


def exit_status(result: dict[str, Any]) -> ExitStatus:
    """The status for a facade result: plain `ok`, or a sync report's `status`."""
    status = result.get("status")
    if result.get("needs_attention") or status in _NEEDS_YOU or result.get("needs_you"):
        return ExitStatus.NEEDS_YOU
    if status in _TRY_LATER or result.get("try_later"):
        return ExitStatus.TRY_LATER
    return ExitStatus.OK if result.get("ok") else ExitStatus.FAILED
