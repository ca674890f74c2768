"""The calls of the Lua module `bookloresync/core`: one table that both transports serve.

The plugin reaches the core only through `bookloresync/core`, provided either in-process
(`bridge/api.py`, LuaJIT inside Python) or by the core's own process beside KOReader
(`python_core/sidecar/`, over loopback, with `bookloresync/core.lua` as the client). Both
build their module from CALLS, so a call has one name, one kind and one argument shape
whichever transport carries it:

- a **quick** call is local work only (counts, settings, reading events) and answers at once;
- a **slow** call may touch the network (sync, matching, Test Connection): it starts at
  once and answers later through the callback the plugin passes as its last argument;
- a **journaled** call carries reading data. When the core cannot be reached, the plugin's
  client writes it to its journal instead of losing it (`sidecar/journal.py` ingests it).

`bookloresync/calls.lua` in the plugin is this table rendered for Lua (`render_lua`); a test
keeps it identical, so the Lua side never has a second list to keep in step by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

#: The call adapters take the facade (python_core.facade.BookLoreSync), the reader the call
#: comes from (None in-process; the sidecar names each KOReader it serves), and the
#: arguments exactly as the plugin passed them.
Adapter = Callable[..., Mapping[str, Any]]


class Call(NamedTuple):  # not a dataclass: `dataclasses` costs every start ~5 ms
    name: str
    run: Adapter
    slow: bool = False
    journaled: bool = False


def _options(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _online(value: Any) -> bool:
    return bool(_options(value).get("online", True))


def _text(value: Any, key: str) -> str:
    found = _options(value).get(key)
    return found if isinstance(found, str) else ""


def _folders(value: Any) -> list[str]:
    """Settings → Import reading history's book folders (a Lua list may arrive as a dict)."""
    books = _options(value).get("books")
    found = books.values() if isinstance(books, dict) else books or []
    return [folder for folder in found if isinstance(folder, str) and folder]


def _quick(name: str, run: Adapter, journaled: bool = False) -> Call:
    return Call(name, run, slow=False, journaled=journaled)


def _slow(name: str, run: Adapter) -> Call:
    return Call(name, run, slow=True)


CALLS: dict[str, Call] = {call.name: call for call in (
    _quick("queue_counts", lambda core, reader: core.queue_counts()),
    _quick("view_details", lambda core, reader: core.view_details()),
    _quick("clear_pending", lambda core, reader, kinds=None: core.clear_pending(
        list(kinds) if isinstance(kinds, (list, tuple)) else [])),
    _quick("clear_cache", lambda core, reader: core.clear_cache()),
    _quick("get_settings", lambda core, reader: core.get_settings()),
    _quick("set_setting", lambda core, reader, key=None, value=None: core.set_setting(key, value)),
    _quick("start_reading", lambda core, reader, event=None: core.start_reading(
        _options(event), reader=reader), journaled=True),
    _quick("page_turned", lambda core, reader, event=None: core.page_turned(
        _options(event), reader=reader), journaled=True),
    _quick("finish_reading", lambda core, reader, event=None: core.finish_reading(
        _options(event), reader=reader), journaled=True),
    _quick("capture_rating_and_annotations", lambda core, reader, event=None:
           core.capture_rating_and_annotations(_options(event)), journaled=True),
    _quick("take_notices", lambda core, reader: core.take_notices()),
    _quick("work_progress", lambda core, reader: core.work_progress()),
    _quick("book_status", lambda core, reader, book=None: core.book_status(_options(book))),
    _quick("set_book_tracking", lambda core, reader, book=None: core.set_book_tracking(
        _options(book), reader=reader)),
    _quick("book_for_matching", lambda core, reader, book=None: core.book_for_matching(
        _options(book))),
    _quick("database_status", lambda core, reader: core.database_status()),
    _quick("next_unmatched_book", lambda core, reader, after=None: core.next_unmatched_book(
        after if isinstance(after, int) and not isinstance(after, bool) else None)),
    _slow("sync_pending", lambda core, reader, options=None: core.sync_pending(
        online=_online(options))),
    _slow("match_unmatched", lambda core, reader, options=None: core.match_unmatched(
        online=_online(options))),
    _slow("test_connection", lambda core, reader, options=None: core.test_connection()),
    _slow("repair_database", lambda core, reader, options=None: core.repair_database()),
    _slow("identify_book", lambda core, reader, book=None: core.identify_book(_options(book))),
    _slow("import_history", lambda core, reader, options=None: core.import_history(
        books=_folders(options))),
    _slow("search_matches", lambda core, reader, options=None: core.search_matches(
        _text(options, "query"), online=_online(options))),
    _slow("lookup_book_id", lambda core, reader, options=None: core.lookup_book_id(
        _options(options).get("book_id"), online=_online(options))),
    _slow("confirm_match", lambda core, reader, options=None: core.confirm_match(
        _options(options), online=_online(options))),
)}

QUICK = sorted(name for name, call in CALLS.items() if not call.slow)
SLOW = sorted(name for name, call in CALLS.items() if call.slow)
JOURNALED = sorted(name for name, call in CALLS.items() if call.journaled)


def bind(core: Any, reader: str | None = None) -> dict[str, Callable[..., Mapping[str, Any]]]:
    """Every call as a plain function of the plugin's arguments, over one facade."""
    return {name: _bound(call, core, reader) for name, call in CALLS.items()}


def _bound(call: Call, core: Any, reader: str | None) -> Callable[..., Mapping[str, Any]]:
    def run(*args: Any) -> Mapping[str, Any]:
        return call.run(core, reader, *args)
    run.__name__ = call.name
    return run


def render_lua() -> str:
    """`bookloresync/calls.lua`: the names and kinds of CALLS, for the plugin's own client."""
    def names(found: list[str]) -> str:
        return "{\n" + "".join(f'        "{name}",\n' for name in found) + "    }"
    return (
        "-- The calls of bookloresync/core and their kinds, rendered from python_core/calls.py\n"
        "-- by `python -m python_core.calls > bookloresync/calls.lua`. Do not edit by hand:\n"
        "-- tests/test_calls.py checks that this file is that table.\n"
        "return {\n"
        f"    quick = {names(QUICK)},\n"
        f"    slow = {names(SLOW)},\n"
        f"    journaled = {names(JOURNALED)},\n"
        "}\n"
    )


if __name__ == "__main__":
    print(render_lua(), end="")
