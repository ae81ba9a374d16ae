"""A plan designed on annual revenue (a HubSpot or Dynamics company export has no potential:
annual revenue is its money metric) is monitored on it by `kpis --balance`, `alerts` and the
report, with the design's figures; asking for it by flag works, and a design on accounts is
monitored on its employees and custom numeric attributes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from tests.conftest import TerraplanCli

from terraplan.domain import Account, SalesLine
from terraplan.services.design import design_plan
from terraplan.services.monitoring import (
    alert_notes,
    plan_alerts,
    plan_balance,
    plan_report_html,
)
from terraplan.storage.database import Database
from terraplan.storage.mappers import to_record
from terraplan.storage.unit_of_work import UnitOfWork


def _companies(db: Database, n: int = 400) -> list[Account]:
    """Companies as a CRM export leaves them: no potential, no workload; annual revenue
    lognormal with one in ten blank; employees, and seats as a custom attribute (some blank,
    one typed as text)."""
    from terraplan.data.counties import load_counties

    counties = [c for c in load_counties() if c.state in ("CT", "RI", "MA")]
    rng = np.random.default_rng(11)
    weights = np.array([c.attributes["population"] for c in counties])
    picks = rng.choice(len(counties), size=n, p=weights / weights.sum())
    accounts = []
    for i, c in enumerate(picks.tolist()):
        seats: object = int(rng.integers(1, 60))
        if i % 7 == 0:
            seats = None
        elif i == 5:
            seats = "unknown"
        accounts.append(
            Account(
                id=f"9{i:09d}",
                name=f"Company {i}",
                state=counties[c].state,
                county_fips=counties[c].id,
                latitude=counties[c].latitude + float(rng.normal(0, 0.05)),
                longitude=counties[c].longitude + float(rng.normal(0, 0.05)),
                annual_revenue=None if i % 10 == 3 else float(rng.lognormal(15, 1.2)),
                employees=int(rng.integers(3, 900)),
                attributes={} if seats is None else {"seats": seats},
            )
        )
    sales = [
        SalesLine(f"S{i:04d}", a.id, date(2026, 1 + i % 9, 15), 1000.0)
        for i, a in enumerate(accounts[::4])
    ]
    with UnitOfWork(db) as uow:
        uow.accounts.upsert_records(to_record(a) for a in accounts)
        uow.sales_lines.upsert_records(to_record(s) for s in sales)
        uow.commit()
    return accounts


def test_a_design_on_annual_revenue_is_monitored_on_it(
    db: Database, terraplan_cli: TerraplanCli
) -> None:
    accounts = _companies(db)
    run = design_plan(
        db, states={"CT", "RI", "MA"}, n_territories=3, balance={"annual_revenue": 0.15},
        seed=3, time_limit=10, method="heuristic",
    )  # fmt: skip
    criteria, frame = plan_balance(db, run.plan.id)
    assert dict(criteria.tolerances) == {"annual_revenue": 0.15}
    assert not any("cannot total" in n for n in criteria.notes)
    lacking = sum(a.annual_revenue is None for a in accounts)
    assert f"{lacking:,} of {len(accounts):,} accounts have no annual_revenue" in " ".join(
        criteria.notes
    )
    # the design's own totals, territory by territory
    design = run.outcome.report.balance
    j = list(run.outcome.metric_names).index("annual_revenue")
    for t, territory in enumerate(run.plan.territories):
        if territory.id not in criteria.territories:
            continue
        row = frame.filter(pl.col("territory_id") == territory.id).row(0, named=True)
        assert row["metric"] == "annual_revenue"
        assert row["value"] == pytest.approx(design.totals[t, j])
    _, report = plan_alerts(db, run.plan.id)
    assert report.criteria is not None
    assert report.criteria.describe() == "annual_revenue ±15% (from the plan's design)"
    assert [a for a in report.alerts if a.kind == "balance"] == []
    # asked by flag, at a band the design cannot meet, it alerts in the user's words
    _, tight = plan_alerts(db, run.plan.id, balance={"annual_revenue": 0.0001})
    assert {a.metric for a in tight.alerts if a.kind == "balance"} == {"annual_revenue"}

    html = plan_report_html(db, run.plan.id)
    assert "Judged by: annual_revenue ±15% (from the plan&#x27;s design)" in html
    assert "Annual revenue per territory" in html  # its chart, as for potential

    url = db.url
    plan = run.plan.id
    shown = terraplan_cli("kpis", "--plan", plan, "--balance", "-f", "json", database_url=url)
    assert shown.returncode == 0, shown.stderr
    body = json.loads(shown.stdout)
    assert {r["metric"] for r in body["rows"]} == {"annual_revenue"}
    assert body["criteria"] == "annual_revenue ±15% (from the plan's design)"
    assert any("have no annual_revenue" in n for n in body["notes"])
    flagged = terraplan_cli(
        "alerts", "--plan", plan, "--balance", "annual_revenue:15%", database_url=url
    )
    assert flagged.returncode == 0, flagged.stderr
    assert "Balance judged by: annual_revenue ±15% (from the flags)" in flagged.stdout
    typo = terraplan_cli(
        "alerts", "--plan", plan, "--balance", "annual_revnue:15%", database_url=url
    )
    assert typo.returncode == 2 and "annual_revnue" in typo.stderr
    # the notes of the table are in the JSON, each once
    table = terraplan_cli("alerts", "--plan", plan, database_url=url)
    as_json = json.loads(
        terraplan_cli("alerts", "--plan", plan, "-f", "json", database_url=url).stdout
    )
    assert as_json["notes"] == alert_notes(report)
    said = " ".join(table.stderr.split())
    for text in as_json["notes"]:
        assert " ".join(text.split()) in said
    assert as_json["balance_criteria"]["notes"] == list(report.criteria.notes)


def test_a_design_on_accounts_is_monitored_on_employees_and_a_custom_attribute(
    db: Database, tmp_path: Path
) -> None:
    accounts = _companies(db, n=120)
    run = design_plan(
        db, units="accounts", n_territories=4, balance={"employees": 0.1, "seats": 0.2},
        seed=1, time_limit=10, method="heuristic",
    )  # fmt: skip
    criteria, frame = plan_balance(db, run.plan.id)
    assert dict(criteria.tolerances) == {"employees": 0.1, "seats": 0.2}
    lacking = sum(not isinstance(a.attributes.get("seats"), int) for a in accounts)  # or text
    assert criteria.notes == (
        f"{lacking} of 120 accounts have no seats: they count as 0 in seats balance",
    )
    design = run.outcome.report.balance
    for j, metric in enumerate(run.outcome.metric_names):
        for t, territory in enumerate(run.plan.territories):
            row = frame.filter(
                (pl.col("territory_id") == territory.id) & (pl.col("metric") == metric)
            )
            assert row["value"][0] == pytest.approx(design.totals[t, j]), (metric, territory.id)
    assert sum(frame.filter(pl.col("metric") == "employees")["value"]) == sum(
        a.employees or 0 for a in accounts
    )
    # a custom attribute may be asked for by flag when the accounts carry it
    criteria, frame = plan_balance(db, run.plan.id, balance={"seats": 0.3})
    assert set(frame["metric"]) == {"seats"}
