"""Fixes from the UI and hostile-input audits, through the API: a copy's team view shows its
targets (U3), the audit log in words (U9), a page for a browser's unknown address (U13), and
rule validation refusing unusable territory ids and noting look-alike names (H7, H8)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from terraplan.storage.database import Database

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def regions(db: Database) -> dict[str, str]:
    from tests.conftest import seed_region_plan

    return seed_region_plan(db, n_accounts=100, seed=5)


# --- U13 --------------------------------------------------------------------------------------


def test_a_browser_gets_a_page_for_an_unknown_address(anonymous: TestClient) -> None:
    answer = anonymous.get("/users", headers=HTML)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    page = answer.text
    assert "Page not found" in page and "<code>/users</code>" in page
    assert '<a href="/">Back to terraplan</a>' in page
    assert 'href="/static/web/app.css"' in page and 'class="login"' in page  # the sign-in look
    assert "http" not in page  # nothing from a CDN
    escaped = anonymous.get("/<script>x", headers=HTML)
    assert "<script>" not in escaped.text and "&lt;script&gt;" in escaped.text


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/users", {"Accept": "application/json"}),
        ("/users", {}),
        ("/users", {"Accept": "application/json, text/html"}),
        ("/plans/P1/no-such-thing", HTML),  # under the API's paths
    ],
)
def test_api_clients_keep_the_json_error(
    anonymous: TestClient, path: str, headers: dict[str, str]
) -> None:
    answer = anonymous.get(path, headers=headers)
    assert answer.status_code in (401, 404), answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert set(answer.json()["error"]) == {"code", "message", "details"}


# --- U3 ---------------------------------------------------------------------------------------


def test_a_copys_team_view_shows_the_targets_its_kpis_use(
    db: Database, regions: dict[str, str], client: TestClient
) -> None:
    from terraplan.services.reps_targets import plan_targets

    plan_targets(db, "P1", company_target="12M", growth="5%", period=2027, unit=1000)
    copied = client.post("/plans/P1/copy", json={"plan_id": "P2"})
    assert copied.status_code == 201, copied.text
    team = client.get("/plans/P2/team").json()
    source = client.get("/plans/P1/team").json()
    assert team["targets"] is not None
    assert team["targets"]["carried_from"] == "P1"
    assert team["targets"]["monthly"] == source["targets"]["monthly"]
    assert team["targets"]["note"].startswith("the targets of Regions")


# --- U9 ---------------------------------------------------------------------------------------


def test_the_audit_log_says_what_happened_in_words(
    db: Database, regions: dict[str, str], client: TestClient
) -> None:
    from terraplan.services.place_names import unit_names
    from terraplan.storage.unit_of_work import UnitOfWork

    county = next(iter(regions))
    with UnitOfWork(db) as uow:
        name = unit_names(uow, [county])[county]
    version = client.get("/plans/P1").json()["version"]
    locked = client.post(
        "/plans/P1/edits", json={"edit": {"op": "lock", "units": [county]}, "version": version}
    )
    assert locked.status_code == 200, locked.text
    audit = client.get("/audit", params={"plan_id": "P1", "order": "newest"}).json()
    assert audit[0]["summary"] == f"locked {name}"
    assert audit[0]["action_text"] == "edit"
    assert audit[0]["after"]["edit"] == {"op": "lock", "units": [county]}  # the data, as before


# --- H7, H8 -----------------------------------------------------------------------------------


def _validate(client: TestClient, text: str) -> dict[str, object]:
    answer = client.post("/plans/P1/rules/validate", json={"document": text})
    assert answer.status_code == 200, answer.text
    result: dict[str, object] = answer.json()
    return result


def test_validation_refuses_a_territory_id_a_save_would_refuse(
    regions: dict[str, str], client: TestClient
) -> None:
    text = (
        "catch_all: pool\n"
        "territories:\n"
        "  - {id: 'west/coast', name: West, type: geo}\n"
        "  - {id: pool, name: Pool, type: catch_all}\n"
        "rules:\n"
        "  - {id: r1, territory: 'west/coast', when: {field: state, op: in, value: [CA]}}\n"
    )
    result = _validate(client, text)
    assert result["ok"] is False
    (problem,) = result["problems"]  # type: ignore[misc]
    assert problem["path"] == "territories[0].id"
    assert problem["line"] == 3
    assert "'west/coast' is not a usable territory id" in problem["message"]


def test_validation_notes_look_alike_territory_names(
    regions: dict[str, str], client: TestClient
) -> None:
    text = (
        "catch_all: pool\n"
        "territories:\n"
        '  - {id: t3, name: "Ｗest", type: geo}\n'
        "  - {id: t4, name: West, type: geo}\n"
        "  - {id: pool, name: Pool, type: catch_all}\n"
        "rules:\n"
        "  - {id: r3, territory: t3, when: {field: state, op: in, value: [TX]}}\n"
        "  - {id: r4, territory: t4, when: {field: state, op: in, value: [WA]}}\n"
    )
    result = _validate(client, text)
    assert result["ok"] is True, result
    notes = [n for n in result["notes"] if "look the same" in n]  # type: ignore[union-attr]
    assert len(notes) == 1 and "'Ｗest' (t3), 'West' (t4)" in notes[0]
