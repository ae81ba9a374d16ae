"""The dashboard's KPI table shows the won amounts by deal type (new business, existing
business) once deals carry a type, with the API's figures, and the credits note."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.web.conftest import _serve, shot
from tests.web.test_pages import _fmt

from terraplan.config import Settings
from terraplan.storage.database import Database


@pytest.fixture(scope="module")
def typed_server(
    web_database: str, chromium: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A server on a copy of the demo database whose deals carry a type (the demo's have
    none), one recent won deal turned into a credit."""
    source = Path(web_database.removeprefix("sqlite:///"))
    copy = tmp_path_factory.mktemp("typed-db") / "terraplan.db"
    shutil.copy(source, copy)
    url = f"sqlite:///{copy}"
    db = Database(url)
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE opportunities SET deal_type = CASE WHEN substr(id, -1) IN"
                " ('0', '2', '4', '6') THEN 'New Business' WHEN substr(id, -1) IN ('1', '3')"
                " THEN 'Renewal' ELSE NULL END"
            )
        )
        connection.execute(
            text(
                "UPDATE opportunities SET amount = -1500 WHERE id = (SELECT id FROM"
                " opportunities WHERE is_won ORDER BY close_date DESC, id LIMIT 1)"
            )
        )
    db.dispose()
    settings = Settings(database_url=url, session_cookie_secure=False, job_workers=0)
    with _serve(settings) as base:
        yield base


def test_won_amounts_by_type_and_credits_as_the_api_gives_them(
    page_as: Callable[..., object],
    api: Callable[..., object],
    typed_server: str,
    tmp_path: Path,
) -> None:
    kpis = api("planner", typed_server).get("/plans/P1/kpis?by=territory&period=YTD").json()  # type: ignore[attr-defined]
    rows = kpis["rows"]
    assert any(r["new_business_won"] for r in rows) and any(
        r["existing_business_won"] for r in rows
    )
    page = page_as("planner", typed_server)
    page.select_option("#plan-select", "P1")  # type: ignore[attr-defined]
    page.wait_for_function("() => TP.plan && TP.plan.id === 'P1'")  # type: ignore[attr-defined]
    page.click("nav [data-view=dashboard]")  # type: ignore[attr-defined]
    page.wait_for_selector("#view-dashboard[data-loaded='P1:territory:YTD']")  # type: ignore[attr-defined]
    headers = page.locator("#kpi-table thead th").all_inner_texts()  # type: ignore[attr-defined]
    assert "new business won" in headers and "existing business won" in headers
    assert headers.index("existing business won") == headers.index("new business won") + 1
    for row in rows:
        for column in ("new_business_won", "existing_business_won"):
            cell = page.inner_text(  # type: ignore[attr-defined]
                f"#kpi-table tr[data-key={row['key']}] td[data-col={column}]"
            )
            assert cell == _fmt(row[column]), (row["key"], column)
    credits = [n for n in kpis["notes"] if "negative amount" in n]
    assert credits and credits[0].startswith("1 won opportunity has a negative amount")
    notes = page.locator("#db-scope .kpi-note").all_inner_texts()  # type: ignore[attr-defined]
    assert f"Note: {credits[0]}." in notes
    shot(page, tmp_path, "dashboard-deal-types")


def test_without_typed_deals_the_columns_are_not_shown(
    page_as: Callable[..., object], tmp_path: Path
) -> None:
    page = page_as("planner")
    page.select_option("#plan-select", "P1")  # type: ignore[attr-defined]
    page.wait_for_function("() => TP.plan && TP.plan.id === 'P1'")  # type: ignore[attr-defined]
    page.click("nav [data-view=dashboard]")  # type: ignore[attr-defined]
    page.wait_for_selector("#view-dashboard[data-loaded='P1:territory:YTD']")  # type: ignore[attr-defined]
    headers = page.locator("#kpi-table thead th").all_inner_texts()  # type: ignore[attr-defined]
    assert "revenue" in headers
    assert "new business won" not in headers and "existing business won" not in headers
