"""Sign-in throttling: failures counted per user name and per address in a sliding window, in
the database (every server process on it counts the same ones); a right password clears the
name's count; an unknown name is treated like a known one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from terraplan.api.login_guard import LoginGuard
from terraplan.errors import TooManyAttemptsError
from terraplan.storage.database import Database
from terraplan.storage.orm_access import SignInFailureRow

from .conftest import PASSWORD, _app


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _stored_failures(db: Database) -> int:
    with db.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(SignInFailureRow)).scalar())


def test_a_name_waits_after_five_failures_until_they_age_out(db: Database) -> None:
    clock = Clock()
    guard = LoginGuard(db, per_name=5, per_client=100, window_seconds=900, clock=clock)
    for _ in range(5):
        guard.check("Ana", "10.0.0.1")
        guard.failed("Ana", "10.0.0.1")
        clock.advance(10)
    with pytest.raises(TooManyAttemptsError) as refused:
        guard.check(" ana ", "10.0.0.2")  # the same name, whatever its case, from anywhere
    assert refused.value.details["retry_after_seconds"] == 900 - 50
    assert (
        str(refused.value) == "too many failed sign-ins for this user name; try again in 15 minutes"
    )
    guard.check("bob", "10.0.0.1")  # another name is not held back
    clock.advance(851)  # the first failure has aged out: four remain
    guard.check("ana", "10.0.0.2")
    assert _stored_failures(db) == 10  # five against the name, five against the address
    clock.advance(900)
    guard.failed("carl", "10.0.0.3")  # a new failure forgets those out of the window
    assert _stored_failures(db) == 2


def test_an_address_guessing_many_names_waits_and_a_right_password_clears_only_the_name(
    db: Database,
) -> None:
    clock = Clock()
    guard = LoginGuard(db, per_name=5, per_client=3, window_seconds=60, clock=clock)
    for name in ("a", "b", "c"):
        guard.failed(name, "10.0.0.9")
    with pytest.raises(TooManyAttemptsError, match="for this address; try again in 60 seconds"):
        guard.check("d", "10.0.0.9")
    guard.check("d", "10.0.0.8")
    guard.succeeded("a")
    with pytest.raises(TooManyAttemptsError):
        guard.check("a", "10.0.0.9")


def test_failures_count_across_server_processes_and_restarts(
    db: Database, users: dict[str, str]
) -> None:
    """``terraplan serve --workers 2`` runs two apps on one database: a guesser spreading
    attempts over both, or waiting for a restart, got twice the tries (counts were per
    process)."""
    wrong = {"username": "rep", "password": "not the password"}
    with _app(db) as first, _app(db) as second:
        answers = [
            (first if i % 2 else second).post("/auth/login", json=wrong).status_code
            for i in range(6)
        ]
    assert answers == [401] * 5 + [429]
    with _app(db) as restarted:
        held = restarted.post("/auth/login", json={"username": "rep", "password": PASSWORD})
    assert held.status_code == 429, held.text


def test_the_api_answers_429_with_retry_after_and_other_users_sign_in(
    anonymous: TestClient, users: dict[str, str]
) -> None:
    wrong = {"username": "rep", "password": "not the password"}
    for _ in range(5):
        assert anonymous.post("/auth/login", json=wrong).status_code == 401
    held = anonymous.post("/auth/login", json={"username": "rep", "password": PASSWORD})
    assert held.status_code == 429, held.text
    assert held.json()["error"]["code"] == "too_many_attempts"
    assert 0 < int(held.headers["Retry-After"]) <= 900
    planner = anonymous.post("/auth/login", json={"username": "planner", "password": PASSWORD})
    assert planner.status_code == 200
    # an unknown name is counted the same way: the refusal says nothing of who exists
    ghost = {"username": "nobody-here", "password": "x" * 8}
    answers = [anonymous.post("/auth/login", json=ghost).status_code for _ in range(6)]
    assert answers == [401] * 5 + [429]


def test_a_right_password_after_a_few_failures_signs_in(
    as_user: Callable[[str], TestClient], anonymous: TestClient
) -> None:
    for _ in range(4):
        bad = anonymous.post("/auth/login", json={"username": "admin", "password": "nope-nope"})
        assert bad.status_code == 401
    ok = anonymous.post("/auth/login", json={"username": "admin", "password": PASSWORD})
    assert ok.status_code == 200
