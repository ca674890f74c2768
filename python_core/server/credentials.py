"""The two BookLore accounts, the JWT pair and where the pair is kept (booklore-api.md §1).

Plain data with no HTTP, re-exported by `python_core.server.client`. Secrets stay out of every
repr so a logged object cannot leak a password, a KOReader key or a token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from python_core.settings import koreader_key_of

#: The KOReader `x-auth-key` of a password (the settings keep only this).
md5_hex = koreader_key_of


@dataclass(frozen=True)
class Credentials:
    """Where the server is and the two independent accounts used to talk to it (§1.1)."""

    server_url: str
    koreader_user: str | None = None
    koreader_key: str | None = field(default=None, repr=False)
    booklore_user: str | None = None
    booklore_password: str | None = field(default=None, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "server_url", self.server_url.strip().rstrip("/"))


@dataclass
class Tokens:
    """A BookLore JWT pair; the access token lives 10 h, the refresh token rotates on use."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)


class TokenStore(Protocol):
    """Persistent JWT state, so a restart neither logs in again nor retries a refused login."""

    def load_tokens(self) -> Tokens | None:
        """The saved pair, or None."""

    def save_tokens(self, tokens: Tokens | None) -> None:
        """Replace the pair (None forgets it). Tokens only come from a successful login or
        refresh, so saving a pair also lifts any login block."""

    def login_blocked(self) -> str | None:
        """Why a previous login with these credentials was refused, or None."""

    def block_login(self, reason: str) -> None:
        """Stop automatic logins until the user tests the connection or changes the account."""


class MemoryTokenStore:
    """The TokenStore used when none is given: the same rules, for one client's lifetime."""

    def __init__(self):
        self._tokens: Tokens | None = None
        self._blocked: str | None = None

    def load_tokens(self) -> Tokens | None:
        return self._tokens

    def save_tokens(self, tokens: Tokens | None) -> None:
        self._tokens = tokens
        if tokens is not None:
            self._blocked = None

    def login_blocked(self) -> str | None:
        return self._blocked

    def block_login(self, reason: str) -> None:
        self._blocked = reason
