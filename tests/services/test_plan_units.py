"""The geo units a ZIP plan's report map dissolves: the ZIPs' cells, never the stored
counties that share their codes (both databases)."""

from __future__ import annotations

from shapely.geometry import shape

from terraplan.data.counties import load_counties
from terraplan.domain import AlignmentEntry, Plan, RecordKind, Territory
from terraplan.io.zip_units import zip_geo_units
from terraplan.services.report_map import territory_shapes
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def test_a_zip_plan_report_map_is_made_of_zip_cells(db: Database) -> None:
    # Alabama's counties stored (as the demo stores every county): 01001 is Autauga County
    # and ZIP 01001 is Agawam, MA.
    alabama = [u for u in load_counties(with_polygons=True) if u.state == "AL"]
    zips = [u for u in zip_geo_units(states={"MA"}) if u.id < "01100"]
    assert {"01001", "01003"} <= {u.id for u in zips} & {u.id for u in alabama}
    plan = Plan(
        id="PZ",
        name="Western Massachusetts",
        territories=(Territory("T1", "One"),),
        alignment=tuple(AlignmentEntry(RecordKind.GEO_UNIT, u.id, "T1") for u in zips),
        parameters={"units": "zips"},
    )
    with UnitOfWork(db) as uow:
        uow.geo_units.add_many(alabama)
        uow.plans.add(plan)
        uow.commit()
        shapes = territory_shapes(uow, uow.plans.get("PZ"))
    [(territory, coordinates)] = shapes
    outline = shape({"type": "MultiPolygon", "coordinates": coordinates})
    assert territory == "T1"
    minx, miny, maxx, maxy = outline.bounds
    assert minx > -73.6 and maxx < -71.5 and miny > 41.9 and maxy < 42.8  # Massachusetts, not AL
