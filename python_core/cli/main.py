"""`booklore-sync`: the same queue, sync and settings as the plugin, from a computer.

Point --settings-dir at KOReader's settings folder (e.g. an e-reader mounted over USB) to
inspect the queue, sync it or clear it. Results go to stdout (as JSON with --json),
errors to stderr, and the exit status says what to do next (python_core/cli/exits.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import tempfile
import traceback
from collections.abc import Iterator
from typing import Any

from python_core import __version__
from python_core.cli.commands import COMMANDS, CONFIG, Command
from python_core.cli.exits import ExitStatus, exit_status

SETTINGS_DIR_ENV = "BOOKLORE_SYNC_SETTINGS_DIR"
TOOL_COMMANDS = "booklore_sync.commands"
PROG = "booklore-sync"
EPILOG = f"""examples:
  {PROG} --settings-dir /media/KOBOeReader/.adds/koreader/settings status
  {PROG} config set booklore_password -      (asks without showing it)
  {PROG} sync --json
  {PROG} doctor      (checks the database, repairs a damaged one)

exit status: 0 done; 1 something failed (see stderr); 2 wrong command line;
  3 try later (offline, server unreachable, another sync running);
  4 needs you (not configured, an account refused, a damaged database); 130 interrupted"""


def _global_flags() -> argparse.ArgumentParser:
    """The flags every command takes, before or after its name. SUPPRESS keeps a flag
    given before the command from being reset by the command's own default."""
    flags = argparse.ArgumentParser(add_help=False)
    flags.add_argument("--settings-dir", default=argparse.SUPPRESS,
                       help=f"folder holding booklore-sync.sqlite (or ${SETTINGS_DIR_ENV})")
    flags.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                       help="print the result as JSON")
    flags.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                       help="log requests and show full tracebacks on stderr")
    return flags


def build_parser() -> argparse.ArgumentParser:
    flags = _global_flags()
    parser = argparse.ArgumentParser(
        prog=PROG, parents=[flags], epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="The KOReader plugin's queue, sync and settings, from a computer.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    config = commands.add_parser("config", help="read or change settings", parents=[flags])
    actions = config.add_subparsers(dest="action", required=True, metavar="ACTION")
    for command in CONFIG:
        _add(actions, command, flags)
    for command in COMMANDS:
        _add(commands, command, flags)
    for name, entry in _tool_commands().items():
        tool = commands.add_parser(name, add_help=False,
                                   help=f"from {entry.value.split(':')[0]} (development tools)")
        tool.add_argument("tool_args", nargs=argparse.REMAINDER)
        tool.set_defaults(tool=entry)
    return parser


def _add(commands, command: Command, flags: argparse.ArgumentParser) -> None:
    sub = commands.add_parser(command.name, help=command.help, parents=[flags])
    command.arguments(sub)
    sub.set_defaults(run=command)


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
    verbose = getattr(args, "verbose", False)
    _configure_logging(verbose)
    try:
        if getattr(args, "tool", None) is not None:
            return args.tool.load()(args.tool_args)
        return _run(args)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return ExitStatus.INTERRUPTED
    except Exception as exc:  # the last boundary: a sentence, the traceback only with -v
        if verbose:
            traceback.print_exc(file=sys.stderr)
        hint = "" if verbose else " (run again with -v for details)"
        print(f"{PROG}: internal error: {type(exc).__name__}{hint}", file=sys.stderr)
        return ExitStatus.FAILED


def _run(args: argparse.Namespace) -> int:
    settings_dir = getattr(args, "settings_dir", None) or os.environ.get(SETTINGS_DIR_ENV)
    if not settings_dir:
        print(f"{PROG}: give --settings-dir or set ${SETTINGS_DIR_ENV}", file=sys.stderr)
        return ExitStatus.USAGE
    if args.run.process is not None:
        return args.run.process(settings_dir, args)
    if not args.run.opens_database:
        result = args.run.run(settings_dir, args)
        _print(args, result)
        return exit_status(result)
    from python_core.errors import StoreBusy, StoreError
    from python_core.facade import BookLoreSync  # after parsing: --help stays fast
    args.settings_folder = settings_dir
    with _database_folder(args, settings_dir) as folder:
        try:
            core = BookLoreSync(folder)
        except StoreError as exc:  # not ours, damaged, newer, busy: one sentence, untouched
            print(f"{PROG}: {exc}", file=sys.stderr)
            return ExitStatus.TRY_LATER if isinstance(exc, StoreBusy) else ExitStatus.NEEDS_YOU
        with core:
            told = core.take_notices().get("notices") or []
            result = args.run.run(core, args)
    if told and getattr(args, "json", False):
        result = {**result, "notices": told}
    elif told:
        print("\n".join(told), file=sys.stderr)
    _print(args, result)
    return exit_status(result)


@contextlib.contextmanager
def _database_folder(args: argparse.Namespace, settings_dir: str) -> Iterator[str]:
    """Where the queue is opened: the settings folder, except for a dry run of a command
    that must change nothing (`import --dry-run`) on a reader that has no queue yet, which
    runs over a throw-away one instead of creating it there."""
    from python_core.store import DB_FILENAME
    if not (getattr(args, "dry_run", False) and not os.path.exists(
            os.path.join(settings_dir, DB_FILENAME))):
        yield settings_dir
        return
    with tempfile.TemporaryDirectory(prefix="booklore-sync-dry-run-") as scratch:
        yield scratch


def _print(args: argparse.Namespace, result: dict[str, Any]) -> None:
    if getattr(args, "json", False):
        print(json.dumps(result, indent=2, sort_keys=True))
    elif "summary" in result:  # a sync report: what was done is the result, even if some failed
        print(result["summary"])
    elif result.get("ok"):
        print(args.run.render(args, result))
    if not result.get("ok") and "summary" not in result:
        print(f"{PROG}: {result.get('message') or 'failed'}", file=sys.stderr)


def _configure_logging(verbose: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    logging.getLogger().setLevel(level)
    for handler in logging.root.handlers:  # loggers with their own level still pass here
        handler.setLevel(level)
