"""JWTs and the "login refused" memory, kept in the database per server and account.

A refused login is remembered until the account's credentials change (or the user runs
Test Connection), so automatic triggers never hammer the login endpoint: the server
locks an account out for 15 minutes after five failures.
"""

from __future__ import annotations

from python_core.clock import utc_now
from python_core.server.client import Tokens
from python_core.store import Database, config_tables


def account_key(server_url: str, username: str) -> str:
    return f"{server_url}|{username}"


class DatabaseTokenStore:
    """The client's TokenStore over the `auth_tokens` table."""

    def __init__(self, db: Database, server_url: str, username: str):
        self._db = db
        self._account = account_key(server_url, username)

    def load_tokens(self) -> Tokens | None:
        row = config_tables.get_tokens(self._db.connection(), self._account)
        if row is None or not row["access_token"]:
            return None
        return Tokens(access_token=row["access_token"], refresh_token=row["refresh_token"])

    def save_tokens(self, tokens: Tokens | None) -> None:
        access = tokens.access_token if tokens else None
        refresh = tokens.refresh_token if tokens else None
        with self._db.atomic() as tx:
            config_tables.save_tokens(tx, self._account, access, refresh, utc_now())

    def login_blocked(self) -> str | None:
        row = config_tables.get_tokens(self._db.connection(), self._account)
        return row["login_blocked"] if row is not None else None

    def block_login(self, reason: str) -> None:
        with self._db.atomic() as tx:
            config_tables.block_login(tx, self._account, reason, utc_now())

    def forget(self) -> None:
        with self._db.atomic() as tx:
            config_tables.forget_account(tx, self._account)
