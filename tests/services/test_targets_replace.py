"""Setting targets for one period keeps the plan's targets for other periods (imported quotas)."""

from __future__ import annotations

from datetime import date

import pytest

from terraplan.domain import (
    Account,
    AlignmentEntry,
    Plan,
    RecordKind,
    SalesLine,
    Target,
    Territory,
)
from terraplan.services.reps_targets import plan_targets
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def _load(db: Database) -> None:
    """Two territories with 2025 sales, last year's quotas as a CRM exports them (a year for
    each, a first quarter for East), a quota already set for 2026-Q2 and a pipeline target."""
    accounts = [Account("A1", "Acme", potential=1e5), Account("A2", "Bolt", potential=1e5)]
    lines = [
        SalesLine(f"S{a}-{m}", a, date(2025, m, 15), amount)
        for a, amount in (("A1", 500.0), ("A2", 50.0))
        for m in range(1, 13)
    ]
    quotas = [
        Target("Q-west", date(2025, 1, 1), date(2025, 12, 31), 10_000, "W", plan_id="P"),
        Target("Q-east", date(2025, 1, 1), date(2025, 12, 31), 5_000, "E", plan_id="P"),
        Target("Q-east-q1", date(2025, 1, 1), date(2025, 3, 31), 1_000, "E", plan_id="P"),
        Target("Q-east-26q2", date(2026, 4, 1), date(2026, 6, 30), 2_000, "E", plan_id="P"),
        Target("Q-pipe", date(2026, 1, 1), date(2026, 12, 31), 9, "E", plan_id="P", metric="deals"),
        Target("Q-other", date(2026, 1, 1), date(2026, 12, 31), 7_000, "W", plan_id="P2"),
    ]
    plan = Plan(
        "P",
        "Regions",
        territories=(Territory("W", "West"), Territory("E", "East")),
        alignment=(
            AlignmentEntry(RecordKind.ACCOUNT, "A1", "W"),
            AlignmentEntry(RecordKind.ACCOUNT, "A2", "E"),
        ),
    )
    with UnitOfWork(db) as uow:
        uow.accounts.add_many(accounts)
        uow.sales_lines.add_many(lines)
        uow.targets.add_many(quotas)
        uow.plans.add(plan)
        uow.commit()


def _stored(db: Database) -> dict[str, Target]:
    with UnitOfWork(db) as uow:
        return {t.id: t for t in uow.targets.list()}


def test_targets_for_2026_keep_last_years_quotas_and_say_what_they_replace(db: Database) -> None:
    # `terraplan targets --period 2026` used to delete every target of the plan, 2025's
    # imported quotas included, without a word: 2025's target and attainment went blank.
    _load(db)
    result = plan_targets(
        db, "P", company_target=None, method="history", growth="10%", period=2026,
        as_of=date(2026, 1, 10),
    )  # fmt: skip
    stored = _stored(db)
    for kept in ("Q-west", "Q-east", "Q-east-q1", "Q-pipe", "Q-other"):
        assert kept in stored, kept
    assert "Q-east-26q2" not in stored  # a revenue quota inside 2026: replaced
    assert {t.id for t in result.targets} <= set(stored)
    notes = [w for w in result.warnings if "replaced" in w]
    assert notes == [
        "replaced 1 stored target(s) of the plan that overlap 2026-01-01 to 2026-12-31: "
        "East 2026-04-01 to 2026-06-30 (2,000); targets for other periods are kept"
    ]

    # Again for 2026: only its own earlier targets go, and the note says so.
    again = plan_targets(
        db, "P", company_target=None, method="history", growth="10%", period=2026,
        as_of=date(2026, 1, 10),
    )  # fmt: skip
    assert [w for w in again.warnings if "replaced" in w] == [
        f"replaced the {len(result.targets)} targets an earlier run set for "
        "2026-01-01 to 2026-12-31"
    ]
    stored = _stored(db)
    assert {"Q-west", "Q-east", "Q-east-q1", "Q-pipe", "Q-other"} <= set(stored)
    assert len(stored) == 5 + len(again.targets)
    with UnitOfWork(db) as uow:
        report = uow.plan_results.get("P", "targets")
    assert report is not None and any("an earlier run" in w for w in report["warnings"])


def test_a_second_half_set_after_the_regions_came_keeps_the_regions_year_whole(
    db: Database,
) -> None:
    # The plan gets its region after its year's targets were set, then its second half is
    # set again: the region held months of its own for July-December only, so KPIs read
    # its year as the second half (attainment 141 % where its territories made 78 %).
    from dataclasses import replace as replaced

    import polars as pl

    from terraplan.planning.kpis import compute_kpis
    from terraplan.services.monitoring_data import load_plan_data

    _load(db)
    plan_targets(
        db, "P", company_target="30000", method="history", period=2026, as_of=date(2026, 1, 10)
    )
    with UnitOfWork(db) as uow:
        plan = uow.plans.get("P")
        territories = (
            Territory("R", "All", level="region"),
            *(replaced(t, parent_id="R") for t in plan.territories),
        )
        uow.plans.save(replaced(plan, territories=territories))
        uow.commit()
    plan_targets(
        db, "P", company_target="9000", method="history", period="2026Q3",
        as_of=date(2026, 1, 10),
    )  # fmt: skip
    data = load_plan_data(db, "P")
    kpis = compute_kpis(
        data.inputs, as_of=date(2026, 12, 31), periods=["2026", "2026Q1", "2026Q3"],
        dimensions=["territory", "region"],
    )  # fmt: skip

    def target(dimension: str, period: str) -> float:
        rows = kpis.filter((pl.col("dimension") == dimension) & (pl.col("period") == period))
        return float(rows["target"].sum())

    for period in ("2026", "2026Q1", "2026Q3"):
        assert target("region", period) == pytest.approx(target("territory", period)), period
    # the third quarter as the second run set it
    assert target("region", "2026") == pytest.approx(target("territory", "2026"))
    assert target("region", "2026Q3") == pytest.approx(9000)
