"""``GET /plans/{id}/map`` and ``/outlines``: what the web UI's map draws, per role (both databases)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from terraplan.data.counties import load_counties
from terraplan.domain import AlignmentEntry, GeoKind, Plan, RecordKind, Territory
from terraplan.domain.territory import TerritoryOwner
from terraplan.services.demo import load_demo
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


@pytest.fixture
def two_territories(db: Database) -> Database:
    """California's counties split in two: T-N (R1's) north of 36° N, T-S (R3's) south."""
    dataset, _ = load_demo(db, n_accounts=300, seed=4)
    ca = [u for u in dataset.geo_units if u.kind is GeoKind.COUNTY and u.state == "CA"]
    plan = Plan(
        id="P1",
        name="California",
        territories=(
            Territory("T-N", "North", owners=(TerritoryOwner("R1"),)),
            Territory("T-S", "South", owners=(TerritoryOwner("R3"),)),
        ),
        alignment=tuple(
            AlignmentEntry(RecordKind.GEO_UNIT, u.id, "T-N" if u.latitude > 36 else "T-S")
            for u in ca
        ),
    )
    with UnitOfWork(db) as uow:
        uow.plans.add(plan)
        uow.commit()
    return db


def test_map_has_every_unit_polygon_outline_balance_and_account(
    two_territories: Database, as_user: Callable[[str], TestClient]
) -> None:
    answer = as_user("planner").get("/plans/P1/map")
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["plan"] == {
        "id": "P1", "name": "California", "version": 1, "status": "draft", "based_on_plan_id": None,
    }  # fmt: skip
    assert len(data["units"]["features"]) == 58  # California's counties
    by_territory = {t["id"]: t for t in data["territories"]}
    assert sorted(by_territory) == ["T-N", "T-S"]
    assert by_territory["T-N"]["owners"] == [
        {"rep_id": "R1", "name": "Rae West", "role": "primary"}
    ]
    assert by_territory["T-N"]["outline"]["type"] == "MultiPolygon"
    assert by_territory["T-N"]["label"][0] > 36 > by_territory["T-S"]["label"][0]
    with UnitOfWork(two_territories) as uow:
        accounts = [a for a in uow.accounts.list() if a.state == "CA" and a.county_fips]
        units = {f["id"]: f["properties"]["territory"] for f in data["units"]["features"]}
    south = sum(a.potential or 0.0 for a in accounts if units.get(a.county_fips) == "T-S")
    assert by_territory["T-S"]["balance"]["totals"]["potential"] == pytest.approx(south)
    # an account count reads as a whole number in JSON (it read 512.0)
    count = by_territory["T-S"]["balance"]["totals"].get("count")
    in_south = sum(1 for a in accounts if units.get(a.county_fips) == "T-S")
    assert (count, type(count)) == (in_south, int)
    assert data["accounts"]["columns"][:5] == ["id", "name", "lat", "lon", "territory"]
    assert len(data["accounts"]["rows"]) == len(accounts)
    outlines = as_user("planner").get("/plans/P1/outlines").json()
    assert {t["id"]: t["outline"] for t in outlines["territories"]} == {
        t: by_territory[t]["outline"] for t in ("T-N", "T-S")
    }


def test_a_rep_maps_only_their_own_territory_and_others_get_404(
    two_territories: Database, as_user: Callable[[str], TestClient], anonymous: TestClient
) -> None:
    data = as_user("rep").get("/plans/P1/map").json()
    assert [t["id"] for t in data["territories"]] == ["T-N"]
    own = [f for f in data["units"]["features"] if not f["properties"].get("neighbour")]
    assert {f["properties"]["territory"] for f in own} == {"T-N"}
    assert {row[4] for row in data["accounts"]["rows"]} == {"T-N"}
    # Across the border: South's name and the units touching North, nothing more
    ring = [f for f in data["units"]["features"] if f["properties"].get("neighbour")]
    assert {f["properties"]["territory"] for f in ring} == {"T-S"}
    ((south),) = data["neighbours"]
    assert south["id"] == "T-S" and south["name"] == "South"
    assert south["units"] == sorted(f["id"] for f in ring)
    counties = {u.id: u for u in load_counties() if u.state == "CA"}
    north = {f["id"] for f in own}
    expected = {u.id for u in counties.values() if u.latitude <= 36 and set(u.neighbours) & north}
    assert set(south["units"]) == expected and 0 < len(expected) < 58 - len(north)
    assert set(ring[0]["properties"]) == {"name", "state", "territory", "neighbour"}
    # a planner sees every territory: no one is across their border
    assert as_user("planner").get("/plans/P1/map").json()["neighbours"] == []
    assert as_user("rep").get("/plans/NOPE/map").status_code == 404
    assert anonymous.get("/plans/P1/map").status_code == 401


def test_outlines_of_the_territories_an_edit_changed_only(
    two_territories: Database, as_user: Callable[[str], TestClient]
) -> None:
    """After an edit the web UI asks for the borders of the territories it changed
    (``?territories=``), not for every territory's again; the full answer stays the default."""
    planner = as_user("planner")
    north = next(
        f["id"]
        for f in planner.get("/plans/P1/map").json()["units"]["features"]
        if f["properties"]["territory"] == "T-N"
    )
    moved = planner.post(
        "/plans/P1/edits",
        json={"edit": {"op": "move_units", "units": [north], "to": "T-S"}, "version": 1},
    )
    assert moved.status_code == 200, moved.text
    full = planner.get("/plans/P1/outlines").json()
    by_id = {t["id"]: t for t in full["territories"]}
    assert sorted(by_id) == ["T-N", "T-S"]
    only = planner.get("/plans/P1/outlines", params={"territories": ["T-S"]})
    assert only.status_code == 200, only.text
    assert only.json() == {**full, "territories": [by_id["T-S"]]}
    both = planner.get("/plans/P1/outlines?territories=T-S&territories=T-N&territories=T-S")
    assert [t["id"] for t in both.json()["territories"]] == ["T-S", "T-N"]
    # a rep sees their own territory only: another one is refused, like a misspelt one
    assert as_user("rep").get("/plans/P1/outlines?territories=T-N").status_code == 200
    refused = as_user("rep").get("/plans/P1/outlines?territories=T-S")
    assert refused.status_code == 422 and "T-S" in refused.json()["error"]["message"]
    assert planner.get("/plans/P1/outlines?territories=T-X").status_code == 422


def test_outlines_of_a_territory_left_without_units_are_null(
    two_territories: Database, as_user: Callable[[str], TestClient]
) -> None:
    planner = as_user("planner")
    south = [
        f["id"]
        for f in planner.get("/plans/P1/map").json()["units"]["features"]
        if f["properties"]["territory"] == "T-S"
    ]
    moved = planner.post(
        "/plans/P1/edits",
        json={"edit": {"op": "move_units", "units": south, "to": "T-N"}, "version": 1},
    )
    assert moved.status_code == 200, moved.text
    data = planner.get("/plans/P1/outlines?territories=T-S&territories=T-N").json()
    emptied, grown = data["territories"]
    assert emptied == {"id": "T-S", "label": None, "outline": None}  # its border goes
    assert grown["id"] == "T-N" and grown["outline"]["coordinates"]


def test_each_unit_polygon_is_read_once_for_its_shape_and_its_outline(
    two_territories: Database,
    as_user: Callable[[str], TestClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The map simplifies each unit and dissolves each territory from one shapely reading of
    the unit's polygon, kept per process (a whole-country ZIP map read 32,722 cells twice)."""
    import terraplan.geometry
    from terraplan.api.routes import geometry as route

    for kept in (route._UNIT_GEOMETRIES, route._UNIT_SHAPES, route._OUTLINES, route._PAYLOADS):
        kept.clear()
    read: list[str] = []
    real = route.shape

    def counting(geometry: Any) -> Any:
        read.append(geometry["type"])
        return real(geometry)

    monkeypatch.setattr(route, "shape", counting)
    monkeypatch.setattr(terraplan.geometry, "shape", counting)
    data = as_user("planner").get("/plans/P1/map").json()
    assert len(data["units"]["features"]) == 58
    # 58 unit polygons once each; the 2 dissolved outlines once each to simplify them
    assert len(read) == 58 + 2
    read.clear()
    assert as_user("planner").get("/plans/P1/outlines").status_code == 200
    assert read == []  # the outlines were kept


def test_the_web_ui_is_served_signed_out_and_signed_in(
    two_territories: Database, as_user: Callable[[str], TestClient], anonymous: TestClient
) -> None:
    signed_out = anonymous.get("/")
    assert signed_out.status_code == 200
    assert "<title>terraplan — sign in</title>" in signed_out.text
    signed_in = as_user("manager").get("/")
    assert (
        "data-config=" in signed_in.text
        and "&quot;role&quot;: &quot;manager&quot;" in signed_in.text
    )
    leaflet = anonymous.get("/static/web/vendor/leaflet/leaflet.js")
    assert leaflet.status_code == 200 and "Leaflet 1.9.4" in leaflet.text[:500]


def test_map_is_gzipped_with_an_etag_and_shows_rep_homes_and_locks(
    two_territories: Database, as_user: Callable[[str], TestClient]
) -> None:
    from dataclasses import replace

    with UnitOfWork(two_territories) as uow:
        rae = uow.reps.get("R1")
        uow.reps.add_many([replace(rae, home_latitude=37.8044, home_longitude=-122.2712)])
        uow.commit()
    planner = as_user("planner")
    first = planner.get("/plans/P1/map", headers={"Accept-Encoding": "gzip"})
    assert first.headers["content-encoding"] == "gzip"
    assert int(first.headers["content-length"]) < len(first.content) / 3
    etag = first.headers["etag"]
    again = planner.get("/plans/P1/map", headers={"If-None-Match": etag})
    assert again.status_code == 304
    # the header as HTTP allows it: a list, a weak tag, any representation
    for header in (f'"other", {etag}', f"W/{etag}", "*"):
        assert planner.get("/plans/P1/map", headers={"If-None-Match": header}).status_code == 304
    assert planner.get("/plans/P1/map", headers={"If-None-Match": '"other"'}).status_code == 200
    homes = {r["name"]: r for r in first.json()["reps"]}
    assert homes["Rae West"] == {
        "id": "R1", "name": "Rae West", "lat": 37.8044, "lon": -122.2712, "territories": ["North"],
    }  # fmt: skip
    assert first.json()["locked"] == []
    with UnitOfWork(two_territories) as uow:
        version = uow.plans.version("P1")
    locked = planner.post(
        "/plans/P1/edits",
        json={"edit": {"op": "lock", "units": ["06037"]}, "version": version},
    )
    assert locked.status_code == 200, locked.text
    assert locked.json()["locked"] == ["06037"]
    after = planner.get("/plans/P1/map", headers={"If-None-Match": etag})
    assert after.status_code == 200  # a new version: a new ETag
    assert after.headers["etag"] != etag
    assert after.json()["locked"] == ["06037"]


def test_a_rep_asks_for_a_county_across_the_border_but_not_beyond_it(
    two_territories: Database, as_user: Callable[[str], TestClient]
) -> None:
    rep = as_user("rep")
    ring = rep.get("/plans/P1/map").json()["neighbours"][0]["units"]
    inside = {u.id for u in load_counties() if u.state == "CA" and u.latitude <= 36}
    beyond = sorted(inside - set(ring))[0]  # South's, but not on North's border
    own = next(
        f["id"]
        for f in rep.get("/plans/P1/map").json()["units"]["features"]
        if not f["properties"].get("neighbour")
    )

    def ask(units: list[str], to: str) -> int:
        answer = rep.post(
            "/plans/P1/comments",
            json={
                "body": "border",
                "target_kind": "territory",
                "target_id": to,
                "proposed_edit": {"op": "move_units", "units": units, "to": to},
            },
        )
        return answer.status_code

    assert ask([ring[0]], "T-N") == 201  # take in a county on the border
    assert ask([own], "T-S") == 201  # give one away to the neighbour
    assert ask([beyond], "T-N") == 404  # deeper in South: not theirs to name
    assert ask([ring[0]], "T-S") == 404  # within South only: not their territory

    def propose(edit: dict[str, object]) -> int:
        answer = rep.post(
            "/plans/P1/comments",
            json={"body": "x", "target_kind": "territory", "target_id": "T-N",
                  "proposed_edit": edit},
        )  # fmt: skip
        return answer.status_code

    # beyond moves, the neighbour's territory is not theirs to ask about
    assert propose({"op": "rename", "territory": "T-S", "name": "Mine now"}) == 404
    assert propose({"op": "set_owners", "territory": "T-S", "reps": ["R1"]}) == 404
    batch = {"op": "batch", "edits": [
        {"op": "move_units", "units": [ring[0]], "to": "T-N"},
        {"op": "rename", "territory": "T-S", "name": "Mine now"},
    ]}  # fmt: skip
    assert propose(batch) == 404
    # the requester reads their own requests
    mine = rep.get("/plans/P1/comments").json()
    assert [c["proposed_edit"]["units"] for c in mine] == [[ring[0]], [own]]
