"""Accounts the plan's rules place outside its geography (a catch-all taking the accounts
whose county or postal code is none of the plan's units): the territory table beside the map
counts them where the rules put them, as KPIs do, rather than nowhere."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from terraplan.domain import RecordKind
from terraplan.planning.plan_edits import EditablePlan
from terraplan.storage.unit_of_work import UnitOfWork


def placed_outside_units(
    uow: UnitOfWork, state: EditablePlan, located: Any, *, exclude: Collection[str] = ()
) -> dict[str, dict[str, float]]:
    """``territory id -> metric -> total`` of the open accounts outside the plan's units that
    its latest rule run placed in a territory of the plan.

    ``located``: the open accounts as a polars frame of ``id``, ``unit`` (the account's unit
    code in the plan's code space, null when it has none) and one column per metric summed
    from accounts; None when no metric is. ``exclude``: accounts pinned by name, which the
    pins place. Empty when the rules were never applied: KPIs then place accounts by the
    plan's units too, so an account outside them is in no territory for either.
    """
    if located is None or not located.height:
        return {}
    import polars as pl

    units = list(state.alignment_map(RecordKind.GEO_UNIT))
    outside = located.filter(pl.col("unit").is_null() | ~pl.col("unit").is_in(units)).filter(
        ~pl.col("id").is_in(list(exclude))
    )
    if not outside.height:
        return {}
    where = uow.assignments.account_territories(state.plan.id, outside["id"].to_list())
    known = {t.id for t in state.plan.territories}
    where = {a: t for a, t in where.items() if t in known}
    if not where:
        return {}
    metrics = [c for c in outside.columns if c not in ("id", "unit")]
    sums = (
        outside.filter(pl.col("id").is_in(list(where)))
        .with_columns(pl.col("id").replace_strict(where, return_dtype=pl.String).alias("t"))
        .group_by("t")
        .agg(pl.col(m).sum() for m in metrics)
    )
    return {row["t"]: {m: float(row[m]) for m in metrics} for row in sums.iter_rows(named=True)}
