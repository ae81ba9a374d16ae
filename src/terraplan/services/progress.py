"""A progress callback the services report to; the CLI draws it with Rich, the API stores it on a job."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def __call__(self, step: str, done: int, total: int | None) -> None:
        """Report that ``done`` of ``total`` units of ``step`` are finished (``total`` may be unknown)."""


def no_progress(step: str, done: int, total: int | None) -> None:
    """The default: report nothing."""
