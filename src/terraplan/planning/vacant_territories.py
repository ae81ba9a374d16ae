"""Vacant territories: leaf territories holding open accounts with no primary rep.

A territory whose rep left and was not replaced (open headcount, "TBH") has accounts and
new leads nobody works; ``alerts`` named a territory whose primary rep is marked inactive,
but not one with no primary rep at all (a rep who left, taken off the plan).
"""

from __future__ import annotations

import polars as pl

from terraplan.planning.kpi_groups import open_account_table, territory_table
from terraplan.planning.kpi_inputs import KpiInputs


def vacant_territories(inputs: KpiInputs) -> list[tuple[str, str, int]]:
    """``(territory id, name, open accounts)`` of each leaf territory with open accounts and
    no primary rep (none of its own, none shared), in id order."""
    table = territory_table(inputs)
    vacant = table.filter(pl.col("is_leaf") & pl.col("owner_id").is_null())
    shared = inputs.frame("shared_owners")
    if shared is not None:
        vacant = vacant.join(
            shared.select(pl.col("territory_id").cast(pl.String)).collect(),
            on="territory_id",
            how="anti",
        )
    if vacant.is_empty():
        return []
    counts = (
        open_account_table(inputs)
        .filter(pl.col("territory_id").is_not_null())
        .group_by("territory_id")
        .agg(pl.len().alias("accounts"))
        .collect()
    )
    found = vacant.join(counts, on="territory_id").sort("territory_id")
    return [
        (r["territory_id"], r["name"] or r["territory_id"], int(r["accounts"]))
        for r in found.iter_rows(named=True)
    ]


def vacant_reasons(inputs: KpiInputs) -> list[tuple[str, str]]:
    """``(territory id, reason)`` of each vacant territory, as an alert says it."""
    return [
        (
            territory_id,
            f"no primary rep (vacant): its {accounts:,} open accounts and new leads go to no "
            "one who works them; give it an owner (`terraplan plans owners`)",
        )
        for territory_id, _, accounts in vacant_territories(inputs)
    ]
