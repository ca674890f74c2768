"""Test Connection: can this device talk to this server, with which accounts, and what
does the server offer (and so what will the reader get)?

It checks the server is reachable and its version (the public healthcheck), both accounts
(a BookLore login is tried once, on the user's request, which also lifts a remembered
"login refused"), then decides every optional endpoint afresh (`features.py`), replacing
what the sync engine remembered for this server, and with the BookLore account fetches the
library listing, which also refreshes the copy matching uses. Each offer is reported with
the account it needs and what it means for the reader, in the plugin and as
`booklore-sync test-connection`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from python_core.clock import utc_now
from python_core.errors import AuthError, BookLoreError, Unreachable
from python_core.server import features
from python_core.server.token_store import DatabaseTokenStore
from python_core.store import Database, library_listing

LISTING = "library_listing"
KOREADER, BOOKLORE, EITHER = "KOReader account", "BookLore account", "either account"


class Offer(NamedTuple):
    label: str
    account: str
    if_there: str
    if_missing: str


OFFERS = {
    features.BATCH: Offer(
        "Batch upload", EITHER, "up to 100 sessions per request",
        "uploads one session per request"),
    features.BY_HASH: Offer(
        "Find books by fingerprint", KOREADER, "books are matched by their file's fingerprint",
        "books are matched by ISBN or file name from the library listing"),
    features.SEARCH: Offer(
        "Search by ISBN and title", BOOKLORE, "matching searches the server",
        "matching uses the library listing, ranked on this device"),
    LISTING: Offer(
        "Library listing", BOOKLORE, "books found by ISBN or file name when needed",
        "books cannot be matched by ISBN or file name"),
    features.READ_BACK: Offer(
        "Read-back of stored sessions", BOOKLORE,
        "uploads are exactly once: a session whose answer was lost is looked up on the "
        "server before it is sent again",
        "a session whose answer was lost is sent again and may be stored twice"),
}
EXACTLY_ONCE_HINT = ("set the BookLore account to make uploads exactly once (a session "
                     "whose answer was lost is then looked up before it is sent again)")


def test_connection(db: Database, settings: dict[str, Any],
                    make_client: Callable[[], Any]) -> dict[str, Any]:
    if not settings["server_url"]:
        return {"ok": False, "text": "Set the server URL first."}
    with make_client() as client:
        return _checks(db, settings, client)


def _checks(db: Database, settings: dict[str, Any], client) -> dict[str, Any]:
    try:
        version = (client.healthcheck().get("data") or {}).get("version") or "unknown version"
    except Unreachable as exc:
        return {"ok": False, "status": "offline", "text": f"Cannot reach the server.\n{exc}"}
    except BookLoreError as exc:
        return {"ok": False, "text": f"The server did not answer like BookLore.\n{exc}"}
    lines = [f"Server: reachable ({version})"]
    accounts = {KOREADER: bool(settings["username"]), BOOKLORE: bool(settings["booklore_username"])}
    ok = True
    if accounts[KOREADER]:
        ok &= _check(lines, KOREADER, client.check_koreader_auth)
    else:
        lines.append(f"{KOREADER}: not set")
    if accounts[BOOKLORE]:
        DatabaseTokenStore(db, settings["server_url"], settings["booklore_username"]).forget()
        accounts[BOOKLORE] = _check(lines, BOOKLORE, client.login)
        ok &= accounts[BOOKLORE]
    else:
        lines.append(f"{BOOKLORE}: not set")
    client.forget_features()
    offers = {name: _offer(db, settings, client, name, accounts) for name in OFFERS}
    lines.extend(_line(name, offer) for name, offer in offers.items())
    return {"ok": bool(ok), "needs_you": not ok, "version": version, "offers": offers,
            "text": "\n".join(lines)}


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


def _offer(db: Database, settings: dict[str, Any], client, name: str,
           accounts: dict[str, bool]) -> dict[str, Any]:
    """{available: True/False/None, account, meaning, detail} for one offer."""
    offer = OFFERS[name]
    usable = any(accounts.values()) if offer.account == EITHER else accounts[offer.account]
    result = {"available": None, "account": offer.account, "meaning": "", "detail": ""}
    if not usable:
        result["detail"] = f"needs the {offer.account}"
        if name == features.READ_BACK:
            result["meaning"] = EXACTLY_ONCE_HINT
        return result
    try:
        if name == LISTING:
            result["detail"] = f"{_refresh_listing(db, settings, client):,} books"
            result["available"] = True
        else:
            result["available"] = client.has(name)
    except BookLoreError as exc:
        result["detail"] = f"could not be checked ({exc})"
        return result
    if result["available"] is None:
        result["detail"] = result["detail"] or "could not be told this time"
        return result
    result["meaning"] = offer.if_there if result["available"] else offer.if_missing
    if name == features.BY_HASH and not result["available"] and not accounts[BOOKLORE]:
        result["meaning"] = "set the BookLore account to match books by ISBN or file name"
    return result


def _refresh_listing(db: Database, settings: dict[str, Any], client) -> int:
    books = client.library_books()
    with db.atomic() as tx:
        return library_listing.replace(tx, settings["server_url"], books, utc_now())


def _line(name: str, result: dict[str, Any]) -> str:
    """`Label: state (account): what it means`, e.g. `Batch upload: not available (either
    account): uploads one session per request`."""
    available, detail = result["available"], result["detail"]
    if available is None:
        state = f"{detail} (not set)" if detail.startswith("needs") else (
            f"{detail} ({result['account']})")
    else:
        state = "available" if available else "not available"
        state = f"{state}, {detail}" if detail else state
        state = f"{state} ({result['account']})"
    line = f"{OFFERS[name].label}: {state}"
    return f"{line}: {result['meaning']}" if result["meaning"] else line
