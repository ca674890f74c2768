"""`booklore-sync`: the same queue, sync and settings from a computer.

Point `--settings-dir` at KOReader's settings folder (e.g. the e-reader mounted over USB)
to inspect the queue, sync it or clear it. Every command prints readable text, or the
facade's result as JSON with `--json`, and exits non-zero when it did not succeed.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import Any

from python_core.facade import BookLoreSync
from python_core.settings import SETTINGS
from python_core.sync.report import KINDS

SETTINGS_DIR_ENV = "BOOKLORE_SYNC_SETTINGS_DIR"
TOOL_COMMANDS = "booklore_sync.commands"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="booklore-sync", description=__doc__.split("\n")[0])
    parser.add_argument("--settings-dir", default=os.environ.get(SETTINGS_DIR_ENV),
                        help=f"folder holding booklore-sync.sqlite (or ${SETTINGS_DIR_ENV})")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="log requests to stderr")
    commands = parser.add_subparsers(dest="command", required=True)

    config = commands.add_parser("config", help="read or change settings")
    actions = config.add_subparsers(dest="action", required=True)
    get = actions.add_parser("get", help="show settings (passwords masked)")
    get.add_argument("key", nargs="?", choices=sorted(SETTINGS))
    put = actions.add_parser("set", help="change a setting ('-' reads the value from stdin)")
    put.add_argument("key", choices=sorted(SETTINGS))
    put.add_argument("value")

    commands.add_parser("status", help="book cache and pending uploads (View Details)")
    commands.add_parser("sync", help="upload everything pending now")
    clear = commands.add_parser("clear-pending", help="discard queued items of some kinds")
    clear.add_argument("kinds", nargs="+", choices=KINDS)
    commands.add_parser("clear-cache", help="forget file-to-book mappings (queues stay)")
    for name, entry in _tool_commands().items():
        tool = commands.add_parser(name, add_help=False,
                                   help=f"from {entry.value.split(':')[0]} (development tools)")
        tool.add_argument("tool_args", nargs=argparse.REMAINDER)
        tool.set_defaults(tool=entry)
    return parser


def _tool_commands() -> dict[str, Any]:
    """Commands other installed packages add (the demo, from tools/): found at run time
    through entry points, so the core never imports the development tools."""
    from importlib import metadata
    found = metadata.entry_points()
    group = (found.select(group=TOOL_COMMANDS) if hasattr(found, "select")
             else found.get(TOOL_COMMANDS, ()))  # Python 3.9
    return {entry.name: entry for entry in group}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = logging.DEBUG if args.verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    for handler in logging.root.handlers:  # loggers with their own level still pass here
        handler.setLevel(level)
    if getattr(args, "tool", None) is not None:
        return args.tool.load()(args.tool_args)
    if not args.settings_dir:
        print(f"booklore-sync: give --settings-dir or set ${SETTINGS_DIR_ENV}", file=sys.stderr)
        return 2
    core = BookLoreSync(args.settings_dir)
    try:
        result = _run(core, args)
    finally:
        core.close()
    print(json.dumps(result, indent=2, sort_keys=True) if args.json else _as_text(args, result))
    return 0 if result.get("ok") else 1


def _run(core: BookLoreSync, args: argparse.Namespace) -> dict[str, Any]:
    if args.command == "config" and args.action == "get":
        result = core.get_settings()
        if result["ok"] and args.key:
            result["settings"] = {args.key: result["settings"][args.key]}
        return result
    if args.command == "config":
        value = sys.stdin.readline().rstrip("\n") if args.value == "-" else args.value
        return core.set_setting(args.key, value)
    if args.command == "status":
        return core.view_details()
    if args.command == "sync":
        return core.sync_pending(online=True, interactive=True)
    if args.command == "clear-pending":
        return core.clear_pending(list(dict.fromkeys(args.kinds)))
    return core.clear_cache()


def _as_text(args: argparse.Namespace, result: dict[str, Any]) -> str:
    if not result.get("ok") and "summary" not in result:
        return f"Error: {result.get('message', 'failed')}"
    if args.command == "config" and args.action == "get":
        return "\n".join(f"{k} = {v}" for k, v in sorted(result["settings"].items()))
    if args.command == "status":
        return result["text"]
    if args.command == "sync":
        return result["summary"]
    if args.command == "clear-pending":
        return "\n".join(f"Cleared {n} pending {kind}" for kind, n in result["cleared"].items())
    return result.get("message", "Done")


if __name__ == "__main__":
    sys.exit(main())
