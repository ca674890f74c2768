"""Wall-clock time as the store and the server write it: UTC, whole seconds, with a `Z`.

One format everywhere, so a time stored locally compares equal to the same time read back
from the server (booklore-api.md §2.17 drops fractional seconds).
"""

from __future__ import annotations

from datetime import datetime, timezone

_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime(_FORMAT)


def iso_utc(value: float | str) -> str:
    """Epoch seconds or an ISO string with a zone → 'YYYY-MM-DDTHH:MM:SSZ'."""
    if isinstance(value, str):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            raise ValueError(f"time '{value}' has no time zone")
    else:
        moment = datetime.fromtimestamp(float(value), tz=timezone.utc)
    return moment.astimezone(timezone.utc).strftime(_FORMAT)


def epoch(value: float | str) -> float:
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    return float(value)
