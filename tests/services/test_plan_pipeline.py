"""A plan's life on the real demo data: rules, assignment, matching, sizing, targets, monitoring."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from tests.conftest import seed_region_plan

from terraplan.services.monitoring import (
    plan_alerts,
    plan_kpis,
    plan_report_html,
    territory_priorities,
)
from terraplan.services.ownership import apply_rules
from terraplan.services.reps_targets import plan_capacity, plan_matching, plan_targets
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


@pytest.fixture
def demo_plan(db: Database) -> Database:
    """The demo (600 accounts) and a plan of one territory per region, aligned by county (its
    code space known from the stored geo units' kind only: no design parameters)."""
    seed_region_plan(db, n_accounts=600, seed=11, units_parameter=False)
    return db


def test_rules_match_capacity_and_targets_on_the_demo(demo_plan: Database) -> None:
    db = demo_plan
    applied = apply_rules(db, "P1")
    assert (applied.run.records, applied.run.gaps, applied.run.conflicts) == (600, 0, 0)

    with UnitOfWork(db) as uow:
        owners_before = {a.id: a.owner_id for a in uow.accounts.list()}
    outcome = plan_matching(db, "P1", weights="distance=1,skill=0.2", apply=True, by="morgan")
    result, saved = outcome
    assert len(result.pairs) == 3
    assert saved.version == 2
    assert {t.id: t.primary_owner_ids for t in saved.territories} == {
        p.territory_id: (p.rep_id,) for p in result.pairs
    }
    # The accounts followed the new primary reps: the sync says how many, the audit log too.
    with UnitOfWork(db) as uow:
        owners_after = {a.id: a.owner_id for a in uow.accounts.list()}
        (entry,) = uow.audit.list(plan_id="P1", action="match", limit=10)
    changed = sum(owners_before[a] != owners_after[a] for a in owners_after)
    assert outcome.synced is not None and outcome.synced.changed == changed > 0
    assert entry.actor == "morgan" and entry.after["accounts_changed_owner"] == changed
    # The entry reads in names (territory and rep), with the ids kept beside them.
    with UnitOfWork(db) as uow:
        rep_name = {r.id: r.name for r in uow.reps.list()}
    territory_name = {t.id: t.name for t in saved.leaves()}
    assert entry.after["owners"] == {
        territory_name[p.territory_id]: [rep_name[p.rep_id]] for p in result.pairs
    }
    assert entry.after["owner_ids"] == {p.territory_id: [p.rep_id] for p in result.pairs}
    moved = sum(entry.before["owner_ids"][t] != ids for t, ids in entry.after["owner_ids"].items())
    assert entry.after["territories_with_new_owner"] == moved
    assert not set(entry.after["owners"]) & set(entry.after["owner_ids"])  # names, not ids

    report, _ = plan_capacity(db, "P1", hours_per_rep=1600, utilization=0.8)
    assert report.group_by == "territory"
    assert report.reps_needed >= 1
    assert report.total_workload_hours > 0

    targets = plan_targets(db, "P1", company_target="12M", growth="5%", period=2027, unit=1000)
    leaves = [t for t in targets.territories if t.territory_id.startswith("T-")]
    assert sum(t.final for t in leaves) == pytest.approx(12_000_000)
    with UnitOfWork(db) as uow:
        stored_targets = uow.targets.list(where={"plan_id": "P1"})
        assert uow.plan_results.get("P1", "targets") is not None
    assert len(stored_targets) == len(targets.targets)

    # One alignment, one revenue history: each territory's history behind its target is its
    # KPI revenue over the same months.
    basis = targets.basis
    _, monthly = plan_kpis(db, "P1", periods=["month"], dimensions=["territory"])
    first, last = basis.start.strftime("%Y-%m"), basis.end.strftime("%Y-%m")
    window = monthly.filter((pl.col("period") >= first) & (pl.col("period") <= last))
    kpi_revenue = dict(window.group_by("key").agg(pl.col("revenue").sum()).iter_rows())
    assert len(leaves) == 3
    for leaf in leaves:
        assert leaf.history == pytest.approx(kpi_revenue[leaf.territory_id], rel=1e-9)


def test_monitoring_reads_the_plan_from_the_database(demo_plan: Database) -> None:
    db = demo_plan
    apply_rules(db, "P1")
    data, kpis = plan_kpis(db, "P1", periods=["2025"], dimensions=["territory"])
    assert data.alignment_source == "the plan's latest rule run"
    assert sorted(kpis["key"]) == sorted(t.id for t in data.plan.territories)
    with UnitOfWork(db) as uow:
        lines = uow.sales_lines.list()
    expected = sum(line.amount for line in lines if line.date.year == 2025)
    assert kpis["revenue"].sum() == pytest.approx(expected, rel=1e-9)

    _, alerts = plan_alerts(db, "P1")
    assert alerts.as_of == max(line.date for line in lines)
    for alert in alerts.alerts:
        assert alert.reason

    first = kpis.sort("revenue", descending=True)["key"][0]
    ranked = territory_priorities(db, "P1", first, top=5)
    assert ranked.height == 5
    assert ranked["rank"].to_list() == [1, 2, 3, 4, 5]
    assert ranked["score"].is_sorted(descending=True)
    parts = [c for c in ranked.columns if c.endswith("_part")]
    assert ranked.select(pl.sum_horizontal(parts) - pl.col("score")).to_series().abs().max() < 1e-9

    html = plan_report_html(db, "P1")
    assert "<svg" in html and "Regions" in html
    assert "http://" not in html and "https://" not in html


def test_geo_alignment_is_used_before_any_rule_run(demo_plan: Database) -> None:
    data, kpis = plan_kpis(
        demo_plan, "P1", periods=[str(date(2025, 1, 1).year)], dimensions=["territory"]
    )
    assert data.alignment_source == "the plan's geo alignment, by each account's county"
    assert kpis["revenue"].sum() > 0


def test_kpi_targets_count_each_target_once(demo_plan: Database) -> None:
    db = demo_plan
    apply_rules(db, "P1")
    targets = plan_targets(db, "P1", company_target="9M", growth="0%", period=2026, unit=1000)
    assert any(
        t.period_start.month == 1 and t.period_end.month == 12 for t in targets.targets
    )  # a year target
    _, kpis = plan_kpis(db, "P1", periods=["2026"], dimensions=["territory"])
    assert kpis["target"].sum() == pytest.approx(9_000_000)


def test_last_years_quarterly_quotas_count_beside_next_years_monthly_targets(
    demo_plan: Database, tmp_path: Path
) -> None:
    # Quotas of 2025 imported from the CRM used to vanish from the 2025 KPIs (target and
    # attainment empty, exit 0) once `terraplan targets` had stored monthly targets for 2026.
    from terraplan.services.imports import import_file

    db = demo_plan
    apply_rules(db, "P1")
    plan_targets(db, "P1", company_target="9M", growth="0%", period=2026, unit=1000)
    with UnitOfWork(db) as uow:
        territories = [t.id for t in uow.plans.get("P1").territories]
    quarters = [("1/1/2025", "3/31/2025"), ("4/1/2025", "6/30/2025")]
    quarters += [("7/1/2025", "9/30/2025"), ("10/1/2025", "12/31/2025")]
    quotas = tmp_path / "quotas.csv"
    quotas.write_text(
        "id,Territory,Start Date,End Date,Quota,Plan\n"
        + "".join(
            f'Q{t}{q},{t},{start},{end},"$250,000",P1\n'
            for t in territories
            for q, (start, end) in enumerate(quarters)
        ),
        encoding="utf-8",
    )
    assert import_file(db, quotas, "targets").written == 4 * len(territories)
    _, kpis = plan_kpis(db, "P1", periods=["2025", "2025Q3", "2026"], dimensions=["territory"])
    by_period = kpis.group_by("period").agg(
        pl.col("target").sum(), pl.col("target").null_count().alias("missing")
    )
    got = {p: (t, n) for p, t, n in by_period.iter_rows()}
    assert got == {
        "2025": (pytest.approx(1_000_000 * len(territories)), 0),
        "2025Q3": (pytest.approx(250_000 * len(territories)), 0),
        "2026": (pytest.approx(9_000_000), 0),
    }


def test_leads_are_routed_by_the_plan_rules_for_conversion_kpis(demo_plan: Database) -> None:
    data, kpis = plan_kpis(demo_plan, "P1", periods=["2026"], dimensions=["territory"])
    leads = data.inputs.leads
    assert leads is not None
    assert leads["territory_id"].null_count() < leads.height  # the county rules place most leads
    rates = kpis["lead_conversion_rate"].drop_nulls()
    assert rates.len() > 0
    assert ((rates >= 0) & (rates <= 1)).all()
    assert (
        0
        < kpis.filter(pl.col("lead_conversion_rate").is_not_null())["lead_conversion_rate"].max()
        <= 1
    )


def test_imported_acquisition_costs_give_the_acquisition_cost_kpi(
    demo_plan: Database, tmp_path: Path
) -> None:
    from terraplan.errors import DataError
    from terraplan.services.imports import import_file

    db = demo_plan
    with UnitOfWork(db) as uow:
        territories = [t.id for t in uow.plans.get("P1").territories]
    costs = tmp_path / "costs.csv"
    costs.write_text(
        "id,territory,start,end,cost\n"
        + "".join(f"C{i},{t},2025-01-01,2025-12-31,120000\n" for i, t in enumerate(territories)),
        encoding="utf-8",
    )
    # a scenario copies P1's territory ids: the costs imported while P1 was the only plan
    # holding them count in P1 only (they used to count in every plan with those ids)
    outcome = import_file(db, costs, "acquisition_costs")
    assert outcome.written == len(territories)
    assert outcome.report.warnings[0].startswith(
        f"{len(territories)} costs name no plan: given the plan of the territory (e.g. "
    )
    from terraplan.services.new_plans import copy_plan

    scenario = copy_plan(db, "P1", new_id="P9")
    _, copied = plan_kpis(db, scenario.id, periods=["2025"], dimensions=["territory"])
    assert copied.height == len(territories)
    # a copy carries its source's costs (its own records): the same figures
    assert copied["acquisition_cost"].to_list() == [120000.0] * len(territories)
    _, kpis = plan_kpis(db, "P1", periods=["2025"], dimensions=["territory"])
    assert kpis["acquisition_cost"].to_list() == [120000.0] * len(territories)
    with_new = kpis.filter(pl.col("new_customers") > 0)
    assert with_new.height > 0
    expected = with_new["acquisition_cost"] / with_new["new_customers"]
    assert (with_new["customer_acquisition_cost"] - expected).abs().max() < 1e-6

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "id,territory_id,period_start,period_end,amount\nX1,NOPE,2025-01-01,2024-12-31,-5\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as caught:
        import_file(db, bad, "acquisition_costs")
    fields = {i["field"] for i in caught.value.details["report"]["issues"]}
    assert fields == {"territory_id", "period_end", "amount"}
