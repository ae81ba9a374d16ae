"""Accessibility of the web UI (WCAG 2.1 AA), in a real Chromium: every control, table and
region has an accessible name (Chromium's own accessibility tree, read over CDP); landmarks,
one h1 and headings in order, a window title per view; table headers with their scope; text at
4.5:1 and a focus ring at 3:1 on every Tab stop, with no keyboard trap; the main flow by
keyboard alone (sign in, select a county by name, move it, undo, comment, submit, KPIs) with
the focus kept where the user is; the copy form closes with Escape; the compare maps name
their territories."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

from .conftest import PASSWORD, Api, shot

VIEWS = {
    "map": "Map & edit",
    "compare": "Compare",
    "workflow": "Workflow",
    "design": "Design",
    "dashboard": "Dashboard",
    "rules": "Rules",
    "territory": "Territory page",
    "team": "Team & targets",
}

# Roles that must carry a name for a screen reader to say what they are.
NAMED_ROLES = {
    "button", "checkbox", "combobox", "figure", "img", "link", "listbox", "progressbar",
    "radio", "region", "searchbox", "slider", "spinbutton", "tab", "tabpanel", "table",
    "textbox", "navigation",
}  # fmt: skip

# Contrast of a colour pair (WCAG 2.1 relative luminance), in the page; CONTRAST_JS defines
# ratio(fg, bg) and background(node): the colour behind a node, transparent layers blended.
CONTRAST_JS = r"""
const rgba = (text) => { const p = text.match(/[\d.]+/g).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
const lum = (c) => { const [r, g, b] = c.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat([1]);
const background = (node) => {
  const layers = [];
  for (let n = node; n; n = n.parentElement) {
    const c = rgba(getComputedStyle(n).backgroundColor);
    if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
  }
  return layers.reverse().reduce((under, top) => over(top, under), [255, 255, 255, 1]);
};
const ratio = (fg, bg) => { const a = lum(over(fg, bg)), b = lum(bg); return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); };
"""

TEXT_CONTRAST_JS = (
    "() => {"
    + CONTRAST_JS
    + r"""
  const low = [];
  for (const node of document.querySelectorAll("body *")) {
    if (!node.getClientRects().length || node.closest("svg, [hidden]")) continue;
    const text = [...node.childNodes].filter((c) => c.nodeType === 3).map((c) => c.textContent).join("").trim();
    if (!text || node.disabled || node.closest(".visually-hidden")) continue;  // disabled controls are exempt
    const style = getComputedStyle(node);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    const r = ratio(rgba(style.color), background(node));
    if (r < needed) low.push(`${node.tagName}#${node.id} "${text.slice(0, 30)}": ${r.toFixed(2)}`);
  }
  return low;
}"""
)

FOCUS_JS = (
    "async () => {"
    + CONTRAST_JS
    + r"""
  // what the user sees once the focus has settled (two frames: a date field moves its focus
  // into its day, month and year parts after the key press)
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const node = document.activeElement;
  if (!node || node === document.body) return null;
  const style = getComputedStyle(node);
  const label = `${node.tagName}#${node.id}.${typeof node.className === "string" ? node.className.split(" ")[0] : ""}`;
  const ring = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const against = ratio(rgba(style.outlineColor), background(node.parentElement || node));
  return {label, ring, contrast: against};
}"""
)

HEADINGS_JS = """() => [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")]
  .filter((h) => h.getClientRects().length).map((h) => [Number(h.tagName[1]), h.textContent.trim()])"""


def _unnamed(page: object) -> list[str]:
    """Nodes of Chromium's accessibility tree whose role needs a name and that have none."""
    cdp = page.context.new_cdp_session(page)  # type: ignore[attr-defined]
    unnamed = []
    for node in cdp.send("Accessibility.getFullAXTree")["nodes"]:
        role = node.get("role", {}).get("value")
        if node.get("ignored") or role not in NAMED_ROLES:
            continue
        if not str(node.get("name", {}).get("value", "")).strip():
            described = cdp.send("DOM.describeNode", {"backendNodeId": node["backendDOMNodeId"]})
            attrs = described["node"].get("attributes", [])
            unnamed.append(f"{role}: <{described['node']['nodeName']} {' '.join(attrs)[:80]}>")
    cdp.detach()
    return unnamed


def _roles(page: object) -> set[str]:
    cdp = page.context.new_cdp_session(page)  # type: ignore[attr-defined]
    nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    cdp.detach()
    return {n.get("role", {}).get("value") for n in nodes if not n.get("ignored")}


def _headings_in_order(headings: list[tuple[int, str]]) -> list[str]:
    """What breaks the heading outline: not one h1 first, or a level skipped going down."""
    problems = []
    if [level for level, _ in headings].count(1) != 1 or headings[0][0] != 1:
        problems.append(f"one h1 first: {headings[:3]}")
    for (before, _), (level, text) in itertools.pairwise(headings):
        if level > before + 1:
            problems.append(f"h{before} then h{level} {text!r}")
    return problems


def _copy(planner: Api, plan_id: str, name: str) -> None:
    taken = {p["id"] for p in planner.get("/plans").json()}  # type: ignore[attr-defined]
    if plan_id not in taken:
        assert planner.post("/plans/P1/copy", {"plan_id": plan_id, "name": name}).ok  # type: ignore[attr-defined]


def _open(page: object, plan_id: str) -> None:
    page.select_option("#plan-select", plan_id)  # type: ignore[attr-defined]
    page.wait_for_function(f"() => TP.plan && TP.plan.id === '{plan_id}' && !TPMap.pending")  # type: ignore[attr-defined]


def _focused(page: object) -> str:
    return str(page.evaluate("() => document.activeElement.id || document.activeElement.tagName"))  # type: ignore[attr-defined]


def test_every_view_names_its_controls_tables_and_regions_and_has_a_title_and_an_outline(
    page_as: Callable[[str], object], api: Callable[[str], Api], tmp_path: Path
) -> None:
    _copy(api("planner"), "A11Y1", "Accessible plan")
    page = page_as("planner")
    _open(page, "A11Y1")
    assert page.get_attribute("html", "lang") == "en"  # type: ignore[attr-defined]
    # Landmarks: the header (banner), the tabs in a navigation region, the views in main.
    assert {"banner", "navigation", "main"} <= _roles(page)
    checked = 0  # header cells checked, over all the views
    for view, label in VIEWS.items():
        page.click(f"nav [data-view={view}]")  # type: ignore[attr-defined]
        page.wait_for_selector(f"#view-{view}:visible")  # type: ignore[attr-defined]
        if view == "compare":
            page.click("#compare")  # type: ignore[attr-defined]
            page.wait_for_selector("#compare-result table")  # type: ignore[attr-defined]
        if view == "dashboard":
            page.wait_for_selector("#view-dashboard[data-loaded]")  # type: ignore[attr-defined]
            page.wait_for_selector("#db-balance table")  # type: ignore[attr-defined]
        if view == "territory":
            page.wait_for_selector("#view-territory[data-state=loaded]")  # type: ignore[attr-defined]
        if view == "team":
            page.wait_for_selector("#team-targets-result > *")  # type: ignore[attr-defined]
        page.wait_for_function("() => !document.querySelector('[aria-busy=true]')")  # type: ignore[attr-defined]
        # The window's title says the view and the plan (a screen reader reads it on a change).
        assert page.title() == f"{label} — Accessible plan — terraplan", view  # type: ignore[attr-defined]
        assert _unnamed(page) == [], view
        assert _headings_in_order(page.evaluate(HEADINGS_JS)) == [], view  # type: ignore[attr-defined]
        # Header cells say what they head (a column or a row), and none is empty.
        headers = page.locator(f"#view-{view} th").evaluate_all(  # type: ignore[attr-defined]
            "ths => ths.filter((th) => th.getClientRects().length)"
            ".map((th) => [th.getAttribute('scope'), th.textContent.trim()])"
        )
        checked += len(headers)
        assert [h for h in headers if h[0] not in ("col", "row") or not h[1]] == [], view
        assert page.evaluate(TEXT_CONTRAST_JS) == [], view  # type: ignore[attr-defined]
        shot(page, tmp_path, f"a11y-{view}")
    assert checked > 50
    # The sign-in page too: its language, a title, a main landmark, named fields.
    context = page.context.browser.new_context()  # type: ignore[attr-defined]
    login = context.new_page()
    login.goto(page.url.split("#")[0])  # type: ignore[attr-defined]
    assert login.get_attribute("html", "lang") == "en"
    assert "sign in" in login.title()
    assert "main" in _roles(login) and _unnamed(login) == []
    assert login.evaluate(TEXT_CONTRAST_JS) == []
    context.close()


def test_a_manager_and_a_rep_find_every_control_named(
    page_as: Callable[[str], object],
) -> None:
    for who in ("manager", "rep"):
        page = page_as(who)
        page.wait_for_function("() => TP.plan && !TPMap.pending")  # type: ignore[attr-defined]
        for view in ("map", "workflow", "dashboard", "territory"):
            page.click(f"nav [data-view={view}]")  # type: ignore[attr-defined]
            page.wait_for_selector(f"#view-{view}:visible")  # type: ignore[attr-defined]
            page.wait_for_function("() => !document.querySelector('[aria-busy=true]')")  # type: ignore[attr-defined]
            assert _unnamed(page) == [], (who, view)
            assert _headings_in_order(page.evaluate(HEADINGS_JS)) == [], (who, view)  # type: ignore[attr-defined]


def test_every_tab_stop_shows_a_focus_ring_that_stands_out_and_tab_goes_round(
    page_as: Callable[[str], object], api: Callable[[str], Api]
) -> None:
    _copy(api("planner"), "A11Y2", "Focus rings")
    page = page_as("planner")
    _open(page, "A11Y2")
    for view in ("map", "workflow", "dashboard"):
        page.click(f"nav [data-view={view}]")  # type: ignore[attr-defined]
        page.wait_for_function("() => !document.querySelector('[aria-busy=true]')")  # type: ignore[attr-defined]
        page.evaluate("() => document.activeElement.blur()")  # type: ignore[attr-defined]
        stops: list[str] = []
        faint: list[str] = []
        for _ in range(120):
            page.keyboard.press("Tab")  # type: ignore[attr-defined]
            focus = page.evaluate(FOCUS_JS)  # type: ignore[attr-defined]
            if focus is None:
                continue  # the browser's own stop between the page's last and first
            if stops and focus["label"] == stops[0]:
                break  # round once: no trap
            stops.append(focus["label"])
            if not focus["ring"] or focus["contrast"] < 3:
                faint.append(f"{focus['label']}: {focus}")
        else:
            raise AssertionError(f"Tab did not come round in {view}: {stops[-5:]}")
        assert "A#.skip-link" in stops and len(stops) > 4, stops
        assert faint == [], (view, faint)


def test_keyboard_alone_signs_in_moves_a_county_undoes_and_keeps_the_focus(
    browser: object, live_server: str, api: Callable[[str], Api], tmp_path: Path
) -> None:
    _copy(api("planner"), "A11Y3", "Keyboard moves")
    context = browser.new_context(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(live_server + "/#plan=A11Y3")
    keys = page.keyboard
    keys.press("Tab")
    assert _focused(page) == "username"
    keys.type("planner")
    keys.press("Tab")
    keys.type(PASSWORD)
    keys.press("Enter")
    page.wait_for_selector("body[data-ready=true]", timeout=60_000)
    page.wait_for_function("() => TP.plan.id === 'A11Y3' && !TPMap.pending")
    # The skip link leads past the map to "Select by id or name"; a county is chosen by name,
    # and the selection is said (a live region).
    keys.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to the map tools"
    keys.press("Enter")
    assert _focused(page) == "unit-search"
    keys.type("Los Angeles")
    keys.press("Enter")
    page.wait_for_selector("#selection[data-count='1']")
    assert page.get_attribute("#selection", "aria-live") == "polite"
    assert "Los Angeles County (West)" in page.inner_text("#selection")
    keys.press("Tab")
    assert _focused(page) == "move-target"
    keys.press("End")  # the last territory: East
    assert page.input_value("#move-target") == "T-R3"
    keys.press("Tab")
    assert _focused(page) == "move"
    keys.press("Enter")
    page.wait_for_selector("#message >> text=Moved 1 unit(s) to East")
    page.wait_for_function("() => !TPMap.pending")
    assert page.get_attribute("#message", "role") == "status"
    # Move was disabled while the map updated: the focus is back on it, not at the page's top.
    assert _focused(page) == "move"
    assert page.evaluate("() => TPMap.unitOf['06037']") == "T-R3"
    keys.press("Tab")
    keys.press("Tab")
    assert _focused(page) == "undo"
    keys.press("Enter")
    page.wait_for_selector("#message >> text=Undone")
    page.wait_for_function("() => !TPMap.pending")
    assert page.evaluate("() => TPMap.unitOf['06037']") == "T-R1"
    # Nothing left to undo: Undo is disabled, and the focus goes to Redo beside it.
    assert page.is_disabled("#undo")
    assert _focused(page) == "redo"
    shot(page, tmp_path, "keyboard-undo")
    context.close()


def test_keyboard_alone_comments_submits_and_opens_the_kpis_and_escape_closes_the_copy_form(
    page_as: Callable[[str], object], api: Callable[[str], Api], tmp_path: Path
) -> None:
    _copy(api("planner"), "A11Y4", "Keyboard review")
    page = page_as("planner")
    _open(page, "A11Y4")
    keys = page.keyboard  # type: ignore[attr-defined]
    # The tabs: one Tab stop, arrows to Workflow, Enter opens it.
    page.focus("nav [data-view=map]")  # type: ignore[attr-defined]
    keys.press("ArrowRight")
    keys.press("ArrowRight")
    keys.press("Enter")
    page.wait_for_selector("#wf-actions[data-plan=A11Y4]")  # type: ignore[attr-defined]
    # "Copy as new scenario" opens its form; Escape closes it and gives the focus back.
    page.focus("#wf-copy")  # type: ignore[attr-defined]
    keys.press("Enter")
    page.wait_for_selector("#wf-copy-form", state="visible")  # type: ignore[attr-defined]
    assert _focused(page) == "wf-copy-name"
    keys.press("Escape")
    assert page.is_hidden("#wf-copy-form")  # type: ignore[attr-defined]
    assert page.get_attribute("#wf-copy", "aria-expanded") == "false"  # type: ignore[attr-defined]
    assert _focused(page) == "wf-copy"
    # A comment, typed and sent by keyboard.
    page.focus("#comment-body")  # type: ignore[attr-defined]
    keys.type("Keyboard only, please check the West.")
    keys.press("Tab")
    keys.press("Enter")
    page.wait_for_selector("#comments li >> text=Keyboard only, please check the West.")  # type: ignore[attr-defined]
    # Submit for review: the button goes (the plan's steps change); the focus goes to the
    # status line, which says the new status, not to the next step's button.
    page.focus("#wf-submit")  # type: ignore[attr-defined]
    keys.press("Enter")
    page.wait_for_selector("#wf-actions[data-status=in_review]")  # type: ignore[attr-defined]
    page.wait_for_function("() => document.activeElement.id === 'wf-state'")  # type: ignore[attr-defined]
    assert "in review" in page.evaluate("() => document.activeElement.textContent")  # type: ignore[attr-defined]
    # The KPIs: Dashboard by the arrow keys, its table headed by column and row.
    page.focus("nav [data-view=workflow]")  # type: ignore[attr-defined]
    keys.press("ArrowRight")
    keys.press("ArrowRight")
    assert page.evaluate("() => document.activeElement.dataset.view") == "dashboard"  # type: ignore[attr-defined]
    keys.press("Enter")
    page.wait_for_selector("#view-dashboard[data-loaded]")  # type: ignore[attr-defined]
    assert page.title().startswith("Dashboard — Keyboard review")  # type: ignore[attr-defined]
    assert page.locator("#kpi-table tbody [role=rowheader]").count() == 3  # type: ignore[attr-defined]
    assert page.inner_text("#kpi-table caption") == "KPIs by territory"  # type: ignore[attr-defined]
    shot(page, tmp_path, "keyboard-dashboard")


def test_the_compare_maps_name_their_territories_not_only_colour_them(
    page_as: Callable[[str], object], api: Callable[[str], Api]
) -> None:
    _copy(api("planner"), "A11Y5", "Compare names")
    page = page_as("planner")
    _open(page, "A11Y5")
    page.click("nav [data-view=compare]")  # type: ignore[attr-defined]
    page.select_option("#compare-base", "P1")  # type: ignore[attr-defined]
    page.select_option("#compare-other", "A11Y5")  # type: ignore[attr-defined]
    page.click("#compare")  # type: ignore[attr-defined]
    page.wait_for_selector("#compare-map[data-moved-units]")  # type: ignore[attr-defined]
    for map_id in ("compare-map-base", "compare-map"):
        labels = page.locator(f"#{map_id} .territory-label").all_inner_texts()  # type: ignore[attr-defined]
        assert sorted(labels) == ["Central", "East", "West"], map_id
