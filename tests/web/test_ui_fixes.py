"""Fixes from the web UI audit (/tmp/audit/webui/findings.md), in a real Chromium: a stale
workflow step reloads the plan, an ended session keeps what was typed, one design job at a
time (with Cancel), Accept only on drafts, the test-route's notes, a stale notes save, the
keyboard (map markers, skip link, tabs), named charts, Team & targets at 800 px and the
"Loading…" state."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from terraplan.services.reps_targets import plan_targets
from terraplan.storage.database import Database

from .conftest import PASSWORD, Api, shot


def _open(page: object, plan_id: str, view: str) -> None:
    page.select_option("#plan-select", plan_id)  # type: ignore[attr-defined]
    page.wait_for_function(f"() => TP.plan && TP.plan.id === '{plan_id}'")  # type: ignore[attr-defined]
    page.click(f"nav [data-view={view}]")  # type: ignore[attr-defined]


def _copy(planner: Api, plan_id: str, name: str) -> None:
    answer = planner.post("/plans/P1/copy", {"plan_id": plan_id, "name": name})
    assert answer.ok, answer.text()  # type: ignore[attr-defined]


def _west_page_of_a_copy(
    page_as: Callable[[str], object], planner: Api, plan_id: str, name: str
) -> object:
    """A planner's page on the West territory page of a new copy of P1, loaded."""
    _copy(planner, plan_id, name)
    page = page_as("planner")
    _open(page, plan_id, "territory")
    page.select_option("#tp-territory", "T-R1")  # type: ignore[attr-defined]
    page.wait_for_selector("#view-territory[data-state=loaded]")  # type: ignore[attr-defined]
    return page


def _submit(planner: Api, plan_id: str, status: str = "in_review") -> None:
    version = planner.get(f"/plans/{plan_id}").json()["version"]  # type: ignore[attr-defined]
    answer = planner.post(f"/plans/{plan_id}/status", {"status": status, "version": version})
    assert answer.ok, answer.text()  # type: ignore[attr-defined]


# --- 4: workflow buttons after a 409 --------------------------------------------------------


def test_a_stale_workflow_step_reloads_the_plan_and_the_next_click_works(
    page_as: Callable[[str], object], api: Callable[[str], Api], tmp_path: Path
) -> None:
    planner = api("planner")
    _copy(planner, "STALE1", "Stale workflow")
    page = page_as("planner")
    _open(page, "STALE1", "workflow")
    page.wait_for_selector("#wf-version >> text=1")
    # Someone else renames a territory: the plan is at version 2, the page still at 1.
    renamed = planner.post(
        "/plans/STALE1/edits",
        {"edit": {"op": "rename", "territory": "T-R1", "name": "Far West"}, "version": 1},
    )
    assert renamed.ok, renamed.text()
    page.click("#wf-submit")
    page.wait_for_selector("#message >> text=reloaded with that change")
    message = page.inner_text("#message")
    assert "last changed by planner" in message and "now version 2" in message, message
    assert page.inner_text("#wf-version") == "2"
    assert page.locator("#legend", has_text="Far West").count() == 1  # the map reloaded too
    # The next click goes through (it used to repeat the same 409 forever).
    page.click("#wf-submit")
    page.wait_for_selector("#wf-status >> text=in review")
    assert planner.get("/plans/STALE1").json()["status"] == "in_review"
    shot(page, tmp_path, "stale-workflow")


# --- 5: an ended session --------------------------------------------------------------------


def test_an_ended_session_says_so_and_puts_the_typed_notes_back(
    page_as: Callable[[str], object], api: Callable[[str], Api], tmp_path: Path
) -> None:
    planner = api("planner")
    page = _west_page_of_a_copy(page_as, planner, "SESS1", "Session test")
    typed = "Two partner events in Reno\nbefore the summer"
    page.fill("#tp-strategy", typed)
    # The session ends (signed out in another tab of the same browser).
    page.evaluate(
        "() => fetch('/auth/logout', {method: 'POST', headers: {'X-CSRF-Token': csrfToken()}})"
    )
    page.click("#tp-save")
    page.wait_for_selector("#login-reason:not([hidden])")
    reason = page.inner_text("#login-reason")
    assert "session has ended" in reason and "typed is kept" in reason, reason
    shot(page, tmp_path, "session-ended")
    page.fill("#username", "planner")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-ready=true]")
    # Back on the same plan, view and territory, with the text as it was typed.
    assert page.evaluate("() => TP.plan.id") == "SESS1"
    assert page.is_visible("#view-territory")
    assert page.input_value("#tp-strategy") == typed
    assert "What you had typed is back" in page.inner_text("#message")
    page.click("#tp-save")
    page.wait_for_selector("#tp-saved >> text=revision 1")
    notes = planner.get("/plans/SESS1/territories/T-R1/notes").json()
    assert notes["strategy"] == typed
    assert page.evaluate("() => sessionStorage.getItem('terraplan-kept')") is None


# --- 6: one design job at a time, with Cancel ------------------------------------------------


def test_run_design_is_disabled_while_its_job_runs_and_cancel_stops_it(
    page_as: Callable[[str], object],
) -> None:
    page = page_as("planner")
    # The job service is played here so that the job is still running whatever the machine's
    # speed: POST /jobs answers one job, its polls say "running" until it is cancelled.
    calls: list[str] = []
    state = {"status": "running"}

    def job(status: str) -> str:
        return json.dumps(
            {"id": "J-UI", "kind": "design", "status": status, "progress": 0.2, "step": status}
            | ({"error": {"message": "cancelled by planner"}} if status == "cancelled" else {})
        )

    def jobs(route: object) -> None:
        request = route.request  # type: ignore[attr-defined]
        calls.append(f"{request.method} {request.url.split('/jobs', 1)[1]}")
        if request.url.endswith("/cancel"):
            state["status"] = "cancelled"
        route.fulfill(status=200, content_type="application/json", body=job(state["status"]))  # type: ignore[attr-defined]

    page.route(re.compile(r".*/jobs(/.*)?$"), jobs)
    page.click("nav [data-view=design]")
    page.fill("#d-states", "NV")
    page.fill("#d-n", "2")
    submit = page.locator("#design-form button[type=submit]")
    submit.click()
    page.wait_for_selector("#d-cancel:visible")
    assert submit.is_disabled()
    # A second submit (Enter in a field) starts no second job.
    page.evaluate("() => document.getElementById('design-form').requestSubmit()")
    page.wait_for_function("() => document.getElementById('d-status').textContent.includes('20 %')")
    assert [c for c in calls if c.startswith("POST")] == ["POST "]
    page.click("#d-cancel")
    page.wait_for_selector("#d-status[data-status=cancelled]")
    assert "POST /J-UI/cancel" in calls
    assert submit.is_enabled()
    assert page.is_hidden("#d-cancel")
    page.unroute(re.compile(r".*/jobs(/.*)?$"))


# --- 7: Accept on a plan that is not a draft ---------------------------------------------------


def test_accept_is_offered_on_drafts_only_and_the_page_says_why(
    page_as: Callable[[str], object], api: Callable[[str], Api], tmp_path: Path
) -> None:
    planner = api("planner")
    _copy(planner, "ACC1", "Accept test")
    proposed = planner.post(
        "/plans/ACC1/comments",
        {
            "body": "Los Angeles to Central",
            "target_kind": "territory",
            "target_id": "T-R2",
            "proposed_edit": {"op": "move_units", "units": ["06037"], "to": "T-R2"},
        },
    )
    assert proposed.ok, proposed.text()
    _submit(planner, "ACC1")
    page = page_as("planner")
    _open(page, "ACC1", "workflow")
    item = page.locator("#comments li[data-kind='change_request']", has_text="Los Angeles")
    item.wait_for()
    assert item.locator("button.accept").count() == 0
    assert item.locator("button.reject").count() == 1  # rejecting needs no draft
    why = item.locator(".not-acceptable").inner_text()
    assert "edits a draft only" in why and "back to draft" in why, why
    # Back to draft: Accept is offered, and works.
    page.once("dialog", lambda d: d.accept("Take the request"))
    page.click("#wf-draft")
    page.wait_for_selector("#wf-status >> text=draft")
    item.locator("button.accept").click()
    page.wait_for_selector("#comments li[data-status='accepted']")
    shot(page, tmp_path, "accept-drafts-only")


# --- 9: the test-route's notes ----------------------------------------------------------------


def test_route_shows_the_apis_notes_for_an_unknown_zip(
    page_as: Callable[[str], object], api: Callable[[str], Api]
) -> None:
    expected = (
        api("planner")
        .post("/route", {"company": "Acme", "postal_code": "99999", "plan_id": "P1"})
        .json()
    )
    assert expected["notes"], expected
    page = page_as("planner")
    _open(page, "P1", "rules")
    page.fill("#r-zip", "99999")
    page.click("#route-form button[type=submit]")
    page.wait_for_selector("#route-notes li")
    assert page.locator("#route-notes li").all_inner_texts() == expected["notes"]
    assert "99999" in page.inner_text("#route-notes")


# --- 16: a stale territory-notes save --------------------------------------------------------


def test_a_stale_notes_save_names_who_and_the_territory_and_keeps_the_text(
    page_as: Callable[[str], object], api: Callable[[str], Api], tmp_path: Path
) -> None:
    planner = api("planner")
    page = _west_page_of_a_copy(page_as, planner, "NOTE1", "Notes conflict")
    # Someone saves the notes after the page was opened.
    theirs = planner.request.put(
        planner.base + "/plans/NOTE1/territories/T-R1/notes",
        data={"revision": 0, "strategy": "Their strategy", "marketing": "", "outreach": ""},
        headers={"X-CSRF-Token": planner.csrf},
    )
    assert theirs.ok, theirs.text()
    page.fill("#tp-strategy", "My strategy")
    page.click("#tp-save")
    page.wait_for_selector("#tp-conflict:visible")
    said = page.inner_text("#tp-conflict")
    assert "planner saved the notes of West" in said and "T-R1" not in said, said
    assert "UTC" in said
    # Their text is in the form now, with who saved it; mine is kept and can be put back.
    assert page.input_value("#tp-strategy") == "Their strategy"
    assert "Last saved by planner" in page.inner_text("#tp-saved")
    page.click("#tp-conflict summary")
    assert "My strategy" in page.inner_text("#tp-conflict details")
    shot(page, tmp_path, "notes-conflict")
    page.click("#tp-reapply")
    assert page.input_value("#tp-strategy") == "My strategy"
    page.click("#tp-save")
    page.wait_for_selector("#tp-saved >> text=revision 2")
    stored = planner.get("/plans/NOTE1/territories/T-R1/notes").json()
    assert (stored["revision"], stored["strategy"]) == (2, "My strategy")


# --- 2: keyboard ------------------------------------------------------------------------------


def test_map_markers_are_not_tab_stops_and_the_skip_link_reaches_the_tools(
    page_as: Callable[[str], object], api: Callable[[str], Api]
) -> None:
    planner = api("planner")
    _copy(planner, "SKIP1", "Skip link")
    _submit(planner, "SKIP1")
    _submit(planner, "SKIP1", "approved")
    page = page_as("planner")
    _open(page, "SKIP1", "map")
    page.wait_for_selector(".marker-cluster")
    page.wait_for_selector(".leaflet-marker-icon.rep-home")
    assert page.locator(".marker-cluster[tabindex='0']").count() == 0
    assert page.locator(".leaflet-marker-icon.rep-home[tabindex='0']").count() == 0
    # An approved plan: no move or request tools, so the skip link leads to the side panel
    # itself, and the address still names the plan.
    page.focus(".skip-link")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'map-tools'")
    assert "plan=SKIP1" in page.evaluate("() => location.hash")
    # From another tab, to the map's tools; a planner's draft: the unit search.
    _open(page, "P1", "dashboard")
    page.focus(".skip-link")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'unit-search'")
    assert page.is_visible("#view-map")
    # A rep on a draft: the change request's search.
    rep = page_as("rep")
    _open(rep, "P1", "map")
    rep.focus(".skip-link")
    rep.keyboard.press("Enter")
    rep.wait_for_function("() => document.activeElement.id === 'request-search'")


# --- 3: chart names and the tab pattern --------------------------------------------------------


def test_charts_are_named_and_the_tabs_follow_the_aria_tab_pattern(
    page_as: Callable[[str], object],
) -> None:
    page = page_as("planner")
    _open(page, "P1", "dashboard")
    page.wait_for_selector("#view-dashboard[data-loaded]")
    page.wait_for_selector("#db-balance svg")
    assert page.locator("#view-dashboard svg[role=img]").count() >= 3
    assert page.locator("#view-dashboard svg[role=img]:not([aria-label])").count() == 0
    label = page.get_attribute("#kpi-chart svg", "aria-label") or ""
    assert label.startswith(("Attainment", "revenue", "potential")), label
    # Each tab controls its view, a tabpanel labelled by the tab.
    tabs = page.locator("nav [role=tab]")
    for i in range(tabs.count()):
        panel = tabs.nth(i).get_attribute("aria-controls")
        assert page.get_attribute(f"#{panel}", "role") == "tabpanel"
        assert page.get_attribute(f"#{panel}", "aria-labelledby") == tabs.nth(i).get_attribute("id")
    # Arrows move the focus among the tabs, Enter opens one; one Tab stop for the list.
    page.focus("nav [data-view=dashboard]")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("() => document.activeElement.dataset.view") == "rules"
    page.keyboard.press("End")
    assert page.evaluate("() => document.activeElement.dataset.view") == "team"
    page.keyboard.press("Home")
    assert page.evaluate("() => document.activeElement.dataset.view") == "map"
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("() => document.activeElement.dataset.view") == "team"
    page.keyboard.press("Enter")
    page.wait_for_selector("#view-team:visible")
    assert page.locator("nav [role=tab][tabindex='0']").count() == 1


# --- 11: Team & targets at 800 px ------------------------------------------------------------


def test_team_tables_scroll_in_their_own_box_at_800_px(
    page_as: Callable[[str], object], api: Callable[[str], Api], web_database: str, tmp_path: Path
) -> None:
    _copy(api("planner"), "TEAM1", "Team at 800")
    db = Database(web_database)
    try:
        plan_targets(db, "TEAM1", company_target=1_000_000)
    finally:
        db.dispose()
    page = page_as("planner")
    page.set_viewport_size({"width": 800, "height": 900})
    _open(page, "TEAM1", "team")
    page.wait_for_selector("#team-targets-table")
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
        " document.getElementById('team-targets-table').scrollWidth]"
    )
    assert widths[2] > widths[1], widths  # the table is wider than the window...
    assert widths[0] <= widths[1], widths  # ...and scrolls in its own box, not the page
    shot(page, tmp_path, "team-800")


# --- 17: "Loading…" --------------------------------------------------------------------------


def test_dashboard_compare_and_territory_page_say_they_are_loading(
    page_as: Callable[[str], object], api: Callable[[str], Api]
) -> None:
    _copy(api("planner"), "LOAD1", "Loading")
    page = page_as("planner")
    _open(page, "P1", "map")
    held: list[object] = []  # the first request of each view's load, held until released
    passed: list[object] = []

    def hold(route: object) -> None:
        if held or passed:
            route.continue_()  # type: ignore[attr-defined]
        else:
            held.append(route)

    def release() -> None:
        passed.append(held.pop())
        passed[-1].continue_()  # type: ignore[attr-defined]

    for view, pattern, start in (
        ("dashboard", re.compile(r"/kpis\?"), lambda: page.click("nav [data-view=dashboard]")),
        ("compare", re.compile(r"/compare/"), lambda: page.click("#compare")),
        ("territory", re.compile(r"/page$"), lambda: page.click("nav [data-view=territory]")),
    ):
        if view == "compare":
            page.click("nav [data-view=compare]")
            page.select_option("#compare-base", "P1")
            page.select_option("#compare-other", "LOAD1")
        page.route(pattern, hold)
        start()
        page.wait_for_selector(f"#view-{view}[aria-busy=true] > .loading:visible")
        assert page.inner_text(f"#view-{view} > .loading") == "Loading…"
        if view == "compare":
            assert page.is_disabled("#compare")  # one compare at a time
        for _ in range(200):  # the request reaches the route (not an assertion: a wait)
            if held:
                break
            page.wait_for_timeout(50)
        assert held, f"no request of the {view} was held"
        release()
        page.unroute(pattern)
        passed.clear()
        page.wait_for_selector(f"#view-{view}[aria-busy=false]")
        assert page.is_hidden(f"#view-{view} > .loading")
    assert page.is_enabled("#compare")
    assert page.inner_text("#tp-title") == "West"


# --- security: a CRM name in the coverage audit's map tooltips --------------------------------


def test_an_account_name_in_the_audit_tooltips_is_text_not_markup(
    page_as: Callable[[str], object],
) -> None:
    """An account named ``<img src=x onerror=...>`` shown on the map by the rules audit ran
    its script in the planner's session: the tooltip shows the name as written instead."""
    page = page_as("planner")
    hostile = "<img src=x onerror=window.pwned=1>"
    page.evaluate(  # type: ignore[attr-defined]
        """(name) => {
             TPPages.showOnMap([{kind: "gap", name, latitude: 37.77, longitude: -122.42}]);
             TPPages.highlight.layer.eachLayer((marker) => marker.openTooltip());
           }""",
        hostile,
    )
    tooltip = page.wait_for_selector(".leaflet-tooltip")  # type: ignore[attr-defined]
    assert tooltip.inner_text() == f"gap: {hostile}"
    assert page.query_selector(".leaflet-tooltip img") is None  # type: ignore[attr-defined]
    page.wait_for_timeout(300)  # type: ignore[attr-defined]  # an img's onerror would have fired
    assert page.evaluate("() => window.pwned") is None  # type: ignore[attr-defined]


def test_a_change_request_is_described_step_by_step_with_rep_names(
    page_as: Callable[[str], object], api: Callable[[str], Api]
) -> None:
    """Accept applies the whole request: the planner reads every step of a batch and the reps
    a new owner list names, by name ("batch" and "give T new owners" hid them)."""
    reps = api("planner").get("/reps?limit=2").json()["items"]  # type: ignore[attr-defined]
    page = page_as("planner")
    page.wait_for_function("() => TP.mapData")  # type: ignore[attr-defined]
    territory = page.evaluate("() => TP.mapData.territories[0]")  # type: ignore[attr-defined]
    described = page.evaluate(  # type: ignore[attr-defined]
        """([reps, territory]) => {
             TPViews.repNames = Object.fromEntries(reps.map((r) => [r.id, r.name]));
             return TPViews.describeEdit({op: "batch", edits: [
               {op: "lock", units: ["XX"]},
               {op: "set_owners", territory: territory.id, reps: reps.map((r) => r.id)},
             ]}, (u) => `unit ${u}`);
           }""",
        [reps, territory],
    )
    names = " and ".join(r["name"] for r in reps)
    assert described == f"lock unit XX; then make {names} the owners of {territory['name']}"


def test_the_plan_in_force_for_the_users_region_opens_and_says_its_scope(
    page_as: Callable[[str], object],
) -> None:
    """A West what-if activated for the West beside the whole-market plan: a West user opens
    the West plan, others the whole market's, and the list says which part each governs."""
    page = page_as("manager")
    chosen = page.evaluate(  # type: ignore[attr-defined]
        """async () => {
             const plans = [
               {id: "P9", name: "Old", status: "archived", scope: null},
               {id: "P1", name: "FY27", status: "active", scope: null},
               {id: "P3", name: "West what-if", status: "active", scope: "West"},
             ];
             const real = window.api;
             window.api = async (method, path) => (path === "/plans" ? plans : real(method, path));
             const picks = {};
             try {
               for (const region of ["West", " west ", "East", null]) {
                 TP.config.user.region = region;
                 history.replaceState(null, "", "#");  // no plan asked for in the address
                 await loadPlans();
                 picks[String(region)] = document.getElementById("plan-select").value;
               }
             } finally { window.api = real; }
             const texts = [...document.querySelectorAll("#plan-select option")].map((o) => o.textContent);
             return {picks, texts};
           }"""
    )
    assert chosen["picks"] == {"West": "P3", " west ": "P3", "East": "P1", "null": "P1"}
    assert chosen["texts"] == [
        "Old (P9, archived)",
        "FY27 (P1, active — whole market)",
        "West what-if (P3, active — West)",
    ]
