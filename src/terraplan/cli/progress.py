"""A Rich progress display fed by the services' progress callback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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
def progress_bar(*, quiet: bool = False) -> Iterator[ProgressCallback]:
    """Yield a callback ``(step, done, total)`` that draws one bar per step on stderr.

    Nothing is drawn when stderr is not a terminal (pipes, CI logs) or ``quiet`` is set.
    """
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
