"""Polygon geometry with shapely, shared by ``planning`` (territories) and ``io`` (geo units):
dissolve, repair, validate, find overlaps, separate overlapping shapes.

It sits beside ``domain`` and ``engine`` in the layers (it imports neither).

Geometries travel as GeoJSON mappings (``{"type": "Polygon" | "MultiPolygon", ...}``, WGS84
degrees); shapely objects stay inside this module.

- :func:`dissolve` unions member polygons (``shapely.union_all`` on a fixed precision grid,
  each input repaired by ``shapely.make_valid`` first) into valid MultiPolygon coordinates:
  outer rings counter-clockwise, holes clockwise, as RFC 7946 asks.
- :func:`invalid_reasons` and :func:`overlaps` check a set of geometries (e.g. the dissolved
  territories of one design) for invalid shapes and for pairs that share area.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping, shape

from terraplan.errors import DataError

#: Coordinates are snapped to this grid (degrees; 1e-7 degrees is about 1 cm).
GRID_SIZE = 1e-7

MultiPolygonCoordinates = list[list[list[list[float]]]]


def to_shape(geometry: Mapping[str, Any]) -> shapely.Geometry:
    """The polygonal part of a GeoJSON geometry as a valid shapely geometry (may be empty)."""
    return repaired(shape(geometry))


def repaired(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygonal part of ``geom``, made valid when it is not."""
    if not shapely.is_valid(geom):
        geom = shapely.make_valid(geom)
    return polygonal(geom)


def polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygons of ``geom`` (lines and points that ``make_valid`` may leave are dropped)."""
    if isinstance(geom, shapely.Polygon | shapely.MultiPolygon):
        return geom
    parts = [
        g
        for g in shapely.get_parts(geom)
        if isinstance(g, shapely.Polygon | shapely.MultiPolygon) and not g.is_empty
    ]
    if not parts:
        return shapely.MultiPolygon()
    return shapely.union_all(parts)


def dissolve(
    geometries: Sequence[Mapping[str, Any]], *, precision: int | None = None
) -> MultiPolygonCoordinates:
    """MultiPolygon coordinates of the union of GeoJSON Polygons/MultiPolygons.

    The result is valid (no self-intersecting ring, holes inside their shell) whatever the
    inputs: invalid inputs are repaired with ``make_valid`` and the union runs on a grid of
    ``10**-precision`` degrees (default :data:`GRID_SIZE`), so coordinates written to JSON
    keep the topology.
    """
    return dissolve_shapes([shape(g) for g in geometries], precision=precision)


def dissolve_shapes(
    shapes: Sequence[shapely.Geometry], *, precision: int | None = None
) -> MultiPolygonCoordinates:
    """:func:`dissolve` of shapely geometries (as ``shape`` reads the GeoJSON; repaired here),
    for a caller that keeps them between dissolves."""
    grid_size = GRID_SIZE if precision is None else 10.0**-precision
    valid = [repaired(s) for s in shapes]
    valid = [s for s in valid if not s.is_empty]
    if not valid:
        return []
    return multipolygon_coordinates(_union(valid, grid_size))


def dissolve_groups(
    groups: Sequence[Sequence[Mapping[str, Any]]], *, precision: int | None = None
) -> list[MultiPolygonCoordinates]:
    """One dissolved MultiPolygon per group (e.g. per territory), with no two sharing area.

    Unit polygons from real sources overlap a little here and there (the bundled counties
    have 26 such pairs, the largest about 0.4% of a county). Where two dissolved groups
    share area, the later group loses the shared part (differences on the same grid), so
    the result tiles without overlap. ``precision`` as in :func:`dissolve`.
    """
    grid_size = GRID_SIZE if precision is None else 10.0**-precision
    shapes: list[shapely.Geometry] = []
    for group in groups:
        parts = [s for s in (to_shape(g) for g in group) if not s.is_empty]
        shapes.append(_union(parts, grid_size) if parts else shapely.MultiPolygon())
    separated = separate(shapes, grid_size=grid_size)
    return [multipolygon_coordinates(s) for s in separated]


def _union(shapes: Sequence[shapely.Geometry], grid_size: float) -> shapely.Geometry:
    """Union on the grid (shapely returns a lone geometry as it is, so snap that one)."""
    if len(shapes) == 1:
        return polygonal(shapely.set_precision(shapes[0], grid_size))
    return polygonal(shapely.union_all(shapes, grid_size=grid_size))


def separate(
    shapes: Sequence[shapely.Geometry], *, grid_size: float = GRID_SIZE
) -> list[shapely.Geometry]:
    """``shapes`` with every area shared by two of them left to the earlier one only."""
    result = list(shapes)
    array = np.asarray(result, dtype=object)
    if array.size < 2:
        return result
    left, right = shapely.STRtree(array).query(array, predicate="intersects")
    for i, j in sorted(zip(left.tolist(), right.tolist(), strict=True)):
        if i >= j:
            continue
        if shapely.area(shapely.intersection(result[i], result[j], grid_size=grid_size)) > 0:
            result[j] = polygonal(shapely.difference(result[j], result[i], grid_size=grid_size))
    return result


def multipolygon_coordinates(geom: shapely.Geometry) -> MultiPolygonCoordinates:
    """GeoJSON MultiPolygon coordinates of a polygonal geometry, oriented as RFC 7946 asks."""
    if geom.is_empty:
        return []
    data = mapping(shapely.orient_polygons(geom, exterior_cw=False))
    polygons = [data["coordinates"]] if data["type"] == "Polygon" else data["coordinates"]
    return [[[[float(x), float(y)] for x, y, *_ in ring] for ring in poly] for poly in polygons]


def invalid_reasons(geometries: Sequence[Mapping[str, Any]]) -> dict[int, str]:
    """Index -> GEOS's reason for each geometry that is not valid as given."""
    shapes = [shape(g) for g in geometries]
    reasons = shapely.is_valid_reason(np.asarray(shapes, dtype=object))
    return {i: str(r) for i, r in enumerate(reasons.tolist()) if r != "Valid Geometry"}


def overlaps(
    geometries: Sequence[Mapping[str, Any] | None], *, min_share: float = 1e-6
) -> list[tuple[int, int, float]]:
    """Pairs ``(i, j, share)`` of geometries whose intersection covers more than ``min_share``
    of the smaller one's area (shared borders and corners have no area and are fine)."""
    index = [i for i, g in enumerate(geometries) if g is not None]
    shapes = np.empty(len(index), dtype=object)
    shapes[:] = [to_shape(g) for g in geometries if g is not None]
    if shapes.size < 2:
        return []
    tree = shapely.STRtree(shapes)
    left, right = tree.query(shapes, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if left.size == 0:
        return []
    common = shapely.area(shapely.intersection(shapes[left], shapes[right], grid_size=None))
    smaller = np.minimum(shapely.area(shapes[left]), shapely.area(shapes[right]))
    share = np.divide(common, smaller, out=np.zeros_like(common), where=smaller > 0)
    return [
        (index[a], index[b], float(s))
        for a, b, s in zip(left.tolist(), right.tolist(), share.tolist(), strict=True)
        if s > min_share
    ]


def separate_mappings(
    geometries: Sequence[Mapping[str, Any] | None], *, grid_size: float = GRID_SIZE
) -> list[shapely.Geometry | None]:
    """:func:`separate` on GeoJSON geometries (None stays None)."""
    index = [i for i, g in enumerate(geometries) if g is not None]
    shapes = separate([to_shape(geometries[i]) for i in index], grid_size=grid_size)  # type: ignore[arg-type]
    result: list[shapely.Geometry | None] = [None] * len(geometries)
    for i, s in zip(index, shapes, strict=True):
        result[i] = s
    return result


def voronoi_cells(
    points: Sequence[tuple[float, float]], region: shapely.Geometry, *, grid_size: float = GRID_SIZE
) -> list[shapely.Geometry]:
    """The Voronoi cell of each ``(lon, lat)`` point clipped to ``region``: the cells tile
    ``region`` without overlap. Distances are measured with longitudes scaled by the
    cosine of the mean latitude (degrees of longitude shrink away from the equator).

    Points that coincide are moved apart by a few metres first, so each gets a cell; a
    point far outside ``region`` may get an empty cell.
    """
    if not points:
        return []
    if len(points) == 1:
        return [region]
    xy = np.asarray(points, dtype=float)
    scale = max(float(np.cos(np.radians(np.mean(xy[:, 1])))), 0.05)
    xy[:, 0] *= scale
    seen: set[tuple[float, float]] = set()
    for i, (x0, y) in enumerate(xy.tolist()):
        x = x0
        while (round(x, 6), round(y, 6)) in seen:
            x += 3e-5
        seen.add((round(x, 6), round(y, 6)))
        xy[i, 0] = x
    sites = shapely.multipoints(xy)
    minx, miny, maxx, maxy = region.bounds
    frame = shapely.box(minx * scale - 1, miny - 1, maxx * scale + 1, maxy + 1)
    diagram = shapely.voronoi_polygons(sites, extend_to=frame, ordered=True)
    cells = list(shapely.get_parts(diagram))
    if len(cells) != len(points):  # pragma: no cover - GEOS keeps one cell per distinct site
        raise DataError(
            f"the Voronoi diagram has {len(cells)} cells for {len(points)} points",
            details={"reason": "coinciding points"},
        )
    unscaled = shapely.transform(
        np.asarray(cells, dtype=object), lambda c: c / np.array([scale, 1.0])
    )
    clipped = shapely.intersection(unscaled, region)
    return [polygonal(c) for c in clipped.tolist()]
