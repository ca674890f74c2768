"""How far long work has got: a sync of thousands of items, a Match Unmatched pass over
many books, an import of years of reading.

Long work reports through one callable, `Progress(step)`, handed down by whoever started
it; the work never knows who listens. Two listeners exist: the plugin's, a `ProgressBoard`
that keeps the latest step for the plugin to read with a quick call while the work runs on
another thread (the plugin polls; no transport has to push), and the command line's bar on
a terminal (`cli/progress.py`). `fan_out` hands one step to several.

A step is a stage ("Uploading", "Looking up books") with a count done and a total. The
words a reader sees are made here, once: "Uploading… 1,200 of 4,800".
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple, Optional

#: Stages, in the reader's words.
UPLOADING = "Uploading"
LOOKING_UP = "Looking up books"
MATCHING = "Matching books"
IMPORTING = "Importing page visits"


class Step(NamedTuple):  # not a dataclass: that module stays off the plugin's start
    job: str      # "sync", "match", "import": which long work this is
    stage: str    # what it is doing now, in the reader's words
    done: int
    total: int

    @property
    def text(self) -> str:
        return f"{self.stage}… {self.done:,} of {self.total:,}"

    def as_dict(self) -> dict[str, Any]:
        return {**self._asdict(), "text": self.text}


Progress = Callable[[Step], None]


def no_progress(step: Step) -> None:
    pass


def fan_out(*listeners: Optional[Progress]) -> Progress:
    """One Progress that tells each given listener (None ones left out)."""
    chosen = [listener for listener in listeners if listener is not None]
    if not chosen:
        return no_progress
    if len(chosen) == 1:
        return chosen[0]

    def tell(step: Step) -> None:
        for listener in chosen:
            listener(step)
    return tell


class StageCounter:
    """Counts one stage of a job and tells the listener only when the count moved, so
    work that reports after every item costs a comparison, not a call per item. A stage
    with nothing to do is not told at all."""

    def __init__(self, progress: Progress, job: str, stage: str, total: int):
        self._progress, self._job, self._stage = progress, job, stage
        self.total = max(0, int(total))
        self._told: int | None = None
        self.at(0)

    def at(self, done: int) -> None:
        done = min(max(0, int(done)), self.total)
        if self.total and done != self._told:
            self._told = done
            self._progress(Step(self._job, self._stage, done, self.total))

    def finish(self) -> None:
        self.at(self.total)


class ProgressBoard:
    """The latest step of the long work running now, for the plugin to read.

    Thread-safe: the work writes on its worker thread, the plugin reads on its own.
    `running(job)` marks a job as started before its first step and clears it when the
    work ends, however it ends, so a reader never sees finished work as still running.
    Work that runs inside other work (the sync after a match) keeps the outer job's name.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: object | None = None
        self._job: str | None = None
        self._step: Step | None = None

    def __call__(self, step: Step) -> None:
        with self._lock:
            self._step = step

    @contextmanager
    def running(self, job: str) -> Iterator["ProgressBoard"]:
        token = object()
        with self._lock:
            outer = self._owner is not None
            if not outer:
                self._owner, self._job, self._step = token, job, None
        try:
            yield self
        finally:
            with self._lock:
                if self._owner is token:
                    self._owner, self._job, self._step = None, None, None

    def current(self) -> dict[str, Any]:
        """{active: False} when nothing runs; else {active, job} and, once the work has
        told a step, its stage, done, total and text."""
        with self._lock:
            job, step = self._job, self._step
        if job is None:
            return {"active": False}
        if step is None:
            return {"active": True, "job": job}
        return {"active": True, **step.as_dict(), "job": job}
