"""A Rich progress display fed by the services' progress callback."""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from terraplan.cli.console import stderr
from terraplan.services.progress import Progress as ProgressCallback


@contextmanager
def native_output_on_stderr() -> Iterator[None]:
    """While long work runs, send what native libraries write to file descriptor 1 to stderr.

    HiGHS (the MILP solver inside SciPy) prints a debug line now and then
    (``HighsMipSolverData::transformNewIntegerFeasibleSolution tmpSolver.run();``) whatever
    its output options say; on stdout it would break ``-f json`` for whoever parses it.
    The C library's buffers are flushed before file descriptor 1 is given back, so nothing
    written meanwhile reaches stdout later.
    """
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, AttributeError):  # no real stdout (embedded, closed)
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        _flush_c_streams()
        os.dup2(saved, 1)
        os.close(saved)


def _flush_c_streams() -> None:
    with suppress(OSError, AttributeError, TypeError):  # no C library to ask (not POSIX)
        ctypes.CDLL(None).fflush(None)


@contextmanager
def progress_bar(*, quiet: bool = False) -> Iterator[ProgressCallback]:
    """Yield a callback ``(step, done, total)`` that draws one bar per step on stderr.

    Nothing is drawn when stderr is not a terminal (pipes, CI logs) or ``quiet`` is set.
    Native output meanwhile goes to stderr (:func:`native_output_on_stderr`).
    """
    with native_output_on_stderr(), _progress_bar(quiet=quiet) as report:
        yield report


@contextmanager
def _progress_bar(*, quiet: bool) -> Iterator[ProgressCallback]:
    console = stderr()
    if quiet or not console.is_terminal:
        yield lambda step, done, total: None
        return
    display = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    tasks: dict[str, TaskID] = {}

    def report(step: str, done: int, total: int | None) -> None:
        if step not in tasks:
            for other in tasks.values():
                task = display.tasks[other]
                if task.total is None:
                    display.update(other, total=1, completed=1)
            tasks[step] = display.add_task(step, total=total)
        display.update(tasks[step], completed=done, total=total)

    with display:
        yield report
        for task_id in tasks.values():
            task = display.tasks[task_id]
            if task.total is None:
                display.update(task_id, total=1, completed=1)
