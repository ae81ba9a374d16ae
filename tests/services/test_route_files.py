"""A file of leads is checked as an import checks it before any lead is routed: a postal code
with no country that is a stored custom area's id is not read as a US ZIP (the import refuses
it the same way), and a lead with its country routes into its area."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import store_plan_with_rules
from tests.services.test_import_custom_areas import _areas
from tests.services.test_routing_custom_areas import AREA_RULES

from terraplan.domain import Plan, Territory, TerritoryOwner, TerritoryType
from terraplan.errors import DataError
from terraplan.services.route_files import route_file
from terraplan.storage.database import Database


def _plan(db: Database) -> None:
    owners = (TerritoryOwner("R1"),)
    store_plan_with_rules(
        db,
        Plan(
            id="P",
            name="Portugal",
            territories=(
                Territory(id="T06", name="Territory 06", owners=owners),
                Territory(id="POOL", name="Pool", type=TerritoryType.CATCH_ALL, owners=owners),
            ),
        ),
        AREA_RULES,
    )
    _areas(db)


def test_a_custom_areas_code_with_no_country_refuses_the_file(db: Database, tmp_path: Path) -> None:
    _plan(db)
    path = tmp_path / "leads.csv"
    path.write_text("Id,Company,PostalCode,Country\nL1,Casa,6494,\nL2,Sol,6494,PT\n", "utf-8")
    with pytest.raises(DataError) as caught:
        route_file(db, path, plan_id="P")
    assert (
        "custom area 6494" in caught.value.message and "nothing was routed" in caught.value.message
    )


def test_a_lead_with_its_country_routes_into_its_area(db: Database, tmp_path: Path) -> None:
    _plan(db)
    path = tmp_path / "leads.csv"
    path.write_text("Id,Company,PostalCode,Country\nL2,Sol,6494,Portugal\n", "utf-8")
    routed = route_file(db, path, plan_id="P")
    assert [(r["id"], r["territory_id"], r["owner_id"]) for r in routed.rows] == [
        ("L2", "T06", "R1")
    ]
    assert routed.owner_counts() == [("Territory 06", "Rep 1", 1)]
