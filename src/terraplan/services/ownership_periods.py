"""Effective-dated ownership as users ask for it: who owned an account, in which territory,
from which day (recorded at each activation), on one day or over time."""

from __future__ import annotations

from datetime import date
from typing import Any

from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def ownership_history(
    db: Database, account_id: str, *, day: date | None = None
) -> tuple[list[Any], dict[str, str]]:
    """The account's ownership periods (or the one covering ``day``) and rep names."""
    from terraplan.storage.ownership_history import history, owner_on

    with UnitOfWork(db) as uow:
        uow.accounts.get(account_id)  # NotFoundError for an unknown account
        names = {r.id: r.name for r in uow.reps.list()}
        if day is None:
            periods = history(uow.connection, account_id)
        else:
            found = owner_on(uow.connection, account_id, day)
            periods = [found] if found is not None else []
    return periods, names
