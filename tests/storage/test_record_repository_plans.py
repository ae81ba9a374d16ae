"""The account list's queries follow the id order or the owner's index, not ``closed_on``'s.

With ``closed_on IS NULL`` SQLite (no statistics) picked the index on ``closed_on``, which
holds every open account: a rep's page of 50 read and sorted every open row (50 ms at 120,000
accounts, twice per request with the count). ``where={"closed_on": None}`` is now written
``NOT (closed_on IS NOT NULL)``; the rows are the same.
"""

from __future__ import annotations

import random
import shutil
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import event

from terraplan.domain import Account
from terraplan.storage.database import Database
from terraplan.storage.record_repository import OPEN
from terraplan.storage.unit_of_work import UnitOfWork


def _book(db: Database) -> list[Account]:
    rng = random.Random(7)
    accounts = [
        Account(
            f"001C{i:011d}",
            f"Company {i}",
            postal_code=rng.choice(["94107", "2108", "10001-1234", None]),
            owner_id=rng.choice(["R1", "R2", "R3", None]),
            closed_on=date(2026, 2, 1) if rng.random() < 0.15 else None,
        )
        for i in range(400)
    ]
    with UnitOfWork(db) as uow:
        uow.accounts.add_many(accounts)
        uow.commit()
    return accounts


def _statements(db: Database) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "accounts" in statement:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    return seen


def test_open_filters_give_the_same_rows(db: Database) -> None:
    accounts = _book(db)
    placed = {a.id for a in accounts[::7]}
    with UnitOfWork(db) as uow:
        got = uow.accounts.list(limit=1000, where=OPEN, any_of={"owner_id": {"R1"}}, or_ids=placed)
        count = uow.accounts.count(OPEN, {"owner_id": {"R1"}}, or_ids=placed)
    expected = sorted(
        a.id for a in accounts if a.closed_on is None and (a.owner_id == "R1" or a.id in placed)
    )
    assert [a.id for a in got] == expected
    assert count == len(expected)


def test_a_reps_page_does_not_read_every_open_account(
    migrated_sqlite_file: Path, tmp_path: Path
) -> None:
    """On SQLite only: its planner keeps no statistics (PostgreSQL's goes by them)."""
    shutil.copyfile(migrated_sqlite_file, tmp_path / "book.db")
    db = Database(f"sqlite:///{tmp_path / 'book.db'}")
    try:
        _no_closed_on_index(db)
    finally:
        db.dispose()


def _no_closed_on_index(db: Database) -> None:
    accounts = _book(db)
    seen = _statements(db)
    with UnitOfWork(db) as uow:
        uow.accounts.list(
            limit=50, where=OPEN, any_of={"owner_id": {"R1"}}, or_ids={a.id for a in accounts[:9]}
        )
        uow.accounts.list(limit=50, where=OPEN)
        uow.accounts.count(OPEN, {"owner_id": {"R1"}}, or_ids={accounts[0].id})
    assert len(seen) == 3
    with db.engine.connect() as connection:
        for statement, parameters in seen:
            plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            steps = " / ".join(str(row[-1]) for row in plan)
            assert "ix_accounts_closed_on" not in steps, steps
