"""The sidecar's wire format: one JSON object per line, UTF-8, over loopback TCP.

Both ends are ours, but a line can still be anything (another program on a stale port, a
truncated write), so reading refuses what is not a JSON object within `MAX_LINE` bytes.
Writing never sends `null`: KOReader's JSON decoder turns it into a function, which is
truthy in Lua (koreader-host.md §13), so None values are left out of objects and lists.

Client → server: `{"op": "hello", "token", "client"}`, then
`{"op": "call", "id", "call", "args", "record"?}` and `{"op": "ingest", "id"}`.
Server → client: `{"op": "hello", "ok", ...}` and `{"op": "result", "id", "result"}`;
`{"op": "error", "message"}` before it closes a connection it cannot talk to.
"""

from __future__ import annotations

import json
import math
from typing import Any

#: A reading call with a book's every highlight stays well below this.
MAX_LINE = 8 * 1024 * 1024
PROTOCOL_VERSION = 1


class ProtocolError(ValueError):
    """A line that is not a message of this protocol."""


def encode(message: dict[str, Any]) -> bytes:
    """One line for the wire (or the journal): compact JSON, no nulls, no NaN."""
    return json.dumps(_without_none(message), ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).encode("utf-8") + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    """The message in one line, or ProtocolError saying what is wrong with it."""
    if len(line) > MAX_LINE:
        raise ProtocolError(f"message longer than {MAX_LINE} bytes")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"not UTF-8 (byte {exc.start})") from None
    try:
        message = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"not JSON ({_short(exc)})") from None
    if not isinstance(message, dict):
        raise ProtocolError("not a JSON object")
    return message


def arguments(message: dict[str, Any]) -> list[Any]:
    """A call's arguments. Lua encodes an empty table as `[]` or `{}`, and a missing
    list as nothing at all: all of them mean no arguments."""
    args = message.get("args", [])
    if args in ({}, None):
        return []
    if not isinstance(args, list):
        raise ProtocolError("args is not a list")
    return [{} if item == [] else item for item in args]


def _without_none(value: Any) -> Any:
    """A copy without None (and without NaN or infinity, which JSON cannot hold)."""
    if isinstance(value, dict):
        kept = ((str(key), _without_none(item)) for key, item in value.items())
        return {key: item for key, item in kept if item is not None}
    if isinstance(value, (list, tuple)):
        return [item for item in map(_without_none, value) if item is not None]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _short(exc: BaseException) -> str:
    return str(exc).split(":")[0][:80]
