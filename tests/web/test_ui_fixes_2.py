"""Fixes from the web UI audit (/tmp/audit/webui/findings.md), second round, in a real
Chromium: edits wait while the map reloads and never go out on an older version (#12); Compare
says which window its figures cover (#10); names, time zones, read-only notes, a Compare
legend and plain network errors (#14)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from .conftest import Api, shot


def _copy(planner: Api, plan_id: str, name: str) -> None:
    answer = planner.post("/plans/P1/copy", {"plan_id": plan_id, "name": name})
    assert answer.ok, answer.text()  # type: ignore[attr-defined]


def _open(page: object, plan_id: str, view: str = "map") -> None:
    page.select_option("#plan-select", plan_id)  # type: ignore[attr-defined]
    page.wait_for_function(f"() => TP.plan && TP.plan.id === '{plan_id}' && !TPMap.pending")  # type: ignore[attr-defined]
    page.click(f"nav [data-view={view}]")  # type: ignore[attr-defined]


def _wait_held(page: object, held: list[object]) -> None:
    for _ in range(200):  # the request reaches the route (not an assertion: a wait)
        if held:
            return
        page.wait_for_timeout(50)  # type: ignore[attr-defined]
    raise AssertionError("no request was held")


def _select(page: object, unit: str) -> None:
    page.fill("#unit-search", unit)  # type: ignore[attr-defined]
    page.locator("#unit-search").dispatch_event("change")  # type: ignore[attr-defined]


# --- 12: edits while the map reloads ----------------------------------------------------------


def test_edits_wait_while_an_unpin_reloads_the_map_and_the_next_edit_goes_through(
    page_as: Callable[[str], object], api: Callable[[str], Api], tmp_path: Path
) -> None:
    planner = api("planner")
    _copy(planner, "RACE1", "Reload race")
    page = page_as("planner")
    _open(page, "RACE1")
    account = page.evaluate("() => TPMap.accounts.find((r) => r[4] === 'T-R1')")
    page.select_option("#move-target", "T-R3")
    page.fill("#account-search", account[1])
    row = page.locator(f"#account-table tr[data-account='{account[0]}']")
    row.locator("button.pin").click()
    page.wait_for_selector(f"#message >> text=Pinned {account[1]}")
    # Unpin reloads the whole map: its answer is held here, as a slow network would.
    held: list[object] = []
    pattern = re.compile(r"/plans/RACE1/map$")
    page.route(pattern, lambda route: held.append(route))  # noqa: PLW0108 (a bound builtin is refused)
    row.locator("button.unpin").click()
    _wait_held(page, held)
    for button in ("#move", "#lock", "#unlock", "#undo", "#redo"):
        assert page.is_disabled(button), button
    assert page.locator("#account-table button:enabled").count() == 0
    assert page.get_attribute("#edit-panel", "aria-busy") == "true"
    assert page.is_visible("#edit-busy")
    assert "Updating the map" in page.inner_text("#edit-busy")
    # What was done is said at once, not after the reload.
    assert page.inner_text("#message").startswith(f"Unpinned {account[1]}")
    shot(page, tmp_path, "unpin-reloading")
    # A unit selected during the reload stays selected once the map is drawn.
    _select(page, "06065")
    held.pop().continue_()  # type: ignore[attr-defined]
    page.unroute(pattern)
    page.wait_for_selector("#edit-busy", state="hidden")
    assert page.get_attribute("#edit-panel", "aria-busy") == "false"
    assert page.is_enabled("#lock")
    assert page.get_attribute("#selection", "data-count") == "1"
    page.click("#lock")
    page.wait_for_selector("#message >> text=Locked 1 unit(s)")
    stored = planner.get("/plans/RACE1/map").json()  # type: ignore[attr-defined]
    assert "06065" in stored["locked"]
    page.wait_for_function(f"() => TP.plan.version === {stored['plan']['version']}")
    assert page.evaluate("() => TPMap.locked.has('06065')")
    # The next edit goes out on the latest version: no "changed since you loaded it".
    _select(page, "06065")
    page.click("#unlock")
    page.wait_for_selector("#message >> text=Unlocked 1 unit(s)")
    assert "changed" not in page.inner_text("#message")


def test_a_map_answer_older_than_an_edit_does_not_roll_the_version_back(
    page_as: Callable[[str], object], api: Callable[[str], Api]
) -> None:
    planner = api("planner")
    _copy(planner, "RACE2", "Stale map answer")
    page = page_as("planner")
    _open(page, "RACE2")
    # A reload whose map answer is read now (version 1) but arrives only after an edit landed.
    held: list[tuple[object, object]] = []
    pattern = re.compile(r"/plans/RACE2/map$")

    def early(route: object) -> None:
        if held:
            route.continue_()  # type: ignore[attr-defined]
        else:
            held.append((route, route.fetch()))  # type: ignore[attr-defined]

    page.route(pattern, early)
    page.evaluate("() => { window.reloaded = TPMap.load('RACE2', {keepMessage: true}); }")
    _wait_held(page, held)
    version = page.evaluate(
        """async () => {
          const result = await api('POST', '/plans/RACE2/edits',
            {edit: {op: 'lock', units: ['06037']}, version: TP.plan.version});
          TPMap.applyResult(result);
          return result.version;
        }"""
    )
    assert version == 2
    route, stale = held[0]
    assert stale.json()["plan"]["version"] == 1  # type: ignore[attr-defined]
    route.fulfill(response=stale)  # type: ignore[attr-defined]
    page.evaluate("() => window.reloaded")
    page.unroute(pattern)
    assert page.evaluate("() => TP.plan.version") == 2
    assert page.evaluate("() => TPMap.locked.has('06037')")


def test_a_stale_edit_after_the_users_own_change_elsewhere_says_it_was_theirs(
    page_as: Callable[[str], object], api: Callable[[str], Api]
) -> None:
    planner = api("planner")
    _copy(planner, "RACE3", "Own change")
    page = page_as("planner")
    _open(page, "RACE3")
    # The same user changes the plan in another tab (here: the API with their own login).
    other = planner.post(
        "/plans/RACE3/edits",
        {"edit": {"op": "move_units", "units": ["06059"], "to": "T-R3"}, "version": 1},
    )
    assert other.ok, other.text()  # type: ignore[attr-defined]
    _select(page, "06037")
    page.select_option("#move-target", "T-R2")
    page.click("#move")
    page.wait_for_selector("#message.error >> text=reloaded with that change")
    message = page.inner_text("#message")
    assert "that is you, in another tab or window" in message, message
    assert "someone else" not in message
    page.wait_for_function("() => TP.plan.version === 2 && !TPMap.pending")
    # The reload keeps the territory chosen, as it keeps the selection: "try again" is one
    # click, and it goes where the user asked (the list used to fall back to its first one).
    assert page.input_value("#move-target") == "T-R2"
    assert page.get_attribute("#selection", "data-count") == "1"
    page.click("#move")
    page.wait_for_selector("#message >> text=Moved 1 unit(s) to Central")
    stored = planner.get("/plans/RACE3/map").json()  # type: ignore[attr-defined]
    assert (
        next(f for f in stored["units"]["features"] if f["id"] == "06037")["properties"][
            "territory"
        ]
        == "T-R2"
    )


# --- 10: the windows Compare's figures cover --------------------------------------------------


def test_compare_says_which_window_its_figures_cover_and_has_a_map_legend(
    page_as: Callable[[str], object], api: Callable[[str], Api], tmp_path: Path
) -> None:
    planner = api("planner")
    _copy(planner, "WIN1", "Window test")
    moved = planner.post(
        "/plans/WIN1/edits",
        {"edit": {"op": "move_units", "units": ["06037"], "to": "T-R2"}, "version": 1},
    )
    assert moved.ok, moved.text()  # type: ignore[attr-defined]
    expected = planner.get("/plans/P1/compare/WIN1").json()  # type: ignore[attr-defined]
    assert expected["revenue_window"], expected.get("revenue_window")
    start, end = expected["revenue_window"].split(" to ")
    page = page_as("planner")
    page.click("nav [data-view=compare]")
    page.select_option("#compare-base", "P1")
    page.select_option("#compare-other", "WIN1")
    page.click("#compare")
    page.wait_for_selector("#compare-window")
    window = page.inner_text("#compare-window")
    assert f"12 months {start} to {end}" in window, window
    assert "year to date" in window and "Dashboard" in window
    headers = page.locator("table[data-section=territories] thead th").all_inner_texts()
    assert f"Revenue, 12 months to {end} (base)" in headers, headers
    targets = expected["target_period"] or "none compared"
    assert f"Target, {targets} (scenario)" in headers, headers
    assert "Potential, year (base)" in headers, headers
    moved_line = page.inner_text("#compare-summary li[data-key=potential_moved]")
    assert f"revenue moved (12 months to {end})" in moved_line, moved_line
    # The two maps' legend: each territory's colour by name, and the black outline.
    page.wait_for_selector("#compare-legend li[data-legend=moved]")
    names = page.locator("#compare-legend li[data-territory]").all_inner_texts()
    assert [n.strip() for n in names] == ["West", "Central", "East"], names
    colour = page.evaluate(
        "() => document.querySelector('#compare-legend li[data-territory=T-R2] .swatch')"
        ".style.background"
    )
    assert colour  # the same colour as Central's units on both maps
    assert "T-R" not in page.inner_text("#compare-legend")
    shot(page, tmp_path, "compare-window")


# --- 14: names, time zones, read-only fields, plain messages ----------------------------------


def test_workflow_names_plans_says_utc_and_asks_for_a_reason(
    page_as: Callable[[str], object], api: Callable[[str], Api]
) -> None:
    planner = api("planner")
    _copy(planner, "WORDS1", "Wording test")
    said = planner.post("/plans/WORDS1/comments", {"body": "Looks fine"})
    assert said.ok, said.text()  # type: ignore[attr-defined]
    page = page_as("planner")
    _open(page, "WORDS1", "workflow")
    page.wait_for_selector("#comments li")
    assert re.search(r"\(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)", page.inner_text("#comments li"))
    page.wait_for_selector("#audit tbody tr")
    assert page.inner_text("#audit thead th >> nth=0") == "When (UTC)"
    assert page.inner_text("#audit tbody tr td >> nth=0").endswith(" UTC")
    audit = page.inner_text("#audit tbody")
    assert "copied from Regions" in audit and "from P1" not in audit, audit
    page.click("#wf-submit")
    page.wait_for_selector("#wf-status >> text=in review")
    assert page.inner_text("#message") == "Plan Wording test is now in review."
    # Back to draft without a reason: nothing happens, and the page says why.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#wf-draft")
    page.wait_for_selector("#message.error >> text=needs a reason")
    assert page.inner_text("#wf-status") == "in review"


def test_a_rep_reads_read_only_notes_and_a_link_to_another_territory_resets_the_list(
    page_as: Callable[[str], object], live_server: str
) -> None:
    page = page_as("rep")
    page.goto(live_server + "/#plan=P1&territory=T-R2")
    page.reload()
    page.wait_for_selector("#view-territory[data-state=not-found]")
    assert "in plan Regions that you can see" in page.inner_text("#message")
    # The rep's map lists the territories they may read: the page of another is not asked
    # for (it would answer 404, a console error), the message says it in words all the same.
    assert not [e for e in page.errors if "404" in e], page.errors  # type: ignore[attr-defined]
    # The list does not pretend to show a territory: choosing one opens it.
    assert page.evaluate("() => document.getElementById('tp-territory').value") == ""
    page.select_option("#tp-territory", "T-R1")
    page.wait_for_selector("#view-territory[data-state=loaded]")
    assert "Read-only" in page.inner_text("#tp-saved")
    assert page.inner_text("#message") == ""  # the "no territory" banner went with it
    style = page.evaluate(
        "() => { const s = getComputedStyle(document.getElementById('tp-strategy'));"
        " return [s.resize, s.backgroundColor]; }"
    )
    assert style[0] == "none" and style[1] != "rgb(255, 255, 255)", style


def test_network_failures_and_design_errors_read_as_words(
    page_as: Callable[[str], object],
) -> None:
    page = page_as("planner")
    page.click("nav [data-view=compare]")
    page.select_option("#compare-base", "P1")
    page.route(re.compile(r"/compare/"), lambda route: route.abort("internetdisconnected"))
    page.click("#compare")
    page.wait_for_selector("#message.error >> text=cannot be reached")
    assert page.inner_text("#message") == (
        "The server cannot be reached; check your connection and try again."
    )
    page.unroute(re.compile(r"/compare/"))
    # The kind of an alert is said once ("Territory 06", not "territory Territory 06").
    assert page.evaluate("() => alertSubject('territory', 'Territory 06')") == "Territory 06"
    assert page.evaluate("() => alertSubject('rep', 'Paula Flores')") == "rep Paula Flores"
    # A design for an unknown state is refused when submitted (422), with a plain message,
    # not a Python list.
    page.click("nav [data-view=design]")
    # The banner of the failed Compare does not follow the user to another tab.
    assert page.inner_text("#message") == ""
    # An earlier run's status line is cleared when a new run starts (and here fails).
    page.evaluate(
        "() => { const s = document.getElementById('d-status');"
        " s.textContent = 'succeeded (100 %) — opened plan Earlier design'; s.dataset.status = 'succeeded'; }"
    )
    page.fill("#d-states", "XX")
    page.click("#design-form button[type=submit]")
    page.wait_for_selector("#message.error >> text=XX", timeout=60_000)
    message = page.inner_text("#message")
    assert "XX" in message and "['XX']" not in message, message
    assert page.inner_text("#d-status") == ""
    assert page.get_attribute("#d-status", "data-status") is None
