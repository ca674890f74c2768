"""The previous BookLore plugin's settings (`plugin_settings`, other-plugin-db.md) as ours.

Its values are text ("true"/"false", decimal numbers); each goes through our own setting
rules, so a value ours cannot hold is left out rather than stored wrong. Secrets move as
they are (that plugin kept them in plain text too) and are never logged.
"""

from __future__ import annotations

from typing import Any

from python_core import settings as setting_rules
from python_core.errors import SettingsError

#: Their key → ours. Keys not listed (shelf sync, Hardcover, updater, logging) have no
#: counterpart here.
KEYS = {
    "server_url": "server_url",
    "username": "username",
    "password": "password",
    "booklore_username": "booklore_username",
    "booklore_password": "booklore_password",
    "session_detection_mode": "detection_mode",
    "min_duration": "min_duration",
    "min_pages": "min_pages",
    "manual_sync_only": "manual_sync_only",
    "progress_decimal_places": "progress_decimals",
    "silent_messages": "silent_mode",
    "rating_sync_enabled": "rating_sync",
    "highlights_notes_sync_enabled": "annotation_sync",
    "bookmarks_sync_enabled": "bookmark_sync",
    "notes_destination": "notes_destination",
}
NOTES_DESTINATIONS = {"in_book": "book", "booklore": "booklore", "both": "both"}


def our_settings(rows: list[dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """(our key → value, their keys that could not be taken over)."""
    theirs = {row["key"]: row["value"] for row in rows if isinstance(row.get("key"), str)}
    if theirs.get("sync_mode") == "manual" and "manual_sync_only" not in theirs:
        theirs["manual_sync_only"] = "true"
    if "notes_destination" in theirs:
        theirs["notes_destination"] = NOTES_DESTINATIONS.get(theirs["notes_destination"], "")
    ours, refused = {}, []
    for their_key, our_key in KEYS.items():
        value = theirs.get(their_key)
        if value is None or value == "":
            continue
        try:
            ours[our_key] = setting_rules.coerce(our_key, str(value).strip()
                                                 if not setting_rules.SETTINGS[our_key].secret
                                                 else str(value))
        except SettingsError:
            refused.append(their_key)
    return ours, refused
