"""Effective-dated ownership as users ask for it: who owned an account, in which territory,
from which day (recorded at each activation, and by each rule run of an active plan from the
day it runs), on one day or over time."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import polars as pl

from terraplan.domain import Plan
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def record_plan_owners(uow: UnitOfWork, plan: Plan, start: date) -> tuple[int, int]:
    """Record, from ``start``, the territory and owner each account has under the plan's
    latest rule run (in the caller's transaction): periods that differ end the day before.

    An account in a territory with no primary rep keeps the owner it has: that owner, not
    "vacant", owns it from this day (and is credited with its sales). A scoped plan records
    the accounts it placed only. Returns ``(opened, closed)``.
    """
    from terraplan.storage.ownership_history import record_ownership

    names = {t.id: t.name for t in plan.territories}
    kept = {a: owner for a, (_, owner) in uow.assignments.accounts_named().items()}
    owners = {
        a.record_id: (
            a.territory_id,
            names.get(a.territory_id or ""),
            a.owner_id or kept.get(a.record_id),
        )
        for a in uow.assignments.current(plan.id)
        if a.record_kind == "account" and (plan.scope is None or a.territory_id is not None)
    }
    return record_ownership(uow.connection, plan.id, start, owners)


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


def crm_owner_frame(connection: Any, accounts: pl.DataFrame) -> pl.DataFrame:
    """``id, owner_id``: the owner the CRM gave each account (``accounts``: ``id,
    owner_id``): the old owner of its first logged owner change, since a rule run writes
    the plan's owners onto the accounts, else the owner on its record."""
    from terraplan.storage.plan_records import first_owner_changes

    changed = dict(connection.execute(first_owner_changes()).all())
    ids = accounts["id"].cast(pl.String).to_list()
    on_record = accounts["owner_id"].cast(pl.String).to_list()
    return pl.DataFrame(
        {
            "id": ids,
            "owner_id": [changed.get(a, owner) for a, owner in zip(ids, on_record, strict=True)],
        },
        schema={"id": pl.String, "owner_id": pl.String},
    )


def _crm_owner(uow: UnitOfWork, account_id: str, owner_id: str | None) -> str | None:
    """The owner the CRM gave one account (see :func:`crm_owner_frame`)."""
    from terraplan.storage.orm import OwnerChangeRow
    from terraplan.storage.plan_records import first_owner_changes

    row = uow.connection.execute(
        first_owner_changes().where(OwnerChangeRow.record_id == account_id)
    ).first()
    return owner_id if row is None else row[1]


@dataclass(frozen=True, slots=True)
class KpiCredit:
    """Whom KPIs credit an account's sales on days no recorded period covers.

    ``source``: ``"crm"`` (the owner the CRM export gave it, before its first recorded
    period), ``"first_recorded"`` (its first recorded owner, who was also the CRM's),
    ``"record"`` (no period is recorded for it: the owner its record gives, a stored rep, in a
    plan that places it) or ``"today"`` (no period, and its record names no stored rep:
    today's owner in the plan a KPI report is about; ``owner_id`` is its owner now). ``until``: the day its first period starts.
    """

    source: str
    owner_id: str | None
    until: date | None
    #: The owner's hire date when it falls after the first day asked about: no rep is
    #: credited before it (:mod:`terraplan.planning.kpi_hires`).
    hired: date | None = None


def kpi_credit(db: Database, account_id: str, day: date | None = None) -> KpiCredit | None:
    """Whom KPIs credit the account's sales before its first recorded owner (on ``day``,
    when given; None when a recorded period covers ``day`` or follows none), as
    :func:`terraplan.services.monitoring_data.ownership_frame` and the KPI credit rules do."""
    from terraplan.storage.orm import OwnerChangeRow
    from terraplan.storage.ownership_history import history
    from terraplan.storage.plan_records import first_owner_changes

    with UnitOfWork(db) as uow:
        account = uow.accounts.get(account_id)
        reps = uow.reps.list()
        hires = {r.id: r.hire_date for r in reps if r.hire_date is not None}
        periods = history(uow.connection, account_id)
        if not periods:
            # the owner the account's record (the CRM) gives, when a stored rep: KPIs credit
            # them (:func:`terraplan.planning.kpi_credit.record_owner_periods`)
            owner = _crm_owner(uow, account_id, account.owner_id)
            if owner is not None and owner in {r.id for r in reps}:
                credit = KpiCredit("record", owner, None)
            else:
                credit = KpiCredit("today", account.owner_id, None)
        else:
            first = periods[0]
            if day is not None and day >= first.valid_from:
                return None
            crm = uow.connection.execute(
                first_owner_changes().where(OwnerChangeRow.record_id == account_id)
            ).first()
            old = crm[1] if crm is not None else None
            if old is not None and old != first.owner_id:
                credit = KpiCredit("crm", old, first.valid_from)
            else:
                credit = KpiCredit("first_recorded", first.owner_id, first.valid_from)
    hired = hires.get(credit.owner_id or "")
    if hired is not None and (day is None or day < hired):
        return replace(credit, hired=hired)
    return credit


def before_hire(
    db: Database, periods: list[Any], day: date | None = None
) -> list[tuple[str, date, date, date]]:
    """Recorded periods whose owner was hired after the period began (or after ``day``):
    ``(owner id, first and last day without credit, hire date)``. KPIs credit no rep with
    those days' sales (:mod:`terraplan.planning.kpi_hires`), though the period names the
    owner."""
    with UnitOfWork(db) as uow:
        hires = {r.id: r.hire_date for r in uow.reps.list() if r.hire_date is not None}
    found = []
    for period in periods:
        hired = hires.get(period.owner_id or "")
        if hired is None:
            continue
        first = day if day is not None else period.valid_from
        last = hired - timedelta(days=1)
        if period.valid_to is not None:
            last = min(last, period.valid_to)
        if first <= last:
            found.append((period.owner_id, first, day or last, hired))
    return found
