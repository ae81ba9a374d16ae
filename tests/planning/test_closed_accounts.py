"""Closed accounts count for what a territory holds no more: balance, capacity, priorities
and the unowned-account alert leave them out; the KPIs of periods keep their sales."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl

from terraplan.planning.kpi_balance import rep_capacity, territory_totals
from terraplan.planning.kpis import compute_kpis

from .test_alerts import AS_OF, inputs


def _closing(data, account_id: str):  # type: ignore[no-untyped-def]
    accounts = data.frame("accounts").collect()
    closed = accounts.with_columns(
        pl.when(pl.col("id") == account_id)
        .then(pl.lit(date(2026, 1, 31)))
        .otherwise(None)
        .cast(pl.Date)
        .alias("closed_on")
    )
    return replace(data, accounts=closed)


def test_a_closed_account_leaves_balance_and_capacity_but_keeps_its_sales() -> None:
    data = inputs({"T1": 1000.0, "T2": 500.0}, extra_accounts=[("BIG", 4000.0, "T1", None)])
    before = {r["territory_id"]: r for r in territory_totals(data).iter_rows(named=True)}
    assert (before["T1"]["potential"], before["T1"]["account_count"]) == (5000.0, 2.0)
    closed = _closing(data, "A_T1")  # the account that sold in T1
    after = {r["territory_id"]: r for r in territory_totals(closed).iter_rows(named=True)}
    assert (after["T1"]["potential"], after["T1"]["account_count"]) == (4000.0, 1.0)
    assert after["T2"] == before["T2"]
    load = {r["rep_id"]: r["workload"] for r in rep_capacity(closed).iter_rows(named=True)}
    assert load["rep_T1"] == 400.0  # 100 hours of the closed account gone
    # Revenue of past periods stays: the KPI table is the same with or without the close.
    kpis_before = compute_kpis(data, as_of=AS_OF, periods=["2026"], dimensions=["territory"])
    kpis_after = compute_kpis(closed, as_of=AS_OF, periods=["2026"], dimensions=["territory"])
    revenue = kpis_after.filter(pl.col("key") == "T1")["revenue"].to_list()
    assert revenue == [100.0]
    assert kpis_before["revenue"].to_list() == kpis_after["revenue"].to_list()
