"""Right after a design, monitoring judges the plan by the design's own criteria: no balance
alert and no realignment for a plan within its tolerance; flags still override."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest
from tests.conftest import TerraplanCli

from terraplan.domain import Account, SalesLine
from terraplan.services.design import design_plan
from terraplan.services.monitoring import plan_alerts, plan_balance, plan_report_html
from terraplan.storage.database import Database
from terraplan.storage.mappers import to_record
from terraplan.storage.unit_of_work import UnitOfWork


def _accounts(db: Database) -> None:
    from terraplan.data.counties import load_counties

    counties = [c for c in load_counties() if c.state in ("CT", "RI", "MA")]
    rng = np.random.default_rng(5)
    weights = np.array([c.attributes["population"] for c in counties])
    picks = rng.choice(len(counties), size=600, p=weights / weights.sum())
    accounts = [
        Account(
            id=f"A{i:04d}",
            name=f"Company {i}",
            state=counties[c].state,
            county_fips=counties[c].id,
            potential=float(rng.lognormal(10, 0.6)),
            workload=float(rng.uniform(5, 40)),
        )
        for i, c in enumerate(picks.tolist())
    ]
    sales = [
        SalesLine(f"S{i:04d}", a.id, date(2026, 1 + i % 9, 15), 1000.0)
        for i, a in enumerate(accounts[:200])
    ]
    with UnitOfWork(db) as uow:
        uow.accounts.upsert_records(to_record(a) for a in accounts)
        uow.sales_lines.upsert_records(to_record(s) for s in sales)
        uow.commit()


def test_a_fresh_design_raises_no_balance_alert_and_no_realignment(db: Database) -> None:
    _accounts(db)
    run = design_plan(
        db,
        states={"CT", "RI", "MA"},
        n_territories=4,
        balance={"potential": 0.10, "workload": 0.15},
        contiguous=True,
        seed=2,
        time_limit=10,
        method="heuristic",
    )
    assert run.outcome.report.balance.all_within
    _, report = plan_alerts(db, run.plan.id)
    assert report.criteria is not None
    assert report.criteria.describe() == "potential ±10%, workload ±15% (from the plan's design)"
    assert [a for a in report.alerts if a.kind in ("balance", "drift")] == []
    assert not report.realignment.recommended
    # The old rule (potential, workload and account count at 10 %) would not hold here:
    _, strict = plan_alerts(db, run.plan.id, balance_tolerance=0.01)
    assert {a.metric for a in strict.alerts if a.kind == "balance"} <= {"potential", "workload"}
    assert len([a for a in strict.alerts if a.kind == "balance"]) >= 2
    _, counted = plan_alerts(db, run.plan.id, balance={"count": 0.01})
    assert {a.metric for a in counted.alerts if a.kind == "balance"} == {"account_count"}

    # `kpis --balance`: the same figures as the design printed, territory by territory.
    criteria, frame = plan_balance(db, run.plan.id)
    assert criteria.territories == {t.id for t in run.plan.territories}
    design = run.outcome.report.balance
    for t, territory in enumerate(run.plan.territories):
        for j, metric in enumerate(run.outcome.metric_names):
            row = frame.filter(
                (pl.col("territory_id") == territory.id) & (pl.col("metric") == metric)
            )
            assert row["value"][0] == pytest.approx(design.totals[t, j])
            assert row["deviation"][0] == pytest.approx(design.deviation[t, j], abs=1e-9)

    html = plan_report_html(db, run.plan.id)
    assert "Judged by: potential ±10%, workload ±15% (from the plan&#x27;s design)" in html


def test_the_balance_table_names_territories(db: Database, terraplan_cli: TerraplanCli) -> None:
    """`kpis --balance` showed territory ids (T01) where every other table shows names."""
    from dataclasses import replace

    _accounts(db)
    run = design_plan(
        db, states={"CT", "RI", "MA"}, n_territories=4, balance={"potential": 0.2}, seed=2,
        time_limit=10, method="heuristic",
    )  # fmt: skip
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(run.plan.id)
        named = tuple(replace(t, name=f"New England {i}") for i, t in enumerate(plan.territories))
        uow.plans.save(replace(plan, territories=named))
        uow.commit()
    shown = terraplan_cli("kpis", "--plan", run.plan.id, "--balance", database_url=db.url)
    assert shown.returncode == 0, shown.stderr
    assert "New England 0" in shown.stdout
    assert not any(t.id in shown.stdout.split() for t in plan.territories)
