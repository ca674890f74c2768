"""A reader for the Lua tables KOReader writes (`dump.lua`: book sidecars, settings files)
that can only ever build data.

A sidecar is data, not code, and one copied from elsewhere may be hostile, so it is never
run: this is a tokenizer and a recursive reader for exactly the literal subset `dump.lua`
produces — `return { ... }` with `[key] = value,` or `name = value,` fields and positional
values; strings in either quote with Lua's escapes; decimal and hex numbers, `math.huge`,
`0/0`; `true`, `false`, `nil`. Anything else (a call, an operator, a variable) is a
`LuaTableError`, as are files, nesting or item counts past the limits. A general Lua
parser (luaparser, on ANTLR) would accept far more than data and is much slower.
"""

from __future__ import annotations

import math
import re
from typing import Any

MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 64
MAX_ITEMS = 500_000

_TOKEN = re.compile(r"""
    (?P<space>(?:\s+|--\[(?P<eq>=*)\[.*?\](?P=eq)\]|--[^\n]*)+)
  | (?P<string>"(?:[^"\\\n]|\\.|\\\n)*"|'(?:[^'\\\n]|\\.|\\\n)*')
  | (?P<special>-?math\.huge|0/0)
  | (?P<number>-?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?))
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[{}\[\]=,;])
""", re.VERBOSE | re.DOTALL)
_ESCAPE = re.compile(r"\\(?:(\d{1,3})|x([0-9a-fA-F]{2})|z\s*|(\n)|(.))", re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f",
                   "v": "\v", "\\": "\\", '"': '"', "'": "'"}
_KEYWORDS = {"true": True, "false": False, "nil": None}


class LuaTableError(ValueError):
    """The text is not a Lua data table this reader accepts."""


def loads(text: str | bytes) -> Any:
    """The value of `return <table>` (or a bare table), as dicts, lists and scalars.

    A table whose keys are exactly 1..n becomes a list; any other table a dict."""
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise LuaTableError(f"larger than {MAX_BYTES // 2**20} MiB")
        text = text.decode("utf-8", errors="replace")
    if len(text) > MAX_BYTES:
        raise LuaTableError(f"larger than {MAX_BYTES // 2**20} MiB")
    reader = _Reader(_tokens(text))
    if reader.peek() == ("name", "return"):
        reader.next()
    value = reader.value(0)
    if reader.peek() is not None:
        raise LuaTableError(f"unexpected {reader.peek()[1]!r} after the table")
    return value


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    for match in _TOKEN.finditer(text):
        if match.start() != position:
            break
        position = match.end()
        kind = match.lastgroup if match.lastgroup != "eq" else "space"
        if kind != "space":
            tokens.append((kind, match.group(kind)))
            if len(tokens) > 4 * MAX_ITEMS:
                raise LuaTableError("too many items")
    if position != len(text):
        raise LuaTableError(f"unexpected text at character {position}: "
                            f"{text[position:position + 20]!r}")
    return tokens


class _Reader:
    def __init__(self, tokens: list[tuple[str, str]]):
        self._tokens, self._at, self._items = tokens, 0, 0

    def peek(self) -> tuple[str, str] | None:
        return self._tokens[self._at] if self._at < len(self._tokens) else None

    def next(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise LuaTableError("the text ends inside a table")
        self._at += 1
        return token

    def expect(self, text: str) -> None:
        kind, found = self.next()
        if found != text or kind != "punct":
            raise LuaTableError(f"expected {text!r}, found {found!r}")

    def value(self, depth: int) -> Any:
        kind, text = self.next()
        if kind == "punct" and text == "{":
            return self.table(depth + 1)
        if kind == "string":
            return _unquote(text)
        if kind == "number":
            return _number(text)
        if kind == "special":
            return math.nan if text == "0/0" else (-math.inf if text[0] == "-" else math.inf)
        if kind == "name" and text in _KEYWORDS:
            return _KEYWORDS[text]
        raise LuaTableError(f"{text!r} is not a data value (only literals are read)")

    def table(self, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise LuaTableError(f"nested deeper than {MAX_DEPTH}")
        entries: dict[Any, Any] = {}
        position = 1
        while self.peek() != ("punct", "}"):
            self._items += 1
            if self._items > MAX_ITEMS:
                raise LuaTableError("too many items")
            positional, key, value = self.field(depth, position)
            position += positional
            if value is not None:
                entries[key] = value
            if self.peek() in (("punct", ","), ("punct", ";")):
                self.next()
            elif self.peek() != ("punct", "}"):
                raise LuaTableError("expected ',' or '}' between fields")
        self.next()
        return _as_list(entries)

    def field(self, depth: int, position: int) -> tuple[int, Any, Any]:
        """(1 if positional else 0, key, value) of one field."""
        token = self.peek()
        if token == ("punct", "["):
            self.next()
            key = self.value(depth)
            self.expect("]")
            self.expect("=")
        elif token and token[0] == "name" and token[1] not in _KEYWORDS \
                and self._tokens[self._at + 1:self._at + 2] == [("punct", "=")]:
            key = self.next()[1]
            self.next()
        else:
            return 1, position, self.value(depth)
        if isinstance(key, bool) or not isinstance(key, (str, int, float)) or key != key:
            raise LuaTableError("a table key must be a string or a number")
        if isinstance(key, float) and key.is_integer():
            key = int(key)
        return 0, key, self.value(depth)


def _as_list(entries: dict[Any, Any]) -> Any:
    if entries and all(type(key) is int for key in entries) and \
            sorted(entries) == list(range(1, len(entries) + 1)):
        return [entries[index] for index in range(1, len(entries) + 1)]
    return entries


def _unquote(text: str) -> str:
    body = text[1:-1]
    if "\\" not in body:
        return body

    def replace(match: re.Match) -> str:
        decimal, hexadecimal, newline, other = match.groups()
        if decimal is not None:
            code = int(decimal)
            if code > 255:
                raise LuaTableError("a decimal escape is larger than 255")
            return chr(code)
        if hexadecimal is not None:
            return chr(int(hexadecimal, 16))
        if newline is not None:
            return "\n"
        if other is None:  # \z skips the following white space
            return ""
        if other not in _SIMPLE_ESCAPES:
            raise LuaTableError(f"unknown escape \\{other}")
        return _SIMPLE_ESCAPES[other]

    return _ESCAPE.sub(replace, body)


def _number(text: str) -> int | float:
    negative = text.startswith("-")
    digits = text[1:] if negative else text
    if digits[:2].lower() == "0x":
        value: int | float = int(digits, 16)
    elif re.fullmatch(r"\d+", digits):
        value = int(digits)
    else:
        value = float(digits)
    return -value if negative else value
