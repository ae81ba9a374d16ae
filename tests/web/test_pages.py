"""Territory plan pages, the rule-set editor (validation at a line, coverage audit, gaps on the
map) and the dashboard's charts and tables, in a real Chromium against the live demo server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .conftest import Api, shot

# A rule set for plan P1 that only covers California: every other account is a gap.
ONLY_CALIFORNIA = """\
name: California only
rules:
  - id: california
    territory: T-R1
    when: {field: state, op: in, value: [CA]}
"""

# Line 5 points at a territory plan P1 does not have.
UNKNOWN_TERRITORY = """\
name: Broken
rules:
  - id: west
    when: {field: state, op: in, value: [CA]}
    territory: T-NOWHERE
"""


def _fmt(value: float) -> str:
    """The UI's ``fmt`` of a figure (api.js): 1.5M, 354k, 5.5k, 12.34."""
    if abs(value) >= 1e6:
        return f"{value / 1e6:.1f}M"
    if abs(value) >= 1e4:
        return f"{value / 1e3:.0f}k"
    if abs(value) >= 1e3:
        return f"{value / 1e3:.1f}k"
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def _open(page: object, plan_id: str, view: str) -> None:
    page.wait_for_selector("body[data-ready='true']")  # type: ignore[attr-defined]
    page.select_option("#plan-select", plan_id)  # type: ignore[attr-defined]
    page.wait_for_function(f"() => TP.plan && TP.plan.id === '{plan_id}'")  # type: ignore[attr-defined]
    page.click(f"nav [data-view={view}]")  # type: ignore[attr-defined]


def test_territory_page_notes_are_saved_and_shown_after_a_reload(
    page_as: Callable[[str], object], api: Callable[[str], Api], live_server: str, tmp_path: Path
) -> None:
    planner = api("planner")
    assert planner.post("/plans/P1/copy", {"plan_id": "TPG1", "name": "Page test"}).ok
    expected = planner.get("/plans/TPG1/territories/T-R1/page").json()
    page = page_as("planner")
    _open(page, "TPG1", "territory")
    page.select_option("#tp-territory", "T-R1")
    page.wait_for_selector("#view-territory[data-state=loaded]")
    assert page.inner_text("#tp-title") == "West"
    assert page.inner_text("#tp-rep") == "Paula Flores"
    assert page.locator("#tp-priorities tbody tr[data-account]").count() == len(
        expected["priorities"]
    )
    page.fill("#tp-strategy", "Grow the Bay Area\nwith two partners")
    page.fill("#tp-outreach", "Quarterly roadshow")
    page.click("#tp-save")
    page.wait_for_selector("#tp-saved >> text=revision 1")
    # a fresh page, straight to the territory by its link
    page.goto(live_server + "/#plan=TPG1&territory=T-R1")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("#view-territory[data-state=loaded]")
    assert page.input_value("#tp-strategy") == "Grow the Bay Area\nwith two partners"
    assert page.input_value("#tp-outreach") == "Quarterly roadshow"
    assert page.input_value("#tp-marketing") == ""
    notes = planner.get("/plans/TPG1/territories/T-R1/notes").json()
    assert (notes["revision"], notes["updated_by"]) == (1, "planner")
    audit = planner.get("/audit?plan_id=TPG1").json()
    assert [a["action"] for a in audit if a["action"] == "territory_notes"] == ["territory_notes"]
    shot(page, tmp_path, "territory-page")


def test_a_rep_cannot_reach_another_reps_territory_page(
    page_as: Callable[[str], object], api: Callable[[str], Api], live_server: str
) -> None:
    rep = api("rep")
    assert rep.get("/plans/P1/territories/T-R2/page").status == 404
    assert rep.get("/plans/P1/territories/T-R1/page").ok
    page = page_as("rep")
    # the header names the rep as the CRM does, not by their rep id
    assert page.inner_text("#whoami") == "Paula Flores · rep (rep)"
    assert rep.get("/auth/me").json()["rep_name"] == "Paula Flores"
    page.goto(live_server + "/#plan=P1&territory=T-R2")
    page.reload()
    page.wait_for_selector("#view-territory[data-state=not-found]")
    assert page.is_hidden("#tp-page")
    assert "No territory T-R2" in page.inner_text("#message")
    # their own page is readable, not editable
    page.select_option("#tp-territory", "T-R1")
    page.wait_for_selector("#view-territory[data-state=loaded]")
    assert page.is_hidden("#tp-save")
    assert page.get_attribute("#tp-strategy", "readonly") is not None
    refused = rep.request.put(
        rep.base + "/plans/P1/territories/T-R1/notes",
        data={"revision": 0, "strategy": "mine"},
        headers={"X-CSRF-Token": rep.csrf},
    )
    assert refused.status == 403


def test_rules_validation_at_a_line_then_the_coverage_audit_on_the_map(
    page_as: Callable[[str], object], api: Callable[[str], Api], tmp_path: Path
) -> None:
    planner = api("planner")
    answer = planner.post("/plans/P1/rules/validate", {"document": UNKNOWN_TERRITORY})
    problem = answer.json()["problems"][0]
    assert (problem["line"], problem["path"]) == (5, "rules[0].territory")
    expected = planner.post("/plans/P1/rules/audit", {"document": ONLY_CALIFORNIA}).json()
    gaps = expected["accounts"]["gaps"]
    assert gaps > 0 and not expected["ok"]
    page = page_as("planner")
    _open(page, "P1", "rules")
    page.wait_for_function("() => document.getElementById('rules-text').value.length > 0")
    # validation: the problem at its line
    page.fill("#rules-text", UNKNOWN_TERRITORY)
    page.click("#rules-validate")
    item = page.locator("#rules-problems li[data-line='5']")
    item.wait_for()
    assert "Line 5" in item.inner_text()
    assert "T-NOWHERE" in item.inner_text()
    assert page.get_attribute("#rules-status", "data-ok") == "false"
    # the coverage audit of a rule set with gaps: listed, then shown on the map
    page.fill("#rules-text", ONLY_CALIFORNIA)
    page.click("#rules-audit")
    page.wait_for_selector(f"#rules-audit-result[data-gaps='{gaps}']")
    assert page.inner_text("#rules-audit-summary tr[data-key=gaps] td") == str(gaps)
    listed = page.locator("table[data-section=gaps] tbody tr")
    gap_places = [p for p in expected["places"] if p["kind"] == "gap"]
    assert listed.count() == len(gap_places) > 0
    page.click("#rules-show-map")
    page.wait_for_selector("#map[data-highlighted]")
    located = sum(1 for p in gap_places if p["latitude"] is not None)
    assert page.get_attribute("#map", "data-highlighted") == str(located)
    shot(page, tmp_path, "rules-audit-map")


def test_dashboard_charts_and_tables_agree_with_the_api(
    page_as: Callable[[str], object], api: Callable[[str], Api], tmp_path: Path
) -> None:
    planner = api("planner")
    kpis = planner.get("/plans/P1/kpis?by=territory&period=YTD").json()["rows"]
    balance = planner.get("/plans/P1/balance").json()
    page = page_as("planner")
    _open(page, "P1", "dashboard")
    page.wait_for_selector("#view-dashboard[data-loaded='P1:territory:YTD']")
    metric = page.get_attribute("#kpi-chart", "data-metric")
    assert metric == "revenue"  # P1 has no targets
    bars = page.locator("#kpi-chart rect.hbar")
    assert bars.count() == len(kpis)
    shown = dict(
        zip(
            page.locator("#kpi-chart table tbody tr").evaluate_all(
                "rows => rows.map(r => r.dataset.key)"
            ),
            page.locator("#kpi-chart table tbody td").all_inner_texts(),
            strict=True,
        )
    )
    assert shown == {r["key"]: _fmt(r["revenue"]) for r in kpis}
    # the longest bar is the territory with the most revenue
    widths = bars.evaluate_all("bars => bars.map(b => [b.dataset.key, +b.getAttribute('width')])")
    assert max(widths, key=lambda kw: kw[1])[0] == max(kpis, key=lambda r: r["revenue"])["key"]
    metrics = list(balance["tolerances"])
    assert metrics
    table = page.locator(f"#db-balance table[data-metric={metrics[0]}] tbody tr")
    assert table.count() == sum(1 for r in balance["rows"] if r["metric"] == metrics[0])
    page.wait_for_selector("#realignment >> text=ealignment")
    shot(page, tmp_path, "dashboard")


def test_the_dashboard_offers_and_labels_fiscal_periods(
    page_as: Callable[..., object],
    api: Callable[..., Api],
    fiscal_server: str,
    tmp_path: Path,
) -> None:
    """On a server whose fiscal year starts in February the period picker offers the fiscal
    quarter and year, and the dashboard names the period with its months, as the API does."""
    kpis = api("planner", fiscal_server).get("/plans/P1/kpis?by=territory&period=quarter").json()
    assert kpis["fiscal_year_start"] == 2
    latest = max(kpis["rows"], key=lambda r: r["period_start"])
    assert latest["period"].startswith("FY") and int(latest["period_start"][5:7]) in (2, 5, 8, 11)
    title = kpis["period_titles"][latest["period"]]  # FY2026 Q3 (Aug–Oct 2025)
    page = page_as("planner", fiscal_server)
    _open(page, "P1", "dashboard")
    page.wait_for_selector("#view-dashboard[data-loaded='P1:territory:YTD']")
    options = page.locator("#db-period option").all_inner_texts()
    assert options == ["fiscal year to date", "this fiscal quarter", "this fiscal year"]
    page.select_option("#db-period", "quarter")
    page.wait_for_selector("#view-dashboard[data-loaded='P1:territory:quarter']")
    scope = page.inner_text("#db-scope")
    assert title in scope, scope
    shown = page.locator("#kpi-chart table tbody tr").count()
    assert shown == sum(1 for r in kpis["rows"] if r["period"] == latest["period"])
    shot(page, tmp_path, "dashboard-fiscal")
    # a territory page's figures are fiscal year to date, and say so
    figures = api("planner", fiscal_server).get("/plans/P1/territories/T-R1/page").json()
    page.click("nav [data-view=territory]")
    page.select_option("#tp-territory", "T-R1")
    page.wait_for_selector("#view-territory[data-state=loaded]")
    revenue = page.locator("#tp-figures tr", has_text="Revenue (fiscal year to date)")
    assert revenue.locator("td").inner_text() == _fmt(figures["figures"]["revenue"])
    # no script error (failed resource loads are console errors too: not what this test checks)
    assert not [e for e in page.errors if not e.startswith("Failed to load resource")]
