"""The progress bar of long commands (sync, match, import) on a terminal.

One helper for every command that runs long work: `terminal_progress(args)` gives the
`Progress` listener to hand to the facade, or None when no bar belongs there, that is with
`--json` (a script reads the result, not a drawing) or when stderr is not a terminal
(cron, a pipe, a log file). The bar goes to stderr, so stdout keeps only the result.

The bar is tqdm's: kept, pure Python, no dependencies of its own on Linux and macOS, and
it runs on Python 3.9. It is imported only when a bar is drawn, so the sidecar and every
other command never load it; a core installed without it simply draws no bar.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from python_core.progress import IMPORTING, LOOKING_UP, MATCHING, UPLOADING, Progress, Step

#: What each stage counts, for the bar's rate ("12.5 books/s").
UNITS = {UPLOADING: "item", LOOKING_UP: "book", MATCHING: "book", IMPORTING: "page visit"}


@contextmanager
def terminal_progress(args: argparse.Namespace, stream: Any = None) -> Iterator[Progress | None]:
    """A Progress that draws a bar per stage on `stream` (stderr), or None; the bar is
    closed when the block ends, however it ends."""
    stream = stream if stream is not None else sys.stderr
    if getattr(args, "json", False) or not _is_terminal(stream):
        yield None
        return
    try:
        from tqdm import tqdm
    except ImportError:  # a core copied without its dependencies: no bar, same result
        yield None
        return
    bars = _Bars(tqdm, stream)
    try:
        yield bars
    finally:
        bars.close()


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class _Bars:
    """One tqdm bar per stage: a new stage closes the bar of the one before."""

    def __init__(self, tqdm: Any, stream: Any):
        self._tqdm, self._stream = tqdm, stream
        self._bar: Any = None
        self._stage: tuple[str, str] | None = None

    def __call__(self, step: Step) -> None:
        if self._stage != (step.job, step.stage) or self._bar is None:
            self.close()
            self._stage = (step.job, step.stage)
            self._bar = self._tqdm(total=step.total, desc=step.stage, file=self._stream,
                                   unit=UNITS.get(step.stage, "item"), leave=True,
                                   unit_scale=step.total >= 100_000, dynamic_ncols=True)
        self._bar.update(step.done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        self._bar, self._stage = None, None
