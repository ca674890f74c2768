"""Typed settings, auth tokens, per-server capabilities and the sync lease.

Settings are stored with their type so a value reads back exactly as written: the
password "012345" stays the string "012345" (the leading plugin guessed types and turned
it into 12345). The lease row is how one sync at a time is enforced across threads and
processes that share the file: it is claimed and released in short transactions and
never held across an HTTP call.
"""

from __future__ import annotations

import sqlite3
from typing import Any

GET_SETTING = "SELECT type, value FROM settings WHERE key = ?"
ALL_SETTINGS = "SELECT key, type, value FROM settings"
SET_SETTING = """
    INSERT INTO settings (key, type, value) VALUES (?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET type = excluded.type, value = excluded.value"""
DELETE_SETTING = "DELETE FROM settings WHERE key = ?"

GET_TOKENS = "SELECT access_token, refresh_token, login_blocked FROM auth_tokens WHERE account = ?"
SAVE_TOKENS = """
    INSERT INTO auth_tokens (account, access_token, refresh_token, updated_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (account) DO UPDATE SET access_token = excluded.access_token,
        refresh_token = excluded.refresh_token, login_blocked = NULL,
        updated_at = excluded.updated_at"""
BLOCK_LOGIN = """
    INSERT INTO auth_tokens (account, login_blocked, updated_at) VALUES (?, ?, ?)
    ON CONFLICT (account) DO UPDATE SET login_blocked = excluded.login_blocked,
        access_token = NULL, refresh_token = NULL, updated_at = excluded.updated_at"""
FORGET_ACCOUNT = "DELETE FROM auth_tokens WHERE account = ?"

#: The optional endpoints remembered per server (server/features.py), one column each.
CAPABILITIES = ("batch_sessions", "by_hash", "search", "read_back", "koreader_sessions")
GET_CAPABILITY = {name: f"SELECT {name} FROM server_capabilities WHERE server_url = ?"
                  for name in CAPABILITIES}
SET_CAPABILITY = {name: f"""
    INSERT INTO server_capabilities (server_url, {name}, checked_at) VALUES (?, ?, ?)
    ON CONFLICT (server_url) DO UPDATE SET {name} = excluded.{name},
        checked_at = excluded.checked_at""" for name in CAPABILITIES}
FORGET_CAPABILITIES = "DELETE FROM server_capabilities"

GET_LEASE = "SELECT owner, expires_at FROM sync_lease WHERE name = ?"
CLAIM_LEASE = """
    INSERT INTO sync_lease (name, owner, expires_at) VALUES (?, ?, ?)
    ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at"""
DROP_LEASE = "DELETE FROM sync_lease WHERE name = ? AND owner = ?"

_ENCODE = {bool: ("bool", lambda v: "1" if v else "0"), int: ("int", str),
           float: ("float", repr), str: ("str", str)}
_DECODE = {"bool": lambda s: s == "1", "int": int, "float": float, "str": str}


def get_setting(conn: sqlite3.Connection, key: str) -> Any:
    row = conn.execute(GET_SETTING, (key,)).fetchone()
    return None if row is None else _DECODE[row[0]](row[1])


def all_settings(conn: sqlite3.Connection) -> dict[str, Any]:
    return {key: _DECODE[kind](value) for key, kind, value in conn.execute(ALL_SETTINGS)}


def set_setting(conn: sqlite3.Connection, key: str, value: Any) -> None:
    if value is None:
        conn.execute(DELETE_SETTING, (key,))
        return
    kind, encode = _ENCODE[type(value)]
    conn.execute(SET_SETTING, (key, kind, encode(value)))


def get_tokens(conn: sqlite3.Connection, account: str) -> sqlite3.Row | None:
    return conn.execute(GET_TOKENS, (account,)).fetchone()


def save_tokens(conn, account: str, access: str | None, refresh: str | None, now: str) -> None:
    conn.execute(SAVE_TOKENS, (account, access, refresh, now))


def block_login(conn, account: str, reason: str, now: str) -> None:
    conn.execute(BLOCK_LOGIN, (account, reason, now))


def forget_account(conn: sqlite3.Connection, account: str) -> None:
    conn.execute(FORGET_ACCOUNT, (account,))


def capability(conn: sqlite3.Connection, server_url: str, name: str) -> bool | None:
    """True/False once decided for this server, None while unknown."""
    row = conn.execute(GET_CAPABILITY[name], (server_url,)).fetchone()
    return None if row is None or row[0] is None else bool(row[0])


def set_capability(conn, server_url: str, name: str, available: bool | None, now: str) -> None:
    value = None if available is None else int(available)
    conn.execute(SET_CAPABILITY[name], (server_url, value, now))


def batch_capability(conn: sqlite3.Connection, server_url: str) -> bool | None:
    return capability(conn, server_url, "batch_sessions")


def set_batch_capability(conn, server_url: str, supported: bool | None, now: str) -> None:
    set_capability(conn, server_url, "batch_sessions", supported, now)


def forget_capabilities(conn: sqlite3.Connection) -> None:
    conn.execute(FORGET_CAPABILITIES)


def lease_holder(conn: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    return conn.execute(GET_LEASE, (name,)).fetchone()


def claim_lease(conn, name: str, owner: str, expires_at: float) -> None:
    conn.execute(CLAIM_LEASE, (name, owner, expires_at))


def drop_lease(conn: sqlite3.Connection, name: str, owner: str) -> None:
    conn.execute(DROP_LEASE, (name, owner))
