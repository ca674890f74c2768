"""Test Connection: can this device talk to this server, with which accounts and features?

It checks the server is reachable, both accounts (a BookLore login is tried once, on the
user's request, which also lifts a remembered "login refused"), and whether the server has
the by-hash and batch endpoints. What it learns about the batch endpoint replaces what
the sync engine remembered for this server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from python_core.clock import utc_now
from python_core.errors import AuthError, BookLoreError, Unreachable
from python_core.server.token_store import DatabaseTokenStore
from python_core.store import Database, config_tables

PROBE_HASH = "0" * 32
BATCH_PROBE = {"bookId": 0, "bookType": "EPUB", "sessions": []}


def test_connection(db: Database, settings: dict[str, Any],
                    make_client: Callable[[], Any]) -> dict[str, Any]:
    if not settings["server_url"]:
        return {"ok": False, "text": "Set the server URL first."}
    with make_client() as client:
        return _checks(db, settings, client)


def _checks(db: Database, settings: dict[str, Any], client) -> dict[str, Any]:
    lines, ok = [], True
    try:
        version = (client.healthcheck().get("data") or {}).get("version") or "unknown version"
    except Unreachable as exc:
        return {"ok": False, "text": f"Cannot reach the server.\n{exc}"}
    except BookLoreError as exc:
        return {"ok": False, "text": f"The server did not answer like BookLore.\n{exc}"}
    lines.append(f"Server: reachable ({version})")
    if settings["username"]:
        ok &= _check(lines, "KOReader account", client.check_koreader_auth)
        features = _features(client)
        lines.extend(features["lines"])
        with db.atomic() as tx:
            config_tables.set_batch_capability(tx, settings["server_url"], features["batch"],
                                               utc_now())
    else:
        lines.append("KOReader account: not set (needed to find books by fingerprint)")
    if settings["booklore_username"]:
        DatabaseTokenStore(db, settings["server_url"], settings["booklore_username"]).forget()
        ok &= _check(lines, "BookLore account", client.login)
    else:
        lines.append("BookLore account: not set (needed for ratings, notes and search)")
    return {"ok": bool(ok), "text": "\n".join(lines)}


def _check(lines: list[str], label: str, call) -> bool:
    try:
        call()
    except AuthError as exc:
        lines.append(f"{label}: refused ({exc})")
        return False
    except BookLoreError as exc:
        lines.append(f"{label}: could not be checked ({exc})")
        return False
    lines.append(f"{label}: OK")
    return True


def _features(client) -> dict[str, Any]:
    """404 JSON to an unknown hash = by-hash exists; 400 JSON to an empty batch = the
    batch endpoint exists and validated it. Web pages, 403, 404, 405, 5xx = missing."""
    try:
        hash_status, hash_json = client.probe("by_hash", hash=PROBE_HASH)
        batch_status, batch_json = client.probe("batch", BATCH_PROBE)
    except BookLoreError as exc:
        return {"batch": None, "lines": [f"Server features: could not be checked ({exc})"]}
    by_hash = hash_status == 404 and hash_json
    batch = batch_status == 400 and batch_json
    return {"batch": batch, "lines": [
        f"Find books by fingerprint: {'available' if by_hash else 'not available on this server'}",
        f"Batch upload: {'available' if batch else 'not available (uploads one by one)'}",
    ]}
