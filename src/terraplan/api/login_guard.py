"""Sign-in throttling: failed attempts counted per user name and per client address over a
sliding window, and a bounded number of password checks at once.

Password checks are slow on purpose (argon2id, about 0.2 s of CPU and 64 MiB each). Without
a bound, a flood of anonymous sign-ins would fill the worker threads every other request needs
(``/health`` took 28 s under 60 looping clients); without counting, a password could be guessed
online as fast as argon2 allows. Failures are counted in the database
(:mod:`terraplan.storage.sign_in_failures`), so that every server process on it (``terraplan
serve --workers``) and a restarted server count the same ones; the bound on password checks
at once is per process (it guards that process's CPU and threads). An unknown name is counted
like a known one, so the refusal tells nothing about who exists.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import anyio

from terraplan.errors import TooManyAttemptsError
from terraplan.storage.database import Database
from terraplan.storage.sign_in_failures import (
    FailureKey,
    add_failure,
    clear_failures,
    recent_failures,
)

#: Failures within ``WINDOW_SECONDS`` after which a name, or a client, must wait.
FAILURES_PER_NAME = 5
FAILURES_PER_CLIENT = 20
WINDOW_SECONDS = 900.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


class LoginGuard:
    """Counts failed sign-ins and bounds concurrent password checks (see the module). Its
    counting methods read and write the database: call them from a worker thread."""

    def __init__(
        self,
        db: Database,
        *,
        concurrent_checks: int = 1,
        per_name: int = FAILURES_PER_NAME,
        per_client: int = FAILURES_PER_CLIENT,
        window_seconds: float = WINDOW_SECONDS,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.checks = anyio.Semaphore(max(1, concurrent_checks))
        self._db = db
        self._limits = {"name": per_name, "client": per_client}
        self._window = timedelta(seconds=window_seconds)
        self._clock = clock

    @staticmethod
    def _keys(username: str, client: str) -> list[FailureKey]:
        return [("name", username.strip().lower()), ("client", client)]

    def check(self, username: str, client: str) -> None:
        """Refuse (429) a sign-in while the name or the client has too many recent failures."""
        now = self._clock()
        with self._db.single_statement() as connection:
            found = recent_failures(connection, self._keys(username, client), now - self._window)
        for (kind, _), times in found.items():
            limit = self._limits[kind]
            if len(times) >= limit:
                # free again when enough of them have aged out to leave limit - 1
                frees_at = times[len(times) - limit] + self._window
                wait = max(1, math.ceil((frees_at - now).total_seconds()))
                who = "this user name" if kind == "name" else "this address"
                raise TooManyAttemptsError(
                    f"too many failed sign-ins for {who}; try again in {_minutes(wait)}",
                    details={"retry_after_seconds": wait},
                )

    def failed(self, username: str, client: str) -> None:
        now = self._clock()
        with self._db.connect() as connection:
            add_failure(
                connection, self._keys(username, client), now, forget_before=now - self._window
            )

    def succeeded(self, username: str) -> None:
        """A right password clears the name's failures (not the client's: one right password
        from an address guessing many names should not reset its count)."""
        with self._db.connect() as connection:
            clear_failures(connection, ("name", username.strip().lower()))


def _minutes(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"
