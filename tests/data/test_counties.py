"""The bundled US county data set: counts, figures, adjacency, polygons."""

from __future__ import annotations

from collections import deque
from itertools import pairwise

import pytest

from terraplan.data.counties import (
    county_labels,
    load_counties,
    load_county_adjacency,
    load_county_polygons,
    load_zip_counties,
)
from terraplan.domain import GeoKind, GeoUnit
from terraplan.io.zip_units import LOWER_48_AND_DC

#: ACS 2022 population of the lower 48 states + DC (sum of the ZIP table), people.
ACS_LOWER_48_POPULATION = 328_908_642


@pytest.fixture(scope="module")
def counties() -> list[GeoUnit]:
    return load_counties()


@pytest.fixture(scope="module")
def by_id(counties: list[GeoUnit]) -> dict[str, GeoUnit]:
    return {c.id: c for c in counties}


def test_count_ids_and_states(counties: list[GeoUnit]) -> None:
    assert 3_100 <= len(counties) <= 3_115
    ids = [c.id for c in counties]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    assert all(len(i) == 5 and i.isdigit() for i in ids)
    assert {c.state for c in counties} == set(LOWER_48_AND_DC)
    assert all(c.kind is GeoKind.COUNTY for c in counties)
    assert all(c.polygon is None for c in counties)
    prefixes: dict[str, set[str]] = {}
    for county in counties:
        prefixes.setdefault(county.state or "", set()).add(county.id[:2])
    assert all(len(p) == 1 for p in prefixes.values())  # one state FIPS per state
    assert prefixes["CA"] == {"06"} and prefixes["NY"] == {"36"}


def test_known_counties(by_id: dict[str, GeoUnit]) -> None:
    la = by_id["06037"]
    assert la.name == "Los Angeles County" and la.state == "CA"
    assert la.attributes["population"] == pytest.approx(9_900_000, rel=0.05)
    assert 33.7 < la.latitude < 34.9 and -119.0 < la.longitude < -117.6
    assert by_id["17031"].attributes["population"] == pytest.approx(5_200_000, rel=0.05)
    assert by_id["11001"].state == "DC"
    # 2009 codes: Connecticut's counties are there
    assert {"09001", "09003", "09009"} <= set(by_id)


def test_totals_and_attributes_plausible(counties: list[GeoUnit]) -> None:
    population = sum(c.attributes["population"] for c in counties)
    households = sum(c.attributes["households"] for c in counties)
    assert population == pytest.approx(ACS_LOWER_48_POPULATION, rel=0.01)
    assert 2.3 < population / households < 2.9
    for county in counties:
        attrs = county.attributes
        assert attrs["population"] > 0, county.id
        assert 0 < attrs["households"] <= attrs["population"], county.id
        assert 15_000 < attrs["median_income"] < 250_000, county.id
        assert attrs["area_sq_mi"] > 0, county.id
        assert attrs["apportioned"] in (0.0, 1.0)
        assert 24.3 < county.latitude < 49.5 and -125.0 < county.longitude < -66.8
    assert sum(c.attributes["apportioned"] for c in counties) < 50


def test_adjacency_symmetric_and_connected(counties: list[GeoUnit]) -> None:
    neighbours = {c.id: set(c.neighbours) for c in counties}
    for fips, others in neighbours.items():
        assert fips not in others
        for other in others:
            assert fips in neighbours[other], (fips, other)
    seen = {counties[0].id}
    queue = deque(seen)
    while queue:
        for other in neighbours[queue.popleft()]:
            if other not in seen:
                seen.add(other)
                queue.append(other)
    assert seen == set(neighbours)
    degrees = sorted(len(n) for n in neighbours.values())
    assert 5.0 < sum(degrees) / len(degrees) < 7.0
    assert degrees[0] >= 1


def test_adjacency_file_matches_units(by_id: dict[str, GeoUnit]) -> None:
    links = load_county_adjacency()
    assert {link.kind for link in links} <= {"land", "water"}
    pairs = {(link.fips, link.neighbour_fips) for link in links}
    assert len(pairs) == len(links)
    assert all((b, a) in pairs for a, b in pairs)
    assert pairs == {(c, n) for c, unit in by_id.items() for n in unit.neighbours}
    # real borders
    assert ("06037", "06059") in pairs  # Los Angeles - Orange
    assert ("25019", "25007") in pairs  # Nantucket - Dukes
    assert ("06037", "06073") not in pairs  # Los Angeles - San Diego


def _inside(x: float, y: float, ring: list[list[float]]) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in pairwise(ring):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _in_geometry(x: float, y: float, geometry: dict) -> bool:
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    return any(
        _inside(x, y, rings[0]) and not any(_inside(x, y, hole) for hole in rings[1:])
        for rings in polygons
    )


def test_polygons_are_valid_geojson(counties_with_polygons: list[GeoUnit]) -> None:
    polygons = load_county_polygons()
    assert set(polygons) == {c.id for c in counties_with_polygons}
    outside = []
    for county in counties_with_polygons:
        geometry = county.polygon
        assert geometry is not None and geometry["type"] in ("Polygon", "MultiPolygon")
        parts = (
            [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        )
        for rings in parts:
            for ring in rings:
                assert len(ring) >= 4 and ring[0] == ring[-1]
                for x, y in ring:
                    assert -125.0 < x < -66.0 and 24.0 < y < 50.0
                    assert round(x, 4) == x and round(y, 4) == y
        if not _in_geometry(county.longitude, county.latitude, geometry):
            outside.append(county.id)
    # interior points come from the full polygons; simplification may cut off a few
    assert len(outside) < 0.01 * len(counties_with_polygons), outside


def test_zip_counties_match_units(by_id: dict[str, GeoUnit]) -> None:
    zip_county = load_zip_counties()
    assert len(zip_county) > 40_000
    assert set(zip_county.values()) <= set(by_id)
    assert zip_county["90012"] == "06037"  # Los Angeles
    assert zip_county["06830"] == "09001"  # Greenwich CT -> Fairfield County (2009 code)
    assert zip_county["10001"] == "36061"  # Manhattan
    zip_total = sum(1 for _ in zip_county)
    assert sum(u.attributes["zip_count"] for u in by_id.values()) == zip_total


def test_county_labels_name_every_county_with_its_state(counties: list[GeoUnit]) -> None:
    labels = county_labels()
    assert labels == {u.id: f"{u.name}, {u.state}" for u in counties}
    assert labels["06037"] == "Los Angeles County, CA"
    with pytest.raises(TypeError):
        labels["06037"] = "changed"  # type: ignore[index]
    assert county_labels() is labels  # read once per process


def test_counties_are_read_once_and_each_caller_owns_its_attributes() -> None:
    """The bundled files are read once per process (every design, edit and map of a plan
    without stored units asked for them again); a caller changing a unit's attributes does not
    change what the next caller gets."""
    from terraplan.data import counties as module

    first = module.load_counties()
    assert module._bundled_counties.cache_info().currsize >= 1
    hits = module._bundled_counties.cache_info().hits
    first[0].attributes["population"] = -1.0
    again = module.load_counties()
    assert module._bundled_counties.cache_info().hits == hits + 1
    assert again[0].attributes["population"] > 0
    assert [u.id for u in again] == [u.id for u in first]


def test_the_adjacency_is_read_once_per_process_and_each_caller_gets_its_own_list() -> None:
    # a plan's first map asked for it three times (counties, polygons, the neighbour ring),
    # parsing the bundled file each time
    first = load_county_adjacency()
    second = load_county_adjacency()
    assert first == second and len(first) > 18_000
    assert all(a is b for a, b in zip(first[:100], second[:100], strict=True))
    first.clear()  # a caller's own list: the next caller still gets every link
    assert load_county_adjacency() == second
