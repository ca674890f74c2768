"""What both headless hosts hand their tests: KOReader's screen and menus as plain Python.

The Lua side (headless/control.lua) describes each window and menu node as a table; an
empty Lua table arrives as {} (lupa) or is left out (JSON), so lists are made lists here,
once, for the in-process host and the standalone one alike.
"""

from __future__ import annotations

from typing import Any

#: The fields of a window description that are always lists.
WINDOW_LISTS = ("buttons", "checks", "items", "fields")


def as_list(value: Any) -> list:
    """An empty Lua table converts to {}; where a list is meant, make it one."""
    return [] if value in ({}, None, []) else value


def menu_node(node: dict) -> dict:
    """A menu node with its children, each a list however empty."""
    node["children"] = [menu_node(child) for child in as_list(node.get("children"))]
    return node


def window(described: dict) -> dict:
    """A window's description with every field present (None or [] when it has none)."""
    full = {"type": None, "text": None, "title": None, "subtitle": None, "input": None,
            **described}
    for key in WINDOW_LISTS:
        full[key] = as_list(full.get(key))
    full["buttons"] = [as_list(row) for row in full["buttons"]]
    return full
