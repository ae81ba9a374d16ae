"""Sign-in, the map and what each role sees, in a real Chromium."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .conftest import Api, shot


def test_signed_out_gets_the_login_page_and_a_wrong_password_says_so(
    browser: object, live_server: str, tmp_path: Path
) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    errors: list[str] = []  # a missing asset (the tab's icon too) is a console error
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server + "/")
    page.wait_for_load_state("networkidle")
    assert page.title() == "terraplan — sign in"
    assert errors == []
    page.fill("#username", "planner")
    page.fill("#password", "wrong")
    page.click("button[type=submit]")
    page.wait_for_function("document.getElementById('login-error').textContent.length > 0")
    assert "password" in page.inner_text("#login-error").lower()
    shot(page, tmp_path, "login")
    page.close()


def test_planner_map_shows_every_territory_with_legend_labels_and_table(
    page_as: Callable[[str], object], api: Callable[[str], Api], tmp_path: Path
) -> None:
    page = page_as("planner")
    page.select_option("#plan-select", "P1")
    page.wait_for_selector("#map[data-territories='3']")
    mapped = api("planner").get("/plans/P1/map").json()
    assert page.get_attribute("#map", "data-units") == str(len(mapped["units"]["features"]))
    assert int(page.get_attribute("#map", "data-units")) > 3000  # the lower 48's counties
    assert page.locator("#legend li[data-territory]").count() == 3
    assert page.locator(".territory-label").all_inner_texts() == ["West", "Central", "East"]
    assert "Paula Flores" in page.inner_text("#legend")
    rows = page.locator("#territory-table tbody tr")
    assert rows.count() == 3
    west = mapped["territories"][0]
    cell = page.locator("tr[data-territory='T-R1'] td[data-metric='potential']")
    assert float(cell.get_attribute("data-value")) == west["balance"]["totals"]["potential"]
    # Accounts drawn (clustered): every demo account with coordinates in a visible territory.
    assert page.get_attribute("#map", "data-accounts") == str(len(mapped["accounts"]["rows"]))
    page.wait_for_selector(".marker-cluster")
    # Hover a county: its territory and rep appear in the info panel.
    page.locator("#unit-search").fill("06037")
    page.locator("#unit-search").press("Enter")
    page.locator("#unit-search").dispatch_event("change")
    page.wait_for_selector("#selection[data-count='1']")
    assert "West" in page.inner_text("#info") and "Paula Flores" in page.inner_text("#info")
    # Rep home bases: one marker per owning rep with a home, a legend entry, a toggle.
    homes = mapped["reps"]
    assert [r["territories"] for r in homes if r["name"] == "Paula Flores"] == [["West"]]
    assert page.get_attribute("#map", "data-reps") == str(len(homes)) != "0"
    assert page.locator(".leaflet-marker-icon.rep-home").count() == len(homes)
    assert page.locator("[title='Paula Flores — West']").count() == 1
    assert "Rep home base" in page.inner_text("#legend")
    page.get_by_label("Rep home bases").uncheck()
    assert page.locator(".leaflet-marker-icon.rep-home").count() == 0
    page.get_by_label("Rep home bases").check()
    assert page.locator(".leaflet-marker-icon.rep-home").count() == len(homes)
    shot(page, tmp_path, "map")
