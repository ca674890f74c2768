"""The commands over the queue, the settings and the sync: one function each.

A command takes the facade and the parsed arguments and returns the facade's result
(plain data, printed as JSON with `--json`); its `render` turns a successful result into
the text a person reads. Failures are printed by `main` from the result's `message`.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from python_core.cli.progress import terminal_progress
from python_core.settings import PUBLIC, SETTINGS
from python_core.sync.report import KINDS

if TYPE_CHECKING:  # the facade is imported only when a command runs (start-up time)
    from python_core.facade import BookLoreSync

Run = Callable[["BookLoreSync", argparse.Namespace], dict]


def _message(args: argparse.Namespace, result: dict[str, Any]) -> str:
    return str(result.get("message") or "Done")


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    pass


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    run: Run | None
    render: Callable[[argparse.Namespace, dict], str] = _message
    arguments: Callable[[argparse.ArgumentParser], None] = _no_arguments
    #: A command that runs as a process of its own (the sidecar): it is handed the settings
    #: folder instead of a facade, and returns the exit status itself.
    process: Callable[[str, argparse.Namespace], int] | None = None
    #: False for a command that must work when the database cannot be opened (`doctor`):
    #: its `run` is given the settings folder instead of the facade.
    opens_database: bool = True


def config_get(core: BookLoreSync, args: argparse.Namespace) -> dict:
    result = core.get_settings()
    if result["ok"] and args.key:
        result["settings"] = {args.key: result["settings"][args.key]}
    return result


def config_set(core: BookLoreSync, args: argparse.Namespace) -> dict:
    return core.set_setting(args.key, _value(args.key, args.value))


def _value(key: str, given: str) -> str:
    """'-' reads the value: a prompt without echo on a terminal, else one line of stdin."""
    if given != "-":
        if SETTINGS[key].secret:
            print(f"booklore-sync: note: a {key} given on the command line stays in the shell's "
                  "history; '-' reads it without showing it", file=sys.stderr)
        return given
    if sys.stdin.isatty():
        return getpass.getpass(f"{key}: ")
    return sys.stdin.readline().rstrip("\n")


def status(core: BookLoreSync, args: argparse.Namespace) -> dict:
    return core.view_details()


def sync(core: BookLoreSync, args: argparse.Namespace) -> dict:
    with terminal_progress(args) as bar:
        return core.sync_pending(online=True, progress=bar)


def match(core: BookLoreSync, args: argparse.Namespace) -> dict:
    """Match Unmatched Books, the automatic part: every unmatched book's fingerprint is
    asked of the server, and the newly matched books' items are uploaded."""
    with terminal_progress(args) as bar:
        return core.match_unmatched(online=True, progress=bar)


def test_connection(core: BookLoreSync, args: argparse.Namespace) -> dict:
    """The report is the result, whatever it found: printed on stdout like a sync's summary
    (exit status 3 when the server cannot be reached, 4 when an account is refused)."""
    result = core.test_connection()
    return {**result, "summary": result.get("text") or result.get("message") or ""}


def clear_pending(core: BookLoreSync, args: argparse.Namespace) -> dict:
    return core.clear_pending(list(dict.fromkeys(args.kinds)))


def clear_cache(core: BookLoreSync, args: argparse.Namespace) -> dict:
    return core.clear_cache()


def import_history(core: BookLoreSync, args: argparse.Namespace) -> dict:
    with terminal_progress(args) as progress:
        return core.import_history(statistics=args.statistics, books=args.books,
                                   dry_run=args.dry_run, progress=progress,
                                   settings_dir=args.settings_folder)


def _import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--statistics", metavar="FILE",
                        help="KOReader's statistics database (default: "
                             "SETTINGS_DIR/statistics.sqlite3)")
    parser.add_argument("--books", metavar="DIR", action="append", default=[],
                        help="a folder with books and their .sdr sidecars, e.g. the reader's "
                             "mount point; may be given more than once")
    parser.add_argument("--dry-run", action="store_true",
                        help="change nothing; show per book what would be imported")
def serve(settings_dir: str, args: argparse.Namespace) -> int:
    """The core for KOReader on this machine, until stopped (python_core/sidecar/)."""
    from python_core.sidecar.command import serve as run_sidecar
    return run_sidecar(settings_dir, args.idle_exit, args.detach,
                       getattr(args, "verbose", False))


def _serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--idle-exit", type=float, default=300.0, metavar="SECONDS",
                        help="exit this long after the last KOReader disconnected (0: never)")
    parser.add_argument("--detach", action="store_true",
                        help="leave the terminal and session (how the plugin starts it)")


def doctor(settings_dir: str, args: argparse.Namespace) -> dict:
    from python_core.facade import check_database
    return check_database(settings_dir, repair_it=not args.check)


def _check_only(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true",
                        help="only check; change nothing (exit status 4 if damaged)")


def _key_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("key", nargs="?", choices=PUBLIC)


def _key_and_value(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("key", choices=PUBLIC)
    parser.add_argument("value", help="the new value; '-' reads it from stdin (hidden on a terminal)")


def _kinds(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kinds", nargs="+", choices=KINDS)


CONFIG = (
    Command("get", "show settings (passwords masked)", config_get,
            lambda args, r: "\n".join(f"{k} = {v}" for k, v in sorted(r["settings"].items())),
            _key_argument),
    Command("set", "change a setting", config_set, arguments=_key_and_value),
)

COMMANDS = (
    Command("status", "book cache and pending uploads (View Details)", status,
            lambda args, r: r["text"]),
    Command("sync", "upload everything pending now", sync, lambda args, r: r["summary"]),
    Command("test-connection", "check the server, both accounts and what the server offers",
            test_connection, lambda args, r: r["summary"]),
    Command("match", "match unmatched books by fingerprint (Match Unmatched Books)", match,
            lambda args, r: r["summary"]),
    Command("clear-pending", "discard queued items of some kinds", clear_pending,
            lambda args, r: "\n".join(f"Cleared {n} pending {kind}"
                                      for kind, n in r["cleared"].items()), _kinds),
    Command("clear-cache", "forget file-to-book mappings (queues stay)", clear_cache),
    Command("import", "queue the reading history in KOReader's statistics and sidecars",
            import_history, lambda args, r: r["text"], _import_arguments),
    Command("serve", "run the core beside KOReader (the plugin starts it by itself)",
            None, arguments=_serve_options, process=serve),
    Command("doctor", "check the database; repair a damaged one (the damaged file is kept)",
            doctor, lambda args, r: r["summary"], _check_only, opens_database=False),
)
