"""One table of calls for both transports, and one name per use case on both sides."""

from __future__ import annotations

import re
from pathlib import Path

from python_core import calls

PLUGIN = Path(__file__).resolve().parent.parent / "lua_plugin" / "bookloresync.koplugin"


def test_the_plugins_call_list_is_the_python_table():
    assert (PLUGIN / "bookloresync" / "calls.lua").read_text(encoding="utf-8") == calls.render_lua()


def test_every_call_the_plugin_makes_is_in_the_table_under_the_facades_name():
    used = set()
    for path in PLUGIN.rglob("*.lua"):
        if path.name in ("core.lua", "calls.lua"):
            continue
        used |= set(re.findall(r"\bcore\.([a-z_]+)\(", path.read_text(encoding="utf-8")))
    assert used and used <= set(calls.CALLS)
    for name in calls.CALLS:
        assert name in dir(__import__("python_core.facade", fromlist=["BookLoreSync"]).BookLoreSync)


def test_quick_and_slow_split_the_table_and_only_quick_calls_are_journaled():
    assert set(calls.QUICK) | set(calls.SLOW) == set(calls.CALLS)
    assert not set(calls.QUICK) & set(calls.SLOW)
    assert set(calls.JOURNALED) == {"start_reading", "page_turned", "finish_reading",
                                    "capture_rating_and_annotations"}
    assert set(calls.JOURNALED) <= set(calls.QUICK)
