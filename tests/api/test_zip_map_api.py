"""The web UI's map of a ZIP plan (``terraplan design --units zips``): ZIPs are not stored as
geo units, so the map draws each ZIP's cell (its Voronoi cell within its county), never the
county that happens to share its code (both databases)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import shape

from terraplan.domain import AlignmentEntry, Plan, RecordKind, Territory
from terraplan.io.zip_units import zip_geo_units
from terraplan.services.demo import load_demo
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

#: Massachusetts ZIPs 01001-01133 are also Alabama's county FIPS codes (01001 Autauga County).
STATE = "MA"


@pytest.fixture
def zip_plan(db: Database) -> dict[str, str]:
    """The demo (its counties stored as geo units) and a plan of Massachusetts' ZIPs made as
    the design makes one: West (T-W) and East (T-E) of 71.8° W. Returns ZIP -> territory."""
    load_demo(db, n_accounts=2_000, seed=4)
    zips = {u.id: ("T-W" if u.longitude < -71.8 else "T-E") for u in zip_geo_units(states={STATE})}
    plan = Plan(
        id="PZ",
        name="Massachusetts ZIPs",
        territories=(Territory("T-W", "West"), Territory("T-E", "East")),
        alignment=tuple(AlignmentEntry(RecordKind.GEO_UNIT, z, t) for z, t in zips.items()),
        parameters={"units": "zips", "states": [STATE]},
    )
    with UnitOfWork(db) as uow:
        uow.plans.add(plan)
        uow.commit()
    return zips


def test_a_zip_plan_map_draws_every_zip_cell_in_its_state(
    zip_plan: dict[str, str], as_user: Callable[[str], TestClient]
) -> None:
    data = as_user("planner").get("/plans/PZ/map").json()
    features = {f["id"]: f for f in data["units"]["features"]}
    assert set(features) == set(zip_plan)  # each ZIP once (was: none, or a few counties)
    agawam = features["01001"]
    assert agawam["properties"]["name"] == "01001 Agawam"  # not "Autauga County" (AL)
    assert agawam["properties"]["state"] == STATE
    for feature in features.values():
        assert feature["properties"]["territory"] == zip_plan[feature["id"]]
        x, y = shape(feature["geometry"]).representative_point().coords[0]
        assert -73.6 < x < -69.8 and 41.1 < y < 43.0, feature["id"]  # inside Massachusetts
    # Each territory's outline is the dissolve of its ZIP cells: West lies west of East.
    by_id = {t["id"]: t for t in data["territories"]}
    west, east = (shape(by_id[t]["outline"]) for t in ("T-W", "T-E"))
    assert west.centroid.x < -71.8 < east.centroid.x
    assert west.bounds[1] > 41.1 and west.bounds[3] < 43.0
    assert by_id["T-W"]["label"][1] < -71.8 < by_id["T-E"]["label"][1]
    outlines = as_user("planner").get("/plans/PZ/outlines").json()
    assert {t["id"]: t["outline"] for t in outlines["territories"]} == {
        t: by_id[t]["outline"] for t in ("T-W", "T-E")
    }


def test_a_zip_plan_map_places_accounts_by_their_zip(
    db: Database, zip_plan: dict[str, str], as_user: Callable[[str], TestClient]
) -> None:
    data = as_user("planner").get("/plans/PZ/map").json()
    with UnitOfWork(db) as uow:
        accounts = {
            a.id: zip_plan[(a.postal_code or "")[:5]]
            for a in uow.accounts.list()
            if (a.postal_code or "")[:5] in zip_plan and a.latitude is not None
        }
    assert len(accounts) > 10
    rows = {row[0]: row[4] for row in data["accounts"]["rows"]}
    assert rows == accounts  # was: none, or accounts of the Alabama counties sharing codes
