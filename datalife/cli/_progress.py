"""Progress on a terminal for commands that can take a while: one helper for every command.

The library never prints: a long step takes an optional callback (``progress(done, total)``,
``total`` None when unknown) and the CLI passes the one :func:`progress` yields. On a terminal
(stderr a TTY, no ``CI`` or ``NO_COLOR``, not ``--format json``) a rich progress bar appears on
stderr once the step has run for :data:`DELAY` seconds, so quick commands show nothing; it is
removed when the step ends, leaving the command's own output alone. A step that reports no
progress gets a pulsing bar with the elapsed time. When stderr is piped, nothing at all is
printed and rich is not imported.

Examples:
    >>> import io
    >>> with progress("hashing 3 files", stream=io.StringIO()) as update:  # not a terminal
    ...     update(1, 3)
    ...     update(3, 3)
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any

__all__ = [
    "DELAY",
    "Update",
    "phased_progress",
    "progress",
    "size_of",
    "stage_progress",
    "wanted",
]

#: Seconds a step runs before its bar appears (``DATALIFE_PROGRESS_DELAY`` overrides it).
DELAY = 1.0

#: What a library step calls: ``update(done, total)``; ``total`` None while it is unknown.
Update = Callable[[float, float | None], None]


def _delay() -> float:
    raw = os.environ.get("DATALIFE_PROGRESS_DELAY")
    try:
        return max(0.0, float(raw)) if raw else DELAY
    except ValueError:
        return DELAY


def wanted(stream: IO[str] | Any = None, *, fmt: str = "text") -> bool:
    """Whether to show progress: a person watches ``stream`` (stderr) and output is text."""
    from datalife.cli._render import is_terminal

    return fmt == "text" and is_terminal(stream if stream is not None else sys.stderr)


class _Bar:
    """A rich bar started on a timer, so steps shorter than the delay show nothing."""

    def __init__(self, description: str, stream: IO[str] | Any) -> None:
        self.description = description
        self.stream = stream
        self.lock = threading.Lock()
        self.done: float = 0.0
        self.total: float | None = None
        self.bar: Any = None
        self.task: Any = None
        self.closed = False
        self.timer = threading.Timer(_delay(), self._start)
        self.timer.daemon = True

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        with self.lock:
            if self.closed:
                return
            console = Console(file=self.stream, stderr=self.stream is sys.stderr)
            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
            self.task = self.bar.add_task(self.description, total=self.total)
            self.bar.update(self.task, completed=self.done)
            self.bar.start()

    def update(self, done: float, total: float | None = None) -> None:
        with self.lock:
            self.done, self.total = done, total if total is not None else self.total
            if self.bar is not None:
                self.bar.update(self.task, completed=done, total=self.total)

    def describe(self, text: str) -> None:
        with self.lock:
            self.description = text
            if self.bar is not None:
                self.bar.update(self.task, description=text)

    def close(self) -> None:
        self.timer.cancel()
        with self.lock:
            self.closed = True
            if self.bar is not None:
                self.bar.stop()


def _nothing(done: float, total: float | None = None) -> None:
    """The callback when nobody is watching."""


@contextmanager
def progress(
    description: str, *, fmt: str = "text", stream: IO[str] | Any = None
) -> Iterator[Update]:
    """Show a progress bar for the block on a terminal; yield the callback for the library.

    Args:
        description: what is happening, e.g. ``validating 3 files (12.5 MB)``.
        fmt: the command's ``--format``: only ``text`` shows progress.
        stream: where the bar goes (default: stderr); progress only if it is a terminal.
    """
    target = stream if stream is not None else sys.stderr
    if not wanted(target, fmt=fmt):
        yield _nothing
        return
    bar = _Bar(description, target)
    bar.timer.start()
    try:
        yield bar.update
    finally:
        bar.close()


@contextmanager
def stage_progress(
    stages: list[str], *, fmt: str = "text", stream: IO[str] | Any = None
) -> Iterator[Callable[[str, str], None]]:
    """A bar over named stages: yields ``update(stage, event)`` (``start``, ``done``,
    ``failed``), the callback :func:`datalife.pipeline.run_pipeline` takes."""
    target = stream if stream is not None else sys.stderr
    if not wanted(target, fmt=fmt):
        yield lambda _stage, _event: None
        return
    bar = _Bar(stages[0] if stages else "working", target)
    bar.update(0, len(stages))
    finished: set[str] = set()

    def update(stage: str, event: str) -> None:
        if event == "start":
            bar.describe(stage)
        else:
            finished.add(stage)
            bar.update(len(finished), len(stages))

    bar.timer.start()
    try:
        yield update
    finally:
        bar.close()


@contextmanager
def phased_progress(
    labels: Mapping[str, str], *, fmt: str = "text", stream: IO[str] | Any = None
) -> Iterator[Callable[[str, int, int], None] | None]:
    """A bar for a step that goes through phases: yields ``report(phase, done, total)`` (the
    callback :func:`datalife.schemas.infer.infer_schema` takes), or None when nobody watches,
    so the library skips reporting altogether. ``labels`` names each phase for people."""
    target = stream if stream is not None else sys.stderr
    if not wanted(target, fmt=fmt):
        yield None
        return
    bar = _Bar("working", target)

    def report(phase: str, done: int, total: int) -> None:
        bar.describe(labels.get(phase, phase))
        bar.update(done, total)

    bar.timer.start()
    try:
        yield report
    finally:
        bar.close()


def size_of(paths: Any) -> str:
    """``3 files (12.5 MB)``: what a step will read, for its description.

    Examples:
        >>> size_of([])
        '0 files'
    """
    from pathlib import Path

    size, count = 0, 0
    for p in paths:
        count += 1
        try:
            size += Path(p).stat().st_size
        except OSError:
            continue
    files = f"{count} file{'' if count == 1 else 's'}"
    if not size:
        return files
    if size < 1000:
        return f"{files} ({size} B)"
    amount = float(size)
    for unit in ("kB", "MB", "GB"):
        amount /= 1000
        if amount < 1000:
            return f"{files} ({amount:.1f} {unit})"
    return f"{files} ({amount / 1000:.1f} TB)"
