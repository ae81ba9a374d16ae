"""A rep asks for a county across their border from the map: the neighbours' bordering
counties are drawn grey with their territory's name, offered as targets, and the request
reaches the planner; nothing else of the neighbours (accounts, figures) is shown."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .conftest import Api, shot


def test_a_rep_requests_a_county_across_the_border(
    page_as: Callable[[str], object], api: Callable[[str], Api], tmp_path: Path
) -> None:
    planner = api("planner")
    assert planner.post("/plans/P1/copy", {"plan_id": "BR1", "name": "Border"}).ok
    mapped = api("rep").get("/plans/BR1/map").json()  # type: ignore[attr-defined]
    (mine,) = [t["id"] for t in mapped["territories"]]
    across = {n["id"]: n for n in mapped["neighbours"]}
    assert across and mine not in across
    county = next(iter(across.values()))["units"][0]

    page = page_as("rep")
    page.select_option("#plan-select", "BR1")  # type: ignore[attr-defined]
    page.wait_for_function("() => TP.plan && TP.plan.id === 'BR1'")  # type: ignore[attr-defined]
    page.click("nav [data-view=map]")  # type: ignore[attr-defined]
    page.wait_for_selector("#request-panel", state="visible")  # type: ignore[attr-defined]
    ring = sum(len(n["units"]) for n in across.values())
    page.wait_for_selector(f"#map[data-neighbour-units='{ring}']")  # type: ignore[attr-defined]
    legend = page.inner_text("#legend li[data-legend=neighbour]")  # type: ignore[attr-defined]
    assert all(n["name"] in legend for n in across.values()), legend
    groups = page.locator("#request-target optgroup").evaluate_all(  # type: ignore[attr-defined]
        "gs => gs.map(g => [g.label, [...g.children].map(o => o.value)])"
    )
    assert groups == [
        ["Yours", [mine]],
        ["Across your border", sorted(across, key=lambda t: across[t]["name"])],
    ]
    # the county is drawn grey and named with its territory on hover
    page.evaluate(f"() => TPMap.showInfo('{county}')")  # type: ignore[attr-defined]
    neighbour = next(n for n in across.values() if county in n["units"])
    assert f"{neighbour['name']} (across your border)" in page.inner_text("#info")  # type: ignore[attr-defined]
    fill = page.evaluate(f"() => TPMap.unitStyle('{county}').fillColor")  # type: ignore[attr-defined]
    assert fill == "#9e9e9e"
    page.fill("#request-search", county)  # type: ignore[attr-defined]
    page.locator("#request-search").dispatch_event("change")  # type: ignore[attr-defined]
    page.wait_for_selector("#request-selection[data-count='1']")  # type: ignore[attr-defined]
    page.select_option("#request-target", mine)  # type: ignore[attr-defined]
    with page.expect_response(lambda r: r.url.endswith("/plans/BR1/comments")) as answer:  # type: ignore[attr-defined]
        page.click("#request-send")  # type: ignore[attr-defined]
    sent = answer.value.json()
    assert sent["proposed_edit"] == {"op": "move_units", "units": [county], "to": mine}
    page.wait_for_selector("#message >> text=Change request sent")  # type: ignore[attr-defined]
    # the planner sees it, in names
    requests = planner.get("/plans/BR1/comments").json()  # type: ignore[attr-defined]
    assert [c["proposed_edit"] for c in requests if c["kind"] == "change_request"] == [
        sent["proposed_edit"]
    ]
    # no account of the neighbours reached the rep's map
    assert {row[4] for row in mapped["accounts"]["rows"]} <= {mine}

    # One of the rep's own counties given to the neighbour: the target chosen survives a
    # reload of the map, and the request reads by name (county with its state, territory).
    other = next(iter(across.values()))
    own = next(f for f in mapped["units"]["features"] if f["properties"]["territory"] == mine)
    page.fill("#request-search", own["id"])  # type: ignore[attr-defined]
    page.locator("#request-search").dispatch_event("change")  # type: ignore[attr-defined]
    page.select_option("#request-target", other["id"])  # type: ignore[attr-defined]
    page.evaluate("() => TPMap.load(TP.plan.id, {keepSelection: true})")  # type: ignore[attr-defined]
    assert page.input_value("#request-target") == other["id"]  # type: ignore[attr-defined]
    page.wait_for_selector("#request-selection[data-count='1']")  # type: ignore[attr-defined]
    page.fill("#request-reason", "Closer to their office")  # type: ignore[attr-defined]
    page.click("#request-send")  # type: ignore[attr-defined]
    county_name = f"{own['properties']['name']}, {own['properties']['state']}"
    page.wait_for_selector(  # type: ignore[attr-defined]
        f"#message >> text=Change request sent: move {county_name} to {other['name']}"
    )
    page.click("nav [data-view=workflow]")  # type: ignore[attr-defined]
    item = page.locator("#comments li", has_text="Closer to their office")  # type: ignore[attr-defined]
    item.wait_for()
    text = item.inner_text()
    assert f"on territory {other['name']}" in text, text
    assert f"Change request: move {county_name} to {other['name']} — open" in text, text
    assert "(not shown)" not in text and f" {other['id']} " not in text
    assert page.errors == []  # type: ignore[attr-defined]
    shot(page, tmp_path, "border-request")
