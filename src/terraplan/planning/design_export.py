"""Exports of a designed plan as data structures (the CLI/API write the files).

- :func:`territories_geojson`: a GeoJSON FeatureCollection, one feature per territory,
  dissolved from its member units' polygons **without shapely**: every ring edge of every
  member polygon is counted (coordinates rounded to ``precision`` decimals); an edge shared
  by two members is interior and cancels; the remaining edges are chained back into
  closed rings; rings are nested by point-in-ring tests (outer rings -> polygons, rings
  inside them -> holes). This is exact for topologically clean inputs (neighbours share
  identical vertices, as in TopoJSON-derived county data). Where neighbours' borders do
  not share vertices, the shared border survives as two near-identical edges, so the
  result is still a correct cover of the territory, with slivers inside.
  Units without a polygon are left out of the geometry (their count is a property).
- :func:`alignment_rows` / :func:`alignment_csv`: one row per aligned unit.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from terraplan.domain import GeoUnit
from terraplan.planning.design import DesignOutcome

Point = tuple[float, float]


def territories_geojson(
    outcome: DesignOutcome, units: Sequence[GeoUnit], *, precision: int = 7
) -> dict[str, Any]:
    """FeatureCollection of territories (MultiPolygon each) with totals as properties."""
    by_id = {u.id: u for u in units}
    members: dict[int, list[GeoUnit]] = defaultdict(list)
    for uid, label in zip(outcome.unit_ids, outcome.labels.tolist(), strict=True):
        if uid in by_id:
            members[label].append(by_id[uid])
    features = []
    balance = outcome.report.balance
    for t, territory in enumerate(outcome.plan.territories):
        group = members.get(t, [])
        polygons = [u.polygon for u in group if u.polygon is not None]
        props: dict[str, Any] = {
            "territory_id": territory.id,
            "name": territory.name,
            "units": len(group),
            "units_without_polygon": len(group) - len(polygons),
        }
        for j, name in enumerate(outcome.metric_names):
            props[name] = float(balance.totals[t, j])
            props[f"{name}_deviation"] = float(balance.deviation[t, j])
        features.append(
            {
                "type": "Feature",
                "id": territory.id,
                "properties": props,
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": dissolve(polygons, precision=precision),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def dissolve(
    geometries: Sequence[Mapping[str, Any]], *, precision: int = 7
) -> list[list[list[list[float]]]]:
    """MultiPolygon coordinates of the union of GeoJSON Polygons/MultiPolygons that tile
    without overlap, by cancelling shared edges (see the module docstring)."""
    counts: dict[tuple[Point, Point], int] = {}
    for geometry in geometries:
        polys = (
            [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        )
        for poly in polys:
            for ring in poly:
                pts = [(round(float(p[0]), precision), round(float(p[1]), precision)) for p in ring]
                for a, b in itertools.pairwise(pts):
                    if a == b:
                        continue
                    key = (a, b) if a < b else (b, a)
                    counts[key] = counts.get(key, 0) + 1
    edges = [key for key, c in counts.items() if c % 2 == 1]
    rings = _chain(edges)
    return _nest(rings)


def _chain(edges: list[tuple[Point, Point]]) -> list[list[Point]]:
    nbrs: dict[Point, list[Point]] = defaultdict(list)
    for a, b in edges:
        nbrs[a].append(b)
        nbrs[b].append(a)
    used: set[tuple[Point, Point]] = set()
    rings: list[list[Point]] = []
    for a, b in edges:
        if (a, b) in used:
            continue
        used.add((a, b))
        used.add((b, a))
        ring = [a, b]
        node = b
        while node != a:
            nxt = None
            for cand in nbrs[node]:
                if (node, cand) not in used:
                    nxt = cand
                    break
            if nxt is None:
                break
            used.add((node, nxt))
            used.add((nxt, node))
            ring.append(nxt)
            node = nxt
        if ring[-1] == ring[0] and len(ring) >= 4:
            rings.append(ring)
    return rings


def _area(ring: list[Point]) -> float:
    return 0.5 * sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))


def _inside(point: Point, ring: list[Point]) -> bool:
    x, y = point
    inside = False
    for (x0, y0), (x1, y1) in itertools.pairwise(ring):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def _nest(rings: list[list[Point]]) -> list[list[list[list[float]]]]:
    """Even nesting depth -> outer ring (counter-clockwise), odd -> hole of its container."""
    order = sorted(range(len(rings)), key=lambda r: -abs(_area(rings[r])))
    depth = [0] * len(rings)
    parent = [-1] * len(rings)
    for pos, r in enumerate(order):
        probe = _probe(rings[r])
        for q in reversed(order[:pos]):
            if _inside(probe, rings[q]):
                depth[r] = depth[q] + 1
                parent[r] = q
                break
    polygons: dict[int, list[list[list[float]]]] = {}
    for r in order:
        ring = rings[r]
        ccw = _area(ring) > 0
        if depth[r] % 2 == 0:
            ring = ring if ccw else ring[::-1]
            polygons[r] = [[list(p) for p in ring]]
        else:
            ring = ring[::-1] if ccw else ring
            polygons[parent[r]].append([list(p) for p in ring])
    return [polygons[r] for r in order if r in polygons]


def _probe(ring: list[Point]) -> Point:
    """A point just off the middle of the first edge (vertices may touch other rings)."""
    (x0, y0), (x1, y1) = ring[0], ring[1]
    return ((x0 + x1) / 2 + 1e-9, (y0 + y1) / 2 + 1e-9)


def alignment_rows(outcome: DesignOutcome) -> list[dict[str, Any]]:
    """One row per unit: record kind, id and name (county names next to FIPS codes),
    territory id and name."""
    names = {t.id: t.name for t in outcome.plan.territories}
    unit_names = dict(zip(outcome.unit_ids, outcome.unit_names, strict=False))
    rows = []
    for entry in outcome.plan.alignment:
        rows.append(
            {
                "record_kind": str(entry.record_kind),
                "record_id": entry.record_id,
                "record_name": unit_names.get(entry.record_id, ""),
                "territory_id": entry.territory_id,
                "territory_name": names[entry.territory_id],
            }
        )
    return rows


def alignment_csv(outcome: DesignOutcome) -> str:
    """:func:`alignment_rows` as CSV text (header + rows)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer,
        fieldnames=["record_kind", "record_id", "record_name", "territory_id", "territory_name"],
        lineterminator="\n",
    )
    writer.writeheader()
    writer.writerows(alignment_rows(outcome))
    return buffer.getvalue()
