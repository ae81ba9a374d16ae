"""Dissolved territories are valid and do not overlap (shapely), on hand-made shapes and on
a real design of the bundled counties."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import shapely
from shapely.geometry import shape

from terraplan.data.counties import load_counties
from terraplan.geometry import (
    dissolve,
    dissolve_groups,
    dissolve_shapes,
    invalid_reasons,
    overlaps,
)
from terraplan.planning.design import design_territories
from terraplan.planning.design_export import territories_geojson


def _box(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def test_dissolve_repairs_a_self_intersecting_ring() -> None:
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]}
    assert 0 in invalid_reasons([bowtie])
    assert "Self-intersection" in invalid_reasons([bowtie])[0]
    coords = dissolve([bowtie])
    geom = shape({"type": "MultiPolygon", "coordinates": coords})
    assert geom.is_valid
    assert geom.area == pytest.approx(2.0)  # two triangles of area 1
    assert len(coords) == 2


def test_dissolve_of_shapes_kept_by_a_caller_is_the_dissolve_of_their_geojson() -> None:
    """The map keeps each unit's polygon as shapely read it and dissolves from those: the same
    coordinates, an invalid ring repaired the same way."""
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]}
    cells = [bowtie, _box(2, 0, 3, 1), _box(3, 0.5, 4.123456789, 1)]
    for precision in (None, 6, 3):
        expected = dissolve(cells, precision=precision)
        assert dissolve_shapes([shape(c) for c in cells], precision=precision) == expected
    assert dissolve_shapes([]) == []


def test_dissolve_orients_rings_and_keeps_holes() -> None:
    cells = [_box(c, r, c + 1, r + 1) for r in range(3) for c in range(3) if (r, c) != (1, 1)]
    coords = dissolve(cells)
    assert len(coords) == 1 and len(coords[0]) == 2  # one shell, one hole
    shell, hole = (shapely.LinearRing(ring) for ring in coords[0])
    assert shell.is_ccw and not hole.is_ccw  # RFC 7946 orientation
    assert shape({"type": "MultiPolygon", "coordinates": coords}).area == pytest.approx(8.0)


def test_dissolve_groups_leaves_shared_area_to_one_group() -> None:
    groups = [[_box(0, 0, 2, 2)], [_box(1, 0, 3, 2), _box(3, 0, 4, 2)], [_box(10, 10, 11, 11)]]
    assert overlaps([g[0] for g in groups]) == [(0, 1, 0.5)]
    shapes = [{"type": "MultiPolygon", "coordinates": c} for c in dissolve_groups(groups)]
    assert overlaps(shapes, min_share=0.0) == []
    assert [shape(s).area for s in shapes] == pytest.approx([4.0, 2.0 + 2.0 - 0.0, 1.0])
    assert shape(shapes[1]).bounds == pytest.approx((2.0, 0.0, 4.0, 2.0))


def test_every_territory_of_a_county_design_is_valid_and_none_overlap() -> None:
    units = load_counties(with_polygons=True)
    assert len(units) == 3109
    # The bundled county polygons themselves overlap a little in places.
    assert len(overlaps([u.polygon for u in units], min_share=1e-6)) > 0
    outcome = design_territories(
        units, n_territories=40, contiguous=True, method="heuristic", time_limit=3.0
    )
    collection = territories_geojson(outcome, units)
    features = collection["features"]
    assert len(features) == 40
    shapes = [shape(f["geometry"]) for f in features]
    assert all(s.geom_type == "MultiPolygon" for s in shapes)
    assert invalid_reasons([f["geometry"] for f in features]) == {}
    # Pairwise intersections have (numerically) no area.
    tree = shapely.STRtree(shapes)
    for i, j in zip(*tree.query(shapes, predicate="intersects"), strict=True):
        if i < j:
            common = shapes[i].intersection(shapes[j]).area
            assert common <= 1e-9 * min(shapes[i].area, shapes[j].area), (i, j, common)
    # Together the territories cover the counties (up to the overlaps removed).
    total = sum(s.area for s in shapes)
    union = shapely.union_all([shape(u.polygon) for u in units if u.polygon]).area
    assert total == pytest.approx(union, rel=1e-6)
    assert sum(f["properties"]["units"] for f in features) == 3109
    for a, b in itertools.pairwise(features):
        assert a["properties"]["territory_id"] < b["properties"]["territory_id"]


def test_dissolve_snaps_to_the_precision_grid_even_for_one_polygon() -> None:
    triangle = {"type": "Polygon", "coordinates": [[[0, 0], [1.123456789, 0], [1, 1], [0, 0]]]}
    coords = dissolve([triangle], precision=3)
    assert sorted(map(tuple, coords[0][0][:-1])) == [(0.0, 0.0), (1.0, 1.0), (1.123, 0.0)]
    assert shapely.LinearRing(coords[0][0]).is_ccw


def test_the_territory_file_carries_sums_without_binary_noise() -> None:
    """Unit figures such as 0.1 added up read 8196.999999999998 in the GeoJSON (and on the map
    API); files carry figures to 12 significant digits, as JSON does elsewhere."""
    from dataclasses import replace

    units = [
        replace(u, attributes={**u.attributes, "population": 0.1})
        for u in load_counties(with_polygons=True)
        if u.state == "CT"
    ]
    outcome = design_territories(units, n_territories=1, balance={"population": 0.5})
    (feature,) = territories_geojson(outcome, units)["features"]
    raw = sum([0.1] * len(units))
    assert repr(raw) == "0.7999999999999999"  # the 8 counties' sum, as the engine adds them
    assert repr(feature["properties"]["population"]) == "0.8"
