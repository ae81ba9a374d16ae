"""Compare, workflow (comment, submit, approve, activate), a design job, dashboard, rules,
and what a rep sees, in a real Chromium."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from terraplan.domain import Target
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

from .conftest import Api, shot


def _open(page: object, plan_id: str, view: str) -> None:
    page.select_option("#plan-select", plan_id)  # type: ignore[attr-defined]
    page.wait_for_function(f"() => TP.plan && TP.plan.id === '{plan_id}'")  # type: ignore[attr-defined]
    page.click(f"nav [data-view={view}]")  # type: ignore[attr-defined]


def _add_targets(url: str, targets: list[Target]) -> None:
    db = Database(url)
    try:
        with UnitOfWork(db) as uow:
            uow.targets.add_many(targets)
            uow.commit()
    finally:
        db.dispose()


def test_compare_two_scenarios_shows_the_moved_county_and_its_accounts(
    page_as: Callable[[str], object],
    api: Callable[[str], Api],
    web_database: str,
    tmp_path: Path,
) -> None:
    planner = api("planner")
    assert planner.post("/plans/P1/copy", {"plan_id": "CMP1", "name": "Compare test"}).ok
    moved = planner.post(
        "/plans/CMP1/edits",
        {"edit": {"op": "move_units", "units": ["06037"], "to": "T-R2"}, "version": 1},
    )
    assert moved.ok, moved.text()
    # Revenue targets on the scenario only (West's two quarters, Central's year): the base
    # plan sets none, so its column says "-".
    _add_targets(
        web_database,
        [
            Target("CMP-W1", date(2026, 1, 1), date(2026, 3, 31), 50_000, "T-R1", plan_id="CMP1"),
            Target("CMP-W2", date(2026, 4, 1), date(2026, 6, 30), 70_000, "T-R1", plan_id="CMP1"),
            Target("CMP-C", date(2026, 1, 1), date(2026, 12, 31), 300_000, "T-R2", plan_id="CMP1"),
        ],
    )
    expected = planner.get("/plans/P1/compare/CMP1").json()
    assert expected["accounts_moved"] > 0
    assert (expected["target_base"], expected["target_other"]) == (None, 420_000)
    page = page_as("planner")
    page.click("nav [data-view=compare]")
    page.select_option("#compare-base", "P1")
    page.select_option("#compare-other", "CMP1")
    page.click("#compare")
    page.wait_for_selector("#compare-summary")
    summary = page.inner_text("#compare-summary li[data-key=accounts_moved]")
    assert summary.startswith(
        f"{expected['accounts_moved']:,} of {expected['accounts']:,} accounts"
    )
    assert "; 1 unit moves." in summary
    rows = page.locator("table[data-section=moved] tbody tr")
    assert rows.count() == expected["accounts_moved"]
    # Names, never ids: territories and owners of the moved accounts, the reps losing them.
    first = rows.nth(0).locator("td").all_inner_texts()
    assert first[1:5] == ["West", "Central", "Paula Flores", expected_owner(planner)], first
    result = page.inner_text("#compare-result")
    assert "Paula Flores" in page.inner_text("#compare-summary li[data-key=reps]")
    assert "REP-" not in result and "T-R" not in result
    # The targets per territory and in total, with the change.
    targets = "table[data-section=territories] tr[data-territory={}] td[data-col^=target]"
    # The base plan stores no targets: they are not set yet, not zero, so no change is shown
    # (a what-if copy without targets used to show its base's whole target as a cut).
    assert page.locator(targets.format("T-R1")).all_inner_texts() == ["-", "120k", "-"]
    assert page.locator(targets.format("T-R2")).all_inner_texts() == ["-", "300k", "-"]
    assert page.locator(targets.format("T-R3")).all_inner_texts() == ["-", "-", "-"]
    assert page.locator(targets.format("total")).all_inner_texts() == ["-", "420k", "-"]
    assert expected["target_period"] == "2026"  # the only plan with targets: its year
    assert page.inner_text("#compare-summary li[data-key=targets]") == (
        "Revenue targets for 2026: - → 420k."
    )
    assert "no targets are stored for plan P1" in page.inner_text("#compare-result .compare-note")
    # Base and scenario side by side, the moved unit (Los Angeles County) outlined on both,
    # coloured by its territory on each side, and the two maps panned together.
    page.wait_for_selector("#compare-map[data-moved-units='1']")
    assert page.get_attribute("#compare-map-base", "data-moved-units") == "1"
    assert page.inner_text("#compare-map-base-title").startswith("Base: ")
    assert page.inner_text("#compare-map-title") == "Scenario: Compare test"
    page.evaluate("() => { TPViews.cmpMap.setView([34.05, -118.24], 7, {animate: false}); }")
    centre = page.evaluate(
        "() => [TPViews.cmpBaseMap.getCenter().lat, TPViews.cmpBaseMap.getZoom()]"
    )
    assert abs(centre[0] - 34.05) < 0.01 and centre[1] == 7
    shot(page, tmp_path, "compare")

    # A manager deciding on the scenario compares it too, over their own region's territories.
    mine = api("manager").get("/plans/P1/compare/CMP1").json()
    manager = page_as("manager")
    manager.click("nav [data-view=compare]")
    manager.select_option("#compare-base", "P1")
    manager.select_option("#compare-other", "CMP1")
    manager.click("#compare")
    manager.wait_for_selector("#compare-summary")
    assert manager.inner_text("#compare-summary li[data-key=accounts_moved]").startswith(
        f"{mine['accounts_moved']:,} of {mine['accounts']:,} accounts"
    )
    assert mine["accounts"] < expected["accounts"]
    assert "compared over the territories of" in manager.inner_text("#compare-result")


def expected_owner(planner: Api) -> str:
    """The name of Central's primary rep (the new owner of Los Angeles' accounts)."""
    central = next(t for t in planner.get("/plans/CMP1").json()["territories"] if t["id"] == "T-R2")
    rep_id = central["owners"][0]["rep_id"]
    return str(planner.get(f"/reps/{rep_id}").json()["name"])


def test_comment_submit_approve_and_activate_from_the_workflow_view(
    page_as: Callable[[str], object], api: Callable[[str], Api], tmp_path: Path
) -> None:
    planner = api("planner")
    assert planner.post("/plans/P1/copy", {"plan_id": "WF1", "name": "Workflow test"}).ok
    page = page_as("planner")
    _open(page, "WF1", "workflow")
    page.wait_for_selector("#wf-status >> text=draft")
    page.select_option("#comment-target", "T-R1")
    page.fill("#comment-body", "West looks thin")
    page.click("#comment-form button[type=submit]")
    page.wait_for_selector("#comments li >> text=West looks thin")
    # The territory by its name, not its id.
    assert "planner on territory West (" in page.inner_text("#comments li")
    assert "T-R1" not in page.inner_text("#comments")
    page.click("#wf-submit")
    page.wait_for_selector("#wf-status >> text=in review")
    page.click("#wf-approve")
    page.wait_for_selector("#wf-status >> text=approved")
    # No date: the server activates from today, and the message says the day it stored.
    page.fill("#wf-date", "")
    page.click("#wf-activate")
    page.wait_for_selector("#wf-status >> text=active")
    page.wait_for_selector("#message >> text=is active from")  # said after the status shows
    stored = planner.get("/plans/WF1").json()
    assert stored["status"] == "active" and stored["effective_from"]
    assert f"active from {stored['effective_from']}." in page.inner_text("#message")
    assert page.inner_text("#wf-effective") == f" from {stored['effective_from']}"
    comments = planner.get("/plans/WF1/comments").json()
    assert [(c["author"], c["target_id"], c["body"]) for c in comments] == [
        ("planner", "T-R1", "West looks thin")
    ]
    audit = page.locator("#audit tbody tr").all_inner_texts()
    assert any("activation" in row for row in audit), audit
    # Push to the CRM: the two files, downloaded with the planner's session
    page.wait_for_selector("#crm-section:not([hidden]) #crm-owners")
    href = "id => document.getElementById(id).href"  # absolute, as the browser follows it
    owners = page.request.get(page.evaluate(href, "crm-owners"))  # type: ignore[attr-defined]
    assert owners.ok and owners.text().splitlines()[0] == "Id,OwnerId"
    etm = page.request.get(page.evaluate(href, "crm-etm"))  # type: ignore[attr-defined]
    assert etm.ok and etm.headers["content-type"] == "application/zip"
    assert etm.body()[:2] == b"PK"  # a ZIP archive
    shot(page, tmp_path, "workflow")


def test_design_job_runs_with_progress_and_opens_the_result(
    page_as: Callable[[str], object], api: Callable[[str], Api], tmp_path: Path
) -> None:
    page = page_as("planner")
    page.click("nav [data-view=design]")
    page.fill("#d-states", "NV, UT")
    page.fill("#d-n", "2")
    page.select_option("#d-metric", "count")
    page.fill("#d-tol", "50")
    page.click("#design-form button[type=submit]")
    page.wait_for_selector("#d-status[data-status=succeeded]", timeout=120_000)
    assert page.get_attribute("#d-progress", "value") == "1"
    plan_id = page.evaluate("() => TP.plan.id")
    designed = api("planner").get(f"/plans/{plan_id}").json()
    assert designed["status"] == "draft"
    assert len(designed["territories"]) == 2
    assert page.get_attribute("#map", "data-territories") == "2"
    # the plan opened is named, not given by its id
    status = page.inner_text("#d-status")
    assert status.endswith(f"opened plan {designed['name']}") and plan_id not in status, status
    shot(page, tmp_path, "design")

    # The price-of-balance curve on the same small design: chart and table show the same
    # points; opening one runs that design and opens it.
    page.click("nav [data-view=design]")
    page.check("#d-curve")
    page.fill("#d-curve-tols", "5, 50")
    page.click("#design-form button[type=submit]")
    page.wait_for_selector("#tradeoff-table", timeout=120_000)
    rows = page.locator("#tradeoff-table tbody tr")
    assert rows.count() >= 1
    assert page.locator("#tradeoff-chart circle.tradeoff-point").count() == rows.count()
    first = rows.nth(0).locator("td").all_inner_texts()
    assert first[0] in ("±5 %", "±50 %") and first[1].endswith("%")
    shot(page, tmp_path, "tradeoff")
    rows.nth(0).locator("button.open-point").click()
    page.wait_for_function(f"() => TP.plan && TP.plan.id !== '{plan_id}'", timeout=120_000)
    page.wait_for_selector("#d-status[data-status=succeeded]", timeout=120_000)
    assert page.get_attribute("#map", "data-territories") == "2"


def test_dashboard_shows_kpis_per_territory_and_alerts(
    page_as: Callable[[str], object], api: Callable[[str], Api], tmp_path: Path
) -> None:
    expected = api("planner").get("/plans/P1/kpis?dimension=territory").json()
    page = page_as("planner")
    _open(page, "P1", "dashboard")
    page.wait_for_selector("#kpi-table tbody tr")
    assert page.locator("#kpi-table tbody tr").count() == len(expected["rows"])
    assert page.locator("#kpi-chart .hbar").count() == len(expected["rows"])
    # No targets on this plan: the chart shows revenue, with the API's figures.
    assert page.get_attribute("#kpi-chart", "data-metric") == "revenue"
    west = next(r for r in expected["rows"] if r["key"] == "T-R1")
    assert page.inner_text("#kpi-table tr[data-key=T-R1] td:first-child") == "West"
    # shares as percentages, as in the CLI: growth -12.0 %, not -0.12
    growth = page.inner_text("#kpi-table tr[data-key=T-R1] td[data-col=revenue_growth]")
    assert growth == f"{west['revenue_growth'] * 100:.1f} %"
    assert f"{west['revenue'] / 1e3:.0f}k" in page.inner_text("#kpi-chart")
    page.wait_for_selector("#realignment >> text=ealignment")
    # the API's notes are shown, the growth one only as it concerns the period on screen
    notes = page.locator("#db-scope .kpi-note").all_inner_texts()
    said = [n for n in expected["notes"] if not n.startswith("growth is empty")]
    assert notes[: len(said)] == [f"Note: {n}." for n in said]
    shown = expected["rows"]
    latest = max(r["period_start"] for r in shown)
    unknown = any(r["revenue_prior_year"] is None for r in shown if r["period_start"] == latest)
    assert len(notes) == len(said) + unknown
    assert not any("growth is empty for" in n for n in notes)
    shot(page, tmp_path, "dashboard")


def _period_title(answer: dict[str, object]) -> str:
    """The period the dashboard names for a KPI answer: its latest period's title."""
    rows = answer["rows"]
    assert isinstance(rows, list) and rows
    latest = max(r["period_start"] for r in rows)
    label = next(r["period"] for r in rows if r["period_start"] == latest)
    titles = answer.get("period_titles") or {}
    assert isinstance(titles, dict)
    return str(titles.get(label, label))


def test_a_slow_earlier_answer_does_not_replace_the_period_chosen_since(
    page_as: Callable[[str], object], api: Callable[[str], Api]
) -> None:
    """The year-to-date figures answer slowly; the user picks "this quarter" meanwhile: the
    dashboard shows the quarter and keeps showing it when the year-to-date answer arrives."""
    planner = api("planner")
    quarter = _period_title(planner.get("/plans/P1/kpis?by=territory&period=quarter").json())
    ytd = _period_title(planner.get("/plans/P1/kpis?by=territory&period=YTD").json())
    assert quarter != ytd
    page = page_as("planner")
    page.evaluate(  # type: ignore[attr-defined]
        """() => { const plain = window.fetch; window.fetch = async (url, options) => {
             const slow = String(url).includes("period=YTD");
             if (slow) window.ytdAsked = true;
             const answer = await plain(url, options);
             if (slow) await new Promise((r) => setTimeout(r, 1500));
             return answer; }; }"""
    )
    _open(page, "P1", "dashboard")
    page.wait_for_function("() => window.ytdAsked")  # type: ignore[attr-defined]
    page.select_option("#db-period", "quarter")  # type: ignore[attr-defined]
    page.wait_for_selector("#view-dashboard[data-loaded='P1:territory:quarter']")  # type: ignore[attr-defined]
    page.wait_for_timeout(2500)  # type: ignore[attr-defined]  # the slow answer has arrived
    scope = page.inner_text("#db-scope")  # type: ignore[attr-defined]
    assert quarter in scope and ytd not in scope
    assert page.get_attribute("#view-dashboard", "data-loaded") == "P1:territory:quarter"  # type: ignore[attr-defined]
    assert page.input_value("#db-period") == "quarter"  # type: ignore[attr-defined]


def test_test_route_a_lead_shows_the_territory_and_explanation(
    page_as: Callable[[str], object], api: Callable[[str], Api]
) -> None:
    expected = (
        api("planner")
        .post("/route", {"company": "Acme", "postal_code": "90012", "plan_id": "P1"})
        .json()
    )
    page = page_as("planner")
    _open(page, "P1", "rules")
    page.click("#route-form button[type=submit]")
    page.wait_for_selector("#route-explanation")
    assert page.inner_text("#route-explanation") == expected["explanation"]
    assert expected["territory_name"] in page.inner_text("#route-result")


def test_a_rep_sees_only_their_own_territory(
    page_as: Callable[[str], object], api: Callable[[str], Api], tmp_path: Path
) -> None:
    page = page_as("rep")
    _open(page, "P1", "map")
    page.wait_for_selector("#map[data-territories='1']")
    assert [t.strip() for t in page.locator("#legend li[data-territory]").all_inner_texts()] == [
        "West — Paula Flores"
    ]
    assert page.locator("#territory-table tbody tr").count() == 1
    assert page.is_hidden("#edit-panel")
    assert page.is_hidden("nav [data-view=design]")
    # Another rep's account is not on the map, and the API hides it (404).
    rep = api("rep")
    shown = {row[4] for row in rep.get("/plans/P1/map").json()["accounts"]["rows"]}
    assert shown == {"T-R1"}
    assert rep.get("/plans/P1/compare/P1").status == 403
    shot(page, tmp_path, "rep-map")


def test_a_rep_gets_no_workflow_actions_and_only_their_territorys_comments(
    page_as: Callable[[str], object], api: Callable[[str], Api], tmp_path: Path
) -> None:
    planner = api("planner")
    assert planner.post("/plans/P1/copy", {"plan_id": "REP1", "name": "Rep test"}).ok
    for target, body in (("T-R2", "Central rep is underperforming"), ("T-R1", "West is fine")):
        posted = planner.post(
            "/plans/REP1/comments",
            {"body": body, "target_kind": "territory", "target_id": target},
        )
        assert posted.ok, posted.text()
    page = page_as("rep")
    # Compare and the rules (editing, test-routing) are for planners: their tabs are hidden.
    for view in ("compare", "rules", "design", "team"):
        assert page.is_hidden(f"nav [data-view={view}]"), view
    _open(page, "REP1", "workflow")
    page.wait_for_selector("#comments li >> text=West is fine")
    assert page.locator("#comments li").all_inner_texts() == [
        page.locator("#comments li").nth(0).inner_text()
    ]
    assert "planner on territory West (" in page.inner_text("#comments li")
    assert "Central" not in page.inner_text("#view-workflow")
    for button in ("#wf-submit", "#wf-approve", "#wf-draft", "#wf-activate", "#wf-copy"):
        assert page.is_hidden(button), button
    assert page.is_hidden("#audit")
    # Commenting on their own territory still works.
    page.select_option("#comment-target", "T-R1")
    page.fill("#comment-body", "Agreed")
    page.click("#comment-form button[type=submit]")
    page.wait_for_selector("#comments li >> text=Agreed")
    assert page.errors == []  # type: ignore[attr-defined]
    shot(page, tmp_path, "rep-workflow")


def test_a_manager_sees_their_region_and_comments(
    page_as: Callable[[str], object], api: Callable[[str], Api]
) -> None:
    planner = api("planner")
    assert planner.post("/plans/P1/copy", {"plan_id": "MGR1", "name": "Manager test"}).ok
    page = page_as("manager")
    _open(page, "MGR1", "workflow")
    assert page.get_attribute("#map", "data-territories") == "1"
    assert page.is_hidden("nav [data-view=design]")
    page.wait_for_selector("#wf-status >> text=draft")
    page.fill("#comment-body", "Fine by the West")
    page.click("#comment-form button[type=submit]")
    page.wait_for_selector("#comments li >> text=Fine by the West")
    comments = planner.get("/plans/MGR1/comments").json()
    assert [(c["author"], c["body"]) for c in comments] == [("manager", "Fine by the West")]
    # A draft: nothing a manager may do to its status; no audit log (planners and admins).
    for button in ("#wf-submit", "#wf-approve", "#wf-draft", "#wf-activate", "#wf-copy"):
        assert page.is_hidden(button), button
    assert page.is_hidden("#audit")
    assert page.is_hidden("#crm-section")  # the CRM files hold every account: planners only
    # In review it still spans three regions: no manager approves it, so no button either
    # (a plan wholly in their region gets Approve: tests/api/test_comment_visibility.py).
    assert planner.post("/plans/MGR1/status", {"status": "in_review", "version": 1}).ok
    page.click("nav [data-view=map]")
    page.click("nav [data-view=workflow]")
    page.wait_for_selector("#wf-status >> text=in review")
    for button in ("#wf-submit", "#wf-approve", "#wf-draft", "#wf-activate", "#wf-copy"):
        assert page.is_hidden(button), button
    assert page.errors == []  # type: ignore[attr-defined]
