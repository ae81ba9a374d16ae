"""The review flow as people use it: steps offered by status, the plan list kept current,
the audit log newest first with reasons, change requests made on the map and decided in the
workflow view, balance verdicts as the dashboard gives them, and a narrow window."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

from .conftest import Api, shot

BUTTONS = ("#wf-submit", "#wf-approve", "#wf-draft", "#wf-activation", "#wf-copy")


def _open(page: object, plan_id: str, view: str) -> None:
    page.select_option("#plan-select", plan_id)  # type: ignore[attr-defined]
    page.wait_for_function(f"() => TP.plan && TP.plan.id === '{plan_id}'")  # type: ignore[attr-defined]
    page.click(f"nav [data-view={view}]")  # type: ignore[attr-defined]


def _shown(page: object, plan_id: str, status: str) -> set[str]:
    """The workflow steps offered once the buttons are set for that plan and status."""
    page.wait_for_selector(f"#wf-actions[data-plan='{plan_id}'][data-status='{status}']")  # type: ignore[attr-defined]
    return {b for b in BUTTONS if page.is_visible(b)}  # type: ignore[attr-defined]


def _option(page: object, plan_id: str) -> str:
    return page.inner_text(f"#plan-select option[value='{plan_id}']")  # type: ignore[attr-defined]


def test_steps_follow_the_status_and_the_reason_for_a_send_back_is_in_the_audit(
    page_as: Callable[[str], object], api: Callable[[str], Api], tmp_path: Path
) -> None:
    planner = api("planner")
    assert planner.post("/plans/P1/copy", {"plan_id": "FLOW1", "name": "Flow test"}).ok
    page = page_as("planner")
    _open(page, "FLOW1", "workflow")
    assert _shown(page, "FLOW1", "draft") == {"#wf-submit", "#wf-copy"}
    page.click("#wf-submit")
    assert _shown(page, "FLOW1", "in_review") == {"#wf-approve", "#wf-draft", "#wf-copy"}
    # The plan list says the new status without a reload.
    page.wait_for_function(
        "() => document.querySelector(\"#plan-select option[value='FLOW1']\").textContent.includes('in review')"
    )
    assert "in review" in _option(page, "FLOW1")
    page.once("dialog", lambda dialog: dialog.accept("Orange County belongs with the Desert team"))
    page.click("#wf-draft")
    assert _shown(page, "FLOW1", "draft") == {"#wf-submit", "#wf-copy"}
    assert page.inner_text("#message") == "Plan Flow test is back to draft."
    page.wait_for_function(
        "() => document.querySelector(\"#plan-select option[value='FLOW1']\").textContent.includes('draft')"
    )
    # Newest first, with what changed and why.
    first = page.locator("#audit tbody tr").first.inner_text()
    assert "status" in first and "in review → draft" in first
    assert "reason: Orange County belongs with the Desert team" in first
    stored = planner.get("/audit?plan_id=FLOW1&order=newest&limit=1").json()
    assert stored[0]["after"]["reason"] == "Orange County belongs with the Desert team"
    # A fresh draft has no edit history: Undo and Redo start disabled.
    page.click("nav [data-view=map]")
    assert page.is_disabled("#undo") and page.is_disabled("#redo")
    assert page.errors == []  # type: ignore[attr-defined]
    shot(page, tmp_path, "flow")


def test_a_manager_requests_a_move_on_the_map_and_a_planner_accepts_one(
    page_as: Callable[[str], object], api: Callable[[str], Api], tmp_path: Path
) -> None:
    planner = api("planner")
    assert planner.post("/plans/P1/copy", {"plan_id": "CR1", "name": "Requests"}).ok
    west = next(
        f["id"]
        for f in planner.get("/plans/CR1/map").json()["units"]["features"]
        if f["properties"]["territory"] == "T-R1"
    )
    manager = page_as("manager")
    _open(manager, "CR1", "map")
    manager.wait_for_selector("#request-panel", state="visible")
    assert manager.is_hidden("#edit-panel")
    manager.fill("#request-search", west)
    manager.locator("#request-search").dispatch_event("change")
    manager.wait_for_selector("#request-selection[data-count='1']")
    manager.fill("#request-reason", "Closer to Paula's base")
    with manager.expect_response(lambda r: r.url.endswith("/plans/CR1/comments")) as answer:
        manager.click("#request-send")
    sent = answer.value.json()
    assert sent["kind"] == "change_request" and sent["status"] == "open"
    assert sent["proposed_edit"] == {"op": "move_units", "units": [west], "to": "T-R1"}
    manager.wait_for_selector("#message >> text=Change request sent")

    # A planner proposes moving Los Angeles to Central; the workflow view decides it.
    proposed = planner.post(
        "/plans/CR1/comments",
        {
            "body": "Los Angeles to Central",
            "target_kind": "territory",
            "target_id": "T-R2",
            "proposed_edit": {"op": "move_units", "units": ["06037"], "to": "T-R2"},
        },
    )
    assert proposed.ok, proposed.text()
    page = page_as("planner")
    _open(page, "CR1", "workflow")
    item = page.locator(
        "#comments li[data-kind='change_request']", has_text="Los Angeles to Central"
    )
    item.wait_for()
    assert "Change request: move Los Angeles County" in item.inner_text()
    assert "to Central — open" in item.inner_text()
    item.locator("button.accept").click()
    page.wait_for_selector("#message >> text=Accepted")
    page.wait_for_selector("#comments li[data-status='accepted']")
    units = planner.get("/plans/CR1/map").json()["units"]["features"]
    assert next(f for f in units if f["id"] == "06037")["properties"]["territory"] == "T-R2"
    assert page.errors == []  # type: ignore[attr-defined]
    shot(page, tmp_path, "change-request")


def test_the_map_leaves_out_of_balance_what_the_design_gave_a_unit_alone(
    page_as: Callable[[str], object], api: Callable[[str], Api], web_database: str
) -> None:
    planner = api("planner")
    assert planner.post("/plans/P1/copy", {"plan_id": "BAL1", "name": "Balance"}).ok
    db = Database(web_database)
    try:
        with UnitOfWork(db) as uow:
            uow.plan_results.put(
                "BAL1",
                "design",
                {
                    "balance_criteria": {
                        "dedicated": [{"territory_id": "T-R3", "unit": "Kings County, NY"}]
                    }
                },
            )
            uow.commit()
    finally:
        db.dispose()
    page = page_as("planner")
    _open(page, "BAL1", "map")
    page.wait_for_function("() => TP.plan && TP.plan.id === 'BAL1'")
    cell = page.locator("tr[data-territory='T-R3'] td[data-unchecked='true']")
    assert cell.inner_text() == "not checked: given to Kings County, NY alone by the design"
    # The map's verdicts are the dashboard's: the same deviation for a checked territory.
    mapped = planner.get("/plans/BAL1/map").json()["territories"]
    west = next(t for t in mapped if t["id"] == "T-R1")["balance"]
    balance = planner.get("/plans/BAL1/balance").json()
    rows = balance["rows"] if isinstance(balance, dict) else balance
    dashboard = next(r for r in rows if r["territory_id"] == "T-R1" and r["metric"] == "potential")
    assert round(west["deviation"]["potential"], 6) == round(dashboard["deviation"], 6)
    assert "T-R3" not in {r["territory_id"] for r in rows}


def test_the_active_plan_opens_first_and_narrow_windows_do_not_scroll_sideways(
    browser: object, live_server: str, api: Callable[[str], Api]
) -> None:
    from .conftest import PASSWORD

    plans = api("planner").get("/plans").json()
    active = [p["id"] for p in plans if p["status"] == "active"]
    context = browser.new_context(viewport={"width": 800, "height": 800})  # type: ignore[attr-defined]
    try:
        page = context.new_page()
        page.goto(live_server + "/")
        page.fill("#username", "planner")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("body[data-ready=true]", timeout=60_000)
        opened = page.evaluate("() => TP.plan.id")
        assert opened == (active[0] if active else plans[0]["id"])
        for view in ("map", "dashboard", "workflow"):
            page.click(f"nav [data-view={view}]")
            page.wait_for_timeout(300)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 800, (view, width)
    finally:
        context.close()
