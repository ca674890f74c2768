"""Which settings exist, their types, defaults and allowed values.

Values arrive as text from the command line and as Lua values from the plugin; both go
through `coerce`, so the database only ever holds a value of the declared type. The
server URL is normalised here once (scheme required, trailing slash dropped) so that the
client and the per-server capability memory always see the same string.
"""

from __future__ import annotations

from typing import Any, NamedTuple
from urllib.parse import urlsplit

from python_core.errors import SettingsError


class Setting(NamedTuple):  # not a dataclass: `dataclasses` costs the plugin's start ~5 ms
    kind: type
    default: Any
    choices: tuple = ()
    low: float | None = None
    high: float | None = None
    secret: bool = False
    #: Kept by the core itself, never set or shown as such (the KOReader key).
    internal: bool = False


SETTINGS: dict[str, Setting] = {
    "server_url": Setting(str, ""),
    "username": Setting(str, ""),
    # The KOReader password is never stored: only its MD5, the x-auth-key the server wants.
    "password": Setting(str, "", secret=True),
    "koreader_key": Setting(str, "", secret=True, internal=True),
    "booklore_username": Setting(str, ""),
    "booklore_password": Setting(str, "", secret=True),
    "tracking_enabled": Setting(bool, True),
    "detection_mode": Setting(str, "duration", choices=("duration", "pages")),
    "min_duration": Setting(int, 30, low=0, high=86400),
    "min_pages": Setting(int, 5, low=0, high=100000),
    "idle_cap_minutes": Setting(int, 30, low=1, high=1440),
    "progress_decimals": Setting(int, 2, low=0, high=5),
    "manual_sync_only": Setting(bool, False),
    "silent_mode": Setting(bool, False),
    "rating_sync": Setting(bool, True),
    "annotation_sync": Setting(bool, True),
    "bookmark_sync": Setting(bool, False),
    "notes_destination": Setting(str, "book", choices=("book", "booklore", "both")),
    "annotation_upload": Setting(str, "session_end", choices=("session_end", "finished")),
    "connect_timeout": Setting(float, 5.0, low=0.5, high=120),
    "read_timeout": Setting(float, 30.0, low=1, high=600),
    "ca_bundle": Setting(str, ""),
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def coerce(key: str, value: Any) -> Any:
    """Return `value` as the setting's declared type, or raise SettingsError saying why."""
    spec = SETTINGS.get(key)
    if spec is None:
        raise SettingsError(f"Unknown setting '{key}'. Known: {', '.join(sorted(SETTINGS))}")
    if value is None:
        return spec.default
    converted = _convert(key, spec.kind, value)
    if spec.choices and converted not in spec.choices:
        raise SettingsError(f"{key} must be one of: {', '.join(spec.choices)}")
    if spec.low is not None and not spec.low <= converted <= spec.high:
        raise SettingsError(f"{key} must be between {spec.low:g} and {spec.high:g}")
    if key == "server_url":
        converted = normalise_server_url(converted)
    return converted


def _convert(key: str, kind: type, value: Any) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise SettingsError(f"{key} must be on or off (true/false)")
    if kind is str:
        if not isinstance(value, str):
            raise SettingsError(f"{key} must be text")
        return value
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{key} must be a {'whole ' if kind is int else ''}number") from None
    if kind is int and isinstance(value, float) and value != number:
        raise SettingsError(f"{key} must be a whole number")
    return number


def normalise_server_url(url: str) -> str:
    """Trim, require http(s)://host, drop trailing slashes; '' means "not set"."""
    url = url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(
            f"Server URL '{url}' is not valid: it must start with http:// or https:// "
            "followed by the server's address, e.g. https://books.example.org"
        )
    if parts.query or parts.fragment:
        raise SettingsError("Server URL must not contain '?' or '#'")
    if not _port_is_valid(parts):
        raise SettingsError(f"Server URL '{url}' has an invalid port")
    return url.rstrip("/")


def _port_is_valid(parts) -> bool:
    try:
        return parts.port is None or parts.port > 0  # .port raises for non-numbers and > 65535
    except ValueError:
        return False


#: The settings a person sets and sees (the command line offers these).
PUBLIC = tuple(sorted(key for key, spec in SETTINGS.items() if not spec.internal))


def koreader_key_of(password: str) -> str:
    """The KOReader `x-auth-key`: lowercase hex MD5 of the UTF-8 password. hashlib loads
    OpenSSL (~5 ms, a fifth of a bare interpreter's start): imported when a password is
    set, not at every start."""
    import hashlib
    return hashlib.md5(password.encode("utf-8"), usedforsecurity=False).hexdigest()


def stored(key: str, value: Any) -> tuple[str, Any]:
    """The key and value the database keeps for a setting: the KOReader password only as
    its key, since the key is all the server is ever sent (an empty password: no key)."""
    if key == "password":
        return "koreader_key", koreader_key_of(value) if value else ""
    return key, value


def with_defaults(stored: dict[str, Any]) -> dict[str, Any]:
    """Every setting, stored or default. `password` is always empty (it is never kept);
    whether the KOReader account has one is `koreader_key`."""
    return {key: stored.get(key, spec.default) for key, spec in SETTINGS.items()}


def masked(values: dict[str, Any]) -> dict[str, Any]:
    """The settings as safe to show or print: secrets replaced by whether they are set
    (the KOReader password counts as set when its key is), internal ones left out."""
    shown = {}
    for key, value in values.items():
        spec = SETTINGS[key]
        if spec.internal:
            continue
        if key == "password":
            value = value or values.get("koreader_key")
        shown[key] = ("(set)" if value else "(not set)") if spec.secret else value
    return shown
