"""Sign-in throttling: failed attempts counted per user name and per client address over a
sliding window, and a bounded number of password checks at once.

Password checks are slow on purpose (argon2id, about 0.2 s of CPU and 64 MiB each). Without
a bound, a flood of anonymous sign-ins would fill the worker threads every other request needs
(``/health`` took 28 s under 60 looping clients); without counting, a password could be guessed
online as fast as argon2 allows. Counts live in the API process (a restart forgets them); an
unknown name is counted like a known one, so the refusal tells nothing about who exists.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

import anyio

from terraplan.errors import TooManyAttemptsError

#: Failures within ``WINDOW_SECONDS`` after which a name, or a client, must wait.
FAILURES_PER_NAME = 5
FAILURES_PER_CLIENT = 20
WINDOW_SECONDS = 900.0
#: Names and clients remembered at most (the oldest are forgotten first).
MAX_KEYS = 100_000


class LoginGuard:
    """Counts failed sign-ins and bounds concurrent password checks (see the module)."""

    def __init__(
        self,
        *,
        concurrent_checks: int = 1,
        per_name: int = FAILURES_PER_NAME,
        per_client: int = FAILURES_PER_CLIENT,
        window_seconds: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.checks = anyio.Semaphore(max(1, concurrent_checks))
        self._limits = {"name": per_name, "client": per_client}
        self._window = window_seconds
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and now - times[0] >= self._window:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def check(self, username: str, client: str) -> None:
        """Refuse (429) a sign-in while the name or the client has too many recent failures."""
        now = self._clock()
        for kind, value in (("name", username.strip().lower()), ("client", client)):
            times = self._recent((kind, value), now)
            if len(times) >= self._limits[kind]:
                wait = max(1, math.ceil(self._window - (now - times[0])))
                who = "this user name" if kind == "name" else "this address"
                raise TooManyAttemptsError(
                    f"too many failed sign-ins for {who}; try again in {_minutes(wait)}",
                    details={"retry_after_seconds": wait},
                )

    def failed(self, username: str, client: str) -> None:
        now = self._clock()
        for key in (("name", username.strip().lower()), ("client", client)):
            if key not in self._failures and len(self._failures) >= MAX_KEYS:
                del self._failures[next(iter(self._failures))]
            self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, username: str) -> None:
        """A right password clears the name's failures (not the client's: one right password
        from an address guessing many names should not reset its count)."""
        self._failures.pop(("name", username.strip().lower()), None)


def _minutes(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"
