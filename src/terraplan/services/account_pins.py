"""Named-account moves (``plans move --accounts``) on plans aligned by hand-written rules.

Such a plan's accounts are placed by its rule run, not by geo units (its pins count as
named-account entries of its rule set: :func:`terraplan.services.ownership.plan_rule_set`), so
an edit's figures are the territories' accounts (count, potential...) rather than the sums of
geo units the plan does not have.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import polars as pl

from terraplan.planning.alignment import align_accounts
from terraplan.planning.plan_edits import EditablePlan
from terraplan.planning.territory_effects import TerritoryEffect, territory_effects
from terraplan.services.alignment import rule_run_with_pins
from terraplan.storage import bulk
from terraplan.storage.unit_of_work import UnitOfWork

#: Account columns an edit's figures can sum (``count`` is one per account).
ACCOUNT_METRICS = ("potential", "workload", "annual_revenue")


def account_effects(
    uow: UnitOfWork,
    state: EditablePlan,
    territories: tuple[str, ...],
    tolerance: Mapping[str, float],
) -> list[TerritoryEffect]:
    """The edit's figures for a plan without geo units: each territory's accounts (where the
    rule run with the pins on top, else the pins, put them) summed per metric."""
    columns = ["id", "county_fips", "postal_code", *ACCOUNT_METRICS]
    frame = pl.from_arrow(bulk.read_open_accounts(uow.connection, columns))
    assert isinstance(frame, pl.DataFrame)
    rows: list[dict[str, Any]] = frame.to_dicts()
    located = [_Located(r["id"], r["county_fips"], r["postal_code"]) for r in rows]
    territory_of = align_accounts(
        state.plan,
        located,
        assignments=rule_run_with_pins(uow, state.plan.id, state.accounts),
    ).territory_of
    facts: dict[str, dict[str, float]] = {}
    for row in rows:
        if row["id"] in territory_of:
            values = {m: float(row[m] or 0.0) for m in ACCOUNT_METRICS}
            facts[row["id"]] = {m: values.get(m, 1.0 if m == "count" else 0.0) for m in tolerance}
    # Each account counts as one "unit" of the balance figures; the plan has no geo units.
    by_account = EditablePlan(state.plan, territory_of, {})
    from terraplan.planning.balance_criteria import plan_balance_criteria

    # judged as the dashboard judges the plan (named and catch-all territories not checked)
    criteria = plan_balance_criteria(state.plan, uow.plan_results.get(state.plan.id, "design"))
    effects = territory_effects(by_account, territories, facts, {}, tolerance, criteria=criteria)
    return [replace(e, units=0, pieces=0, units_moved=0) for e in effects]


class _Located:
    __slots__ = ("county_fips", "id", "postal_code")

    def __init__(self, id: str, county_fips: str | None, postal_code: str | None) -> None:
        self.id = id
        self.county_fips = county_fips
        self.postal_code = postal_code
