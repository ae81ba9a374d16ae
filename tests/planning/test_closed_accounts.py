"""Closed accounts count for what a territory holds no more: balance, capacity, priorities
and the unowned-account alert leave them out; the KPIs of periods keep their sales."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl
import pytest

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
    # ... and a period's book holds the accounts open at some time in it: the year the
    # account closed in (January) holds it, a quarter after that does not
    periods = ["2026", "2026Q2", "2025-12"]
    before = compute_kpis(data, as_of=AS_OF, periods=periods, dimensions=["territory"])
    after = compute_kpis(closed, as_of=AS_OF, periods=periods, dimensions=["territory"])

    def t1(frame: pl.DataFrame) -> dict[str, dict[str, float]]:
        return {r["period"]: r for r in frame.filter(pl.col("key") == "T1").iter_rows(named=True)}

    was, now = t1(before), t1(after)
    for period in ("2026", "2025-12"):
        assert now[period]["account_count"] == was[period]["account_count"] == 2.0
        assert now[period]["potential"] == pytest.approx(was[period]["potential"])
    assert now["2026Q2"]["account_count"] == was["2026Q2"]["account_count"] - 1 == 1.0
    assert now["2026Q2"]["potential"] == pytest.approx(was["2026Q2"]["potential"] * 0.8)
    # the year's whitespace counts what the closed account bought in it, as its revenue does
    assert now["2026"]["whitespace"] == pytest.approx(now["2026"]["potential"] - 100.0)
    # active accounts count its activity until it closed: inactive in the year it closed
    assert (was["2026"]["inactive_accounts"], now["2026"]["inactive_accounts"]) == (1.0, 2.0)


def test_balance_leaves_out_a_metric_no_account_carries() -> None:
    from terraplan.domain import Plan, Territory
    from terraplan.planning.balance_criteria import plan_balance_criteria
    from terraplan.services.monitoring_data import _measurable

    data = inputs({"T1": 1000.0, "T2": 500.0}, extra_accounts=[("X", 10.0, "T1", None)])
    accounts = data.frame("accounts").collect()
    blank = accounts.with_columns(
        pl.lit(None, dtype=pl.Float64).alias("workload"),
        pl.when(pl.col("id") == "X").then(None).otherwise(pl.col("potential")).alias("potential"),
    )
    plan = Plan(id="P", name="P", territories=(Territory("T1", "A"), Territory("T2", "B")))
    criteria = _measurable(plan_balance_criteria(plan), replace(data, accounts=blank))
    assert "workload" not in criteria.tolerances
    assert {"potential", "account_count"} <= set(criteria.tolerances)
    assert "no account carries a workload, so workload balance is not checked" in criteria.notes
    assert "1 of 3 accounts have no potential: they count as 0 in potential balance" in (
        criteria.notes
    )
    # With every metric carried, the criteria are the plan's own.
    full = plan_balance_criteria(plan)
    assert _measurable(full, data) is full
    # The plan's only metric is kept, its zeros said.
    only = plan_balance_criteria(plan, balance={"workload": 0.15})
    kept = _measurable(only, replace(data, accounts=blank))
    assert dict(kept.tolerances) == {"workload": 0.15}
    assert any(
        n.startswith("no account carries a workload: every territory reads 0") for n in kept.notes
    )
