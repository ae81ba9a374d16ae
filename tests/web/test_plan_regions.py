"""A planner gives a draft its regions from its reps in the Workflow view (the button that
`terraplan plans regions --from reps` had no counterpart of), in a real Chromium."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .conftest import Api, shot


def _open_workflow(page: object, plan_id: str) -> None:
    page.select_option("#plan-select", plan_id)  # type: ignore[attr-defined]
    page.wait_for_function(f"() => TP.plan && TP.plan.id === '{plan_id}'")  # type: ignore[attr-defined]
    page.click("nav [data-view=workflow]")  # type: ignore[attr-defined]


def test_regions_from_reps_in_the_workflow_view_then_kpis_by_region(
    page_as: Callable[[str], object], api: Callable[[str], Api], tmp_path: Path
) -> None:
    planner = api("planner")
    assert planner.post("/plans/P1/copy", {"plan_id": "RG1", "name": "Regions test"}).ok
    before = planner.get("/plans/RG1").json()
    assert not any(t["parent_id"] for t in before["territories"])
    page = page_as("planner")
    _open_workflow(page, "RG1")
    page.wait_for_selector("#wf-status >> text=draft")
    page.wait_for_selector("#wf-actions[data-plan=RG1][data-status=draft]")
    assert page.is_visible("#wf-regions") and page.is_visible("#wf-regions-what")
    page.click("#wf-regions")
    page.wait_for_selector("#message >> text=Regions set from the reps")
    after = planner.get("/plans/RG1").json()
    assert after["version"] == before["version"] + 1
    leaves = {t["id"]: t for t in after["territories"] if t["id"] in {"T-R1", "T-R2", "T-R3"}}
    regions = {t["id"]: t["name"] for t in after["territories"] if t["id"] not in leaves}
    # each leaf under a region named as its rep's region, and the message lists each region
    assert len(regions) == 3 and all(leaves[t]["parent_id"] in regions for t in leaves)
    message = page.inner_text("#message")
    for name in regions.values():
        assert f"{name} (1 territory)" in message
    assert page.inner_text("#wf-version") == str(after["version"])
    # once more: nothing to change, said so, nothing written
    page.click("#wf-regions")
    page.wait_for_selector("#message >> text=already follow the reps")
    assert planner.get("/plans/RG1").json()["version"] == after["version"]
    # the dashboard now offers KPIs by region, one row per region
    page.click("nav [data-view=dashboard]")
    page.wait_for_function("() => !document.querySelector('#db-by option[value=region]').disabled")
    page.select_option("#db-by", "region")
    page.wait_for_function("() => document.querySelectorAll('#kpi-table tbody tr').length === 3")
    rows = page.locator("#kpi-table tbody tr").all_inner_texts()
    assert sorted(row.split("\t")[0].strip() for row in rows) == sorted(regions.values())
    shot(page, tmp_path, "regions-from-reps")
    assert not page.errors  # type: ignore[attr-defined]


def test_regions_from_reps_is_offered_on_drafts_to_planners_only(
    page_as: Callable[[str], object], api: Callable[[str], Api]
) -> None:
    page = page_as("planner")
    _open_workflow(page, "P1")  # the fixture's P1 is not a draft unless a test made it one
    status = api("planner").get("/plans/P1").json()["status"]
    page.wait_for_selector(f"#wf-actions[data-plan=P1][data-status={status}]")
    assert page.is_visible("#wf-regions") == (status == "draft")
    manager = page_as("manager")
    _open_workflow(manager, "P1")
    manager.wait_for_selector("#wf-actions[data-plan=P1]", state="attached")
    assert manager.is_hidden("#wf-regions") and manager.is_hidden("#wf-regions-what")
