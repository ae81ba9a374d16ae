"""Fixes from the third web UI audit (/tmp/audit/ui/findings.md), in a real Chromium: Copy as
new scenario asks for a name and a part of the market (#8); an error banner goes when the user
moves on, and "Reload the stored rules" clears the old verdict (#11); the legend is a keyboard
stop that shows every entry (#12); one format for pipeline coverage (#14); wording (#15); no
request the UI knows will be refused (#16); a manager is offered Back to draft only in review
(#2). The kept target territory (#1), the names of a request across the border (#4) and the
design's status line (#6) are tested in test_ui_fixes_2.py, test_border_requests.py and
test_workbench.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .conftest import Api, shot


def _open(page: object, plan_id: str, view: str) -> None:
    page.select_option("#plan-select", plan_id)  # type: ignore[attr-defined]
    page.wait_for_function(f"() => TP.plan && TP.plan.id === '{plan_id}' && !TPMap.pending")  # type: ignore[attr-defined]
    page.click(f"nav [data-view={view}]")  # type: ignore[attr-defined]


def test_copy_asks_for_a_unique_name_and_a_part_of_the_market(
    page_as: Callable[[str], object], api: Callable[[str], Api], tmp_path: Path
) -> None:
    planner = api("planner")
    # "Copy of Regions" is taken (made by the API): the name offered is the next free one.
    taken = {p["name"] for p in planner.get("/plans").json()}  # type: ignore[attr-defined]
    if "Copy of Regions" not in taken:
        assert planner.post("/plans/P1/copy", {"name": "Copy of Regions"}).ok
    free = next(
        name for name in (f"Copy {n} of Regions" for n in range(2, 100)) if name not in taken
    )
    page = page_as("planner")
    _open(page, "P1", "workflow")
    page.wait_for_selector("#wf-actions[data-plan=P1]")
    assert page.is_hidden("#wf-copy-form")
    page.click("#wf-copy")
    page.wait_for_selector("#wf-copy-form", state="visible")
    assert page.input_value("#wf-copy-name") == free
    assert page.evaluate("() => document.activeElement.id") == "wf-copy-name"
    scopes = page.locator("#wf-copy-scope option").evaluate_all(
        "os => os.map(o => [o.value, o.textContent])"
    )
    assert scopes[0] == ["=", "the whole market, as the source"]
    assert ["West", "West"] in scopes, scopes
    # segments and states are parts of the market too, each under its heading, states by name
    groups = page.locator("#wf-copy-scope optgroup").evaluate_all("gs => gs.map(g => g.label)")
    assert groups == ["Regions", "Segments", "States"], groups
    states = page.locator("#wf-copy-scope optgroup[label=States] option").evaluate_all(
        "os => os.map(o => [o.value, o.textContent])"
    )
    assert states and all(label.endswith(f"({code})") for code, label in states), states
    assert ["CA", "California (CA)"] in states, states
    shot(page, tmp_path, "copy-form")
    page.fill("#wf-copy-name", "West what-if U8")
    page.select_option("#wf-copy-scope", "West")
    with page.expect_response(lambda r: r.url.endswith("/plans/P1/copy")) as answer:
        page.click("#wf-copy-make")
    copied = answer.value.json()
    assert (copied["name"], copied["scope"]) == ("West what-if U8", "West")
    page.wait_for_function(f"() => TP.plan.id === '{copied['id']}'")
    page.wait_for_selector("#message >> text=Copied to West what-if U8 (West only)")
    assert copied["id"] not in page.inner_text("#message")
    page.wait_for_selector(f"#wf-actions[data-plan='{copied['id']}']")
    assert page.is_hidden("#wf-copy-form")
    # Without a choice the copy keeps the source's part of the market (here: the West).
    page.click("#wf-copy")
    page.wait_for_selector("#wf-copy-form", state="visible")
    assert page.input_value("#wf-copy-name") == "Copy of West what-if U8"
    first = page.locator("#wf-copy-scope option").first.inner_text()
    assert first == "West, as the source"
    page.click("#wf-copy-cancel")
    assert page.is_hidden("#wf-copy-form")
    assert page.errors == []  # type: ignore[attr-defined]


def test_errors_go_when_the_user_moves_on_and_refusals_known_ahead_are_not_sent(
    page_as: Callable[[str], object], api: Callable[[str], Api]
) -> None:
    planner = api("planner")
    assert planner.post("/plans/P1/copy", {"plan_id": "MSG1", "name": "Messages"}).ok
    page = page_as("planner")
    _open(page, "MSG1", "map")
    edits: list[str] = []
    page.on("request", lambda r: edits.append(r.url) if r.url.endswith("/edits") else None)
    # A move to the territory the county is in already: said at once, no request refused.
    page.fill("#unit-search", "06037")
    page.locator("#unit-search").dispatch_event("change")
    page.select_option("#move-target", "T-R1")
    page.click("#move")
    page.wait_for_selector("#message.error >> text=already")
    assert page.inner_text("#message") == (
        "Nothing to move: Los Angeles County, CA is in West already."
    )
    assert edits == []
    # Another tab: the banner does not follow.
    page.click("nav [data-view=rules]")
    assert page.inner_text("#message") == ""
    page.wait_for_function("() => document.getElementById('rules-text').value.length > 0")
    stored = page.input_value("#rules-text")
    page.fill("#rules-text", "rules:\n  bad: [unclosed\n")
    page.click("#rules-save")  # refused: validated first
    page.wait_for_selector("#message.error >> text=Fix the rule set")
    assert page.inner_text("#rules-status") == "Not valid (see below)."
    assert page.locator("#rules-problems li").count() >= 1
    # The stored rules again: the text, and no verdict or banner about the text gone.
    page.click("#rules-reload")
    page.wait_for_function("(s) => document.getElementById('rules-text').value === s", arg=stored)
    assert page.inner_text("#rules-status") == ""
    assert page.locator("#rules-problems li").count() == 0
    assert page.inner_text("#message") == ""
    # A later action that works clears an earlier error of the same view.
    page.evaluate("() => say('an earlier error', 'error')")
    page.click("#rules-validate")
    page.wait_for_selector("#rules-status[data-ok=true]")
    assert page.inner_text("#message") == ""
    assert page.errors == []  # type: ignore[attr-defined]


def test_the_legend_at_1280_by_800_and_the_formats_and_words_of_the_ui(
    page_as: Callable[[str], object], tmp_path: Path
) -> None:
    page = page_as("planner")
    page.set_viewport_size({"width": 1280, "height": 800})  # type: ignore[attr-defined]
    _open(page, "P1", "map")
    box = page.locator("#legend-box")
    assert box.get_attribute("role") == "region"
    assert page.inner_text("#" + box.get_attribute("aria-labelledby")) == "Legend"
    # In the Tab order right after the map tools, before the account search.
    page.focus("#account-search")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("() => document.activeElement.id") == "legend-box"
    # Forty territories (the audit's plan): every entry shows, none cut by a scroll box.
    fitted = page.evaluate(
        """() => {
             const fake = {};
             for (let i = 1; i <= 40; i += 1) {
               const id = `F${i}`;
               fake[id] = {id, name: `Territory ${String(i).padStart(2, "0")}`, owners: [{name: `Rep number ${i}`}]};
             }
             TPMap.territories = fake;
             TPMap.renderLegend();
             const box = document.getElementById("legend-box");
             const inner = box.getBoundingClientRect();
             const items = [...box.querySelectorAll("li")];
             const shown = items.filter((li) => {
               const r = li.getBoundingClientRect();
               return r.top >= inner.top - 1 && r.bottom <= inner.bottom + 1;
             }).length;
             const result = {items: items.length, shown, scrolls: box.scrollHeight > box.clientHeight + 1};
             return result;
           }"""
    )
    shot(page, tmp_path, "legend-40")
    assert fitted == {"items": 42, "shown": 42, "scrolls": False}, fitted  # and locked, reps
    # One format for pipeline coverage: KPI table, coverage chart and its table, territory page.
    texts = page.evaluate(
        """() => {
             const out = {figure: TPDashboard.figure("pipeline_coverage", 54.523)};
             TPDashboard.renderCoverage([{key: "T-R1", pipeline_coverage: 54.523, open_pipeline: 10}], (k) => k);
             out.chart = [...document.querySelectorAll("#db-coverage .bar-value, #db-coverage td[data-col=value]")].map((n) => n.textContent);
             TPPages.renderTerritory({territory: {name: "West"}, reps: [], managers: [],
               plan: {name: "Regions", version: 1, status: "draft"},
               figures: {target: 100, revenue: 10, attainment: 0.1, open_pipeline: 4906, pipeline_coverage: 54.523, potential: 1},
               notes: {strategy: "", marketing: "", outreach: "", revision: 0}, editable: false, priorities: []});
             out.page = [...document.querySelectorAll("#tp-figures tr")].find((r) => r.textContent.startsWith("Pipeline coverage")).lastChild.textContent;
             return out;
           }"""
    )
    assert texts == {"figure": "54.5×", "chart": ["54.5×", "54.5×"], "page": "54.5×"}, texts
    # The balance bar speaks of the target (as the README), a cut note gets no fifth dot.
    label = page.evaluate(
        "() => balanceBar(0.12, false).querySelector('.bar').getAttribute('aria-label')"
    )
    assert label == "+12.0 % from the target, outside tolerance"
    assert page.evaluate("() => sentence('a; b; ...')") == "a; b; ..."
    assert page.evaluate("() => sentence('a note')") == "a note."
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_manager_is_offered_back_to_draft_only_on_a_plan_in_review(
    page_as: Callable[[str], object],
) -> None:
    """The API lets a manager send back a plan in review wholly in their region, not an
    approved one (that is an edit: planners and admins)."""
    page = page_as("manager")
    shown = page.evaluate(
        """() => {
             const actions = ["comment", "request_change", "approve_plan"];
             const offered = (status) => {
               TPViews.showActions({id: "P1", status}, actions);
               return ["wf-approve", "wf-draft"].filter((id) => !document.getElementById(id).hidden);
             };
             return {in_review: offered("in_review"), approved: offered("approved")};
           }"""
    )
    assert shown == {"in_review": ["wf-approve", "wf-draft"], "approved": []}
    assert page.errors == []  # type: ignore[attr-defined]
