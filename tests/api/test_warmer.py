"""The monitoring warmer: active plans warmed at start, re-warmed only when their data changed,
each round reading every plan's full fingerprint (which sums the record tables) once."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event, text

from terraplan.api.response_cache import ResponseCache
from terraplan.api.warmer import MonitoringWarmer
from terraplan.domain import AlignmentEntry, GeoKind, Plan, PlanStatus, RecordKind, Territory
from terraplan.services.demo import load_demo
from terraplan.services.imports import import_file
from terraplan.services.monitoring_data import MonitoringCache
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def _active_plan(db: Database) -> None:
    dataset, _ = load_demo(db, n_accounts=200, seed=3)
    region_of = {state: region.id for region in dataset.regions for state in region.states}
    plan = Plan(
        id="P",
        name="Regions",
        status=PlanStatus.ACTIVE,
        territories=tuple(Territory(id=r.id, name=r.name) for r in dataset.regions),
        alignment=tuple(
            AlignmentEntry(RecordKind.GEO_UNIT, u.id, region_of[u.state])
            for u in dataset.geo_units
            if u.kind is GeoKind.COUNTY and u.state in region_of
        ),
    )
    with UnitOfWork(db) as uow:
        uow.plans.add(plan)
        uow.commit()


def test_a_round_reads_each_fingerprint_once_and_rewarms_only_after_a_change(
    db: Database, tmp_path: Path
) -> None:
    _active_plan(db)
    cache = MonitoringCache()
    responses = ResponseCache()
    responses.note_fingerprint("P", ("before",))  # a plan with cached bodies
    warmer = MonitoringWarmer(db, cache, responses=responses)
    sums: list[str] = []

    def note(_connection: object, _cursor: object, statement: str, *_: object) -> None:
        if "SUM(amount) FROM sales_lines" in statement:
            sums.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)

    def round_() -> None:
        sums.clear()
        warmer._round = {}  # what the loop does around each round
        try:
            warmer.warm_once()
            warmer.check_responses()
        finally:
            warmer._round = None

    round_()  # warms P: its fingerprint, then the cache's own check before loading
    first = cache.plan_data(db, "P")
    assert responses.generation("P") == 1  # the bodies noted "before" were dropped
    round_()
    assert len(sums) == 1  # nothing changed: one fingerprint, no KPI or alert work
    sums.clear()
    assert cache.plan_data(db, "P") is first  # (this ask reads the fingerprint too)

    with UnitOfWork(db) as uow:
        account = uow.connection.execute(text("SELECT id FROM accounts ORDER BY id")).scalar()
    lines = tmp_path / "lines.csv"
    lines.write_text(f"id,account_id,date,amount\nW1,{account},2025-06-01,500\n")
    import_file(db, lines, "sales_lines")
    round_()
    assert len(sums) >= 2  # changed: warmed again
    event.remove(db.engine, "before_cursor_execute", note)
    again = cache.plan_data(db, "P")
    assert again is not first
    assert responses.generation("P") == 2


def test_the_warmer_warms_what_a_fiscal_server_asks(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a fiscal year the routes ask for fiscal KPIs and alerts: the warmer computes
    those (the cache keys hold the calendar), so the first request finds them ready."""
    from terraplan.planning.fiscal import FiscalCalendar
    from terraplan.services import monitoring

    _active_plan(db)
    cache = MonitoringCache()
    fiscal = FiscalCalendar(7)
    MonitoringWarmer(db, cache, fiscal=fiscal).warm_once()

    def computed_again(*_: object, **__: object) -> None:
        raise AssertionError("not warmed")

    monkeypatch.setattr(monitoring, "compute_kpis", computed_again)
    monkeypatch.setattr(monitoring, "evaluate_alerts", computed_again)
    _, kpis = monitoring.plan_kpis(
        db, "P", periods=["YTD"], dimensions=["territory"], cache=cache, fiscal=fiscal
    )
    assert kpis["period_start"][0].month == 7
    _, alerts = monitoring.plan_alerts(db, "P", cache=cache, fiscal=fiscal)
    assert alerts.period.startswith("FY")
