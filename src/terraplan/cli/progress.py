"""A Rich progress display fed by the services' progress callback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
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
from terraplan.cli.native_output import native_output_on_stderr
from terraplan.services.progress import Progress as ProgressCallback


@contextmanager
def progress_bar(*, quiet: bool = False) -> Iterator[ProgressCallback]:
    """Yield a callback ``(step, done, total)`` that draws one bar per step on stderr.

    When stderr is not a terminal (pipes, CI logs) it writes plain lines about long steps
    instead (:class:`PlainProgress`); nothing when ``quiet`` is set.
    Native output meanwhile goes to stderr, without solvers' debug lines
    (:func:`~terraplan.cli.native_output.native_output_on_stderr`).
    """
    with native_output_on_stderr(), _progress_bar(quiet=quiet) as report:
        yield report


class PlainProgress:
    """Progress for a log (CI, cron, ``2> run.log``): a step that runs for ``after`` seconds
    gets a plain line on stderr, another every ``every`` seconds, and one when it ends, with
    the time taken. Quick steps say nothing (stderr stays for notes and errors: cron mails
    it). A bar redrawn in place would be escape codes in a log; minutes of silence look like
    a hang, and some CI services stop a job that prints nothing for 10 minutes."""

    def __init__(self, console: Console, *, after: float = 10.0, every: float = 30.0) -> None:
        self._console = console
        self._after, self._every = after, every
        self._step: str | None = None
        self._started = 0.0
        self._said: float | None = None  # when the current step was last reported

    def __call__(self, step: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if step != self._step:
            self.finish()
            self._step, self._started, self._said = step, now, None
        if total is not None and done >= total:
            self.finish()
            return
        due = self._started + self._after if self._said is None else self._said + self._every
        if now >= due:
            self._said = now
            count = f" ({done:,} of {total:,})" if total is not None else ""
            self._say(f"{step}: running for {now - self._started:.0f} s{count}")

    def finish(self) -> None:
        """End the current step; say how long it took if that was long."""
        took = time.monotonic() - self._started
        if self._step is not None and (self._said is not None or took >= self._after):
            self._say(f"{self._step}: done in {took:.1f} s")
        self._step = None

    def _say(self, text: str) -> None:
        self._console.print(text, highlight=False, soft_wrap=True)


@contextmanager
def _progress_bar(*, quiet: bool) -> Iterator[ProgressCallback]:
    console = stderr()
    if quiet:
        yield lambda step, done, total: None
        return
    if not console.is_terminal:
        plain = PlainProgress(console)
        yield plain  # a step that failed is not said to be done: the error says what happened
        plain.finish()
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
