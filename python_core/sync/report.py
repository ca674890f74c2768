"""What one sync did, as plain data, and the summary sentence shown to the reader."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum

KINDS = ("sessions", "annotations", "ratings")
SINGULAR = {"sessions": "session", "annotations": "annotation", "ratings": "rating"}


class SyncStatus(str, Enum):
    """How a sync ended, as the plugin, the CLI's exit status and the JSON report see it."""

    DONE = "done"                      # it ran (some items may still have failed)
    NOTHING = "nothing"                # every queue was empty
    OFFLINE = "offline"                # no network, or it went away: nothing more was sent
    BUSY = "busy"                      # another sync holds the lease
    NOT_CONFIGURED = "not_configured"  # no server URL or no account

    def __str__(self) -> str:
        return self.value


@dataclass
class SyncReport:
    status: SyncStatus = SyncStatus.DONE
    synced: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    failed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    waiting: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    messages: list[str] = field(default_factory=list)
    resolved_books: int = 0
    #: Sessions sent whose answer was lost (or whose sync died): the server may hold them.
    unconfirmed: int = 0
    #: Sessions in doubt that the read-back found on the server: moved to the history
    #: without being sent again (counted in `synced` too).
    found_on_server: int = 0
    #: Sessions in doubt left queued this time because the server could not be read back.
    held_back: int = 0
    requests: int = 0
    #: The reader must act (an account was refused): automatic syncs speak up only then.
    needs_attention: bool = False

    def note(self, message: str) -> None:
        if message not in self.messages:
            self.messages.append(message)

    @property
    def ok(self) -> bool:
        return (self.status in (SyncStatus.DONE, SyncStatus.NOTHING)
                and not any(self.failed.values()))

    def summary(self) -> str:
        """One toast: what was synced and what failed (both always, as the reader's page
        promises; "Failed: 0" too), then why, in the reader's words. Only a sync that did
        not run says so instead: nothing was queued, or another sync is running."""
        if self.status == SyncStatus.NOTHING:
            return "Nothing to sync"
        if self.status == SyncStatus.BUSY:
            return "Sync already running"
        lines = [_count_line("Synced", self.synced) or "Synced: 0"]
        failed = _count_line("Failed", self.failed)
        lines.append(failed + " (kept in the queue, retried next sync)" if failed
                     else "Failed: 0")
        lines.extend(self.messages)
        return "\n".join(lines)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["status"] = SyncStatus(self.status).value  # plain text across the bridge
        data["ok"] = self.ok
        data["summary"] = self.summary()
        return data


def _count_line(label: str, counts: dict[str, int]) -> str:
    parts = [
        f"{n} {kind if n != 1 else SINGULAR[kind]}" for kind, n in counts.items() if n
    ]
    return f"{label}: {', '.join(parts)}" if parts else ""
