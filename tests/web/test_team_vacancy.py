"""The Team tab on a plan with a vacant territory (no primary rep).

The matching's totals counted a vacant territory among those that "would get another rep",
though it had none; the alerts call it vacant. The tab now says it gets one, by name, as the
CLI's `reps match` does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

from .conftest import Api, shot


def test_the_team_tab_says_a_vacant_territory_gets_a_rep(
    page_as: Callable[[str], object], api: Callable[[str], Api], web_database: str, tmp_path: Path
) -> None:
    planner = api("planner")
    assert planner.post("/plans/P1/copy", {"plan_id": "VAC1", "name": "Vacancy"}).ok  # type: ignore[attr-defined]
    db = Database(web_database)
    try:
        with UnitOfWork(db) as uow:
            plan = uow.plans.get("VAC1")
            leaf = next(t for t in plan.territories if t.owners and t.level != "region")
            vacant = tuple(
                replace(t, owners=()) if t.id == leaf.id else t for t in plan.territories
            )
            uow.plans.save(replace(plan, territories=vacant))
            uow.commit()
    finally:
        db.dispose()
    computed = planner.post("/plans/VAC1/team/matching", {})
    assert computed.ok, computed.text()  # type: ignore[attr-defined]
    assert computed.json()["matching"]["vacancies_filled"] == [leaf.name]  # type: ignore[attr-defined]
    page = page_as("planner")
    page.select_option("#plan-select", "VAC1")  # type: ignore[attr-defined]
    page.wait_for_function("() => TP.plan && TP.plan.id === 'VAC1'")  # type: ignore[attr-defined]
    page.click("nav [data-view=team]")  # type: ignore[attr-defined]
    page.wait_for_selector("#team-matching-totals")  # type: ignore[attr-defined]
    totals = page.inner_text("#team-matching-totals")  # type: ignore[attr-defined]
    shot(page, tmp_path, "team-vacancy")
    assert f"1 vacant territory ({leaf.name}) would get one" in totals, totals
    changing = sum(1 for p in computed.json()["matching"]["pairs"] if not p["current"])  # type: ignore[attr-defined]
    assert (
        f"{changing - 1} {'territory' if changing == 2 else 'territories'} would get another rep"
        in totals
    ), totals
