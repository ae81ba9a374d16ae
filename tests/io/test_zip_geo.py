"""ZIP cells: Voronoi cells of the ZIP centroids clipped to their counties' polygons."""

from __future__ import annotations

import pytest
import shapely
from shapely.geometry import shape

from terraplan.data.counties import load_counties
from terraplan.geometry import invalid_reasons, overlaps
from terraplan.io.zip_units import zip_cells, zip_geo_units


def test_zip_cells_of_two_states_are_valid_tile_their_counties_and_do_not_overlap() -> None:
    units = zip_geo_units(states={"RI", "CT"}, with_polygons=True)
    assert 300 < len(units) < 400
    assert all(u.polygon is not None for u in units)
    polygons = [u.polygon for u in units if u.polygon is not None]
    assert invalid_reasons(polygons) == {}
    assert overlaps(polygons, min_share=1e-6) == []
    shapes = [shape(p) for p in polygons]
    # Most centroids lie in their own cell (a ZIP centroid may sit outside its county).
    inside = sum(
        s.covers(shapely.Point(u.longitude, u.latitude)) for s, u in zip(shapes, units, strict=True)
    )
    assert inside >= 0.95 * len(units)
    # The cells of a county cover exactly that county.
    counties = {u.id: shape(u.polygon) for u in load_counties(with_polygons=True) if u.polygon}
    providence = [s for s, u in zip(shapes, units, strict=True) if u.parent_id == "44007"]
    assert len(providence) > 20
    assert shapely.union_all(providence).area == pytest.approx(counties["44007"].area, rel=1e-6)


def test_zip_cells_split_a_county_between_its_zips_and_keep_coinciding_zips_apart() -> None:
    square = {
        "type": "Polygon",
        "coordinates": [[[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0], [0.0, 0.0]]],
    }
    cells = zip_cells(
        [
            ("00001", 0.5, 1.0, "C1"),
            ("00002", 1.5, 1.0, "C1"),
            ("00003", 1.5, 1.0, "C1"),  # same centroid as 00002
            ("00004", 9.0, 9.0, "NONE"),  # county without a polygon
        ],
        counties={"C1": square},
    )
    assert sorted(cells) == ["00001", "00002", "00003"]
    areas = {z: shape(c).area for z, c in cells.items()}
    assert sum(areas.values()) == pytest.approx(4.0)
    assert areas["00001"] == pytest.approx(2.0, rel=1e-3)
    assert areas["00002"] > 0 and areas["00003"] > 0
    assert overlaps(list(cells.values()), min_share=1e-9) == []


def test_zip_units_without_polygons_by_default() -> None:
    assert all(u.polygon is None for u in zip_geo_units(states={"RI"}))
