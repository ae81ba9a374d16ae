"""Exports of a designed plan as data structures (the CLI/API write the files).

- :func:`territories_geojson`: a GeoJSON FeatureCollection, one feature per territory,
  dissolved from its member units' polygons with shapely (:func:`terraplan.geometry.dissolve`:
  ``union_all`` on a 1e-7 degree grid after ``make_valid``), so every territory is a valid
  MultiPolygon; where member polygons of two territories overlap, the shared area stays
  with one territory only (:func:`~terraplan.geometry.dissolve_groups`). Units without a
  polygon are left out of the geometry (their count is a property).
- :func:`alignment_rows` / :func:`alignment_csv`: one row per aligned unit.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from terraplan.domain import GeoUnit
from terraplan.domain.amounts import exact_figure
from terraplan.geometry import dissolve, dissolve_groups
from terraplan.planning.design import DesignOutcome

__all__ = ["alignment_csv", "alignment_rows", "dissolve", "territories_geojson"]


def territories_geojson(
    outcome: DesignOutcome, units: Sequence[GeoUnit], *, precision: int | None = None
) -> dict[str, Any]:
    """FeatureCollection of territories (MultiPolygon each) with totals as properties;
    coordinates on a grid of ``10**-precision`` degrees (default 1e-7)."""
    by_id = {u.id: u for u in units}
    members: dict[int, list[GeoUnit]] = defaultdict(list)
    for uid, label in zip(outcome.unit_ids, outcome.labels.tolist(), strict=True):
        if uid in by_id:
            members[label].append(by_id[uid])
    features = []
    balance = outcome.report.balance
    territories = outcome.plan.territories
    polygons_of = [
        [u.polygon for u in members.get(t, []) if u.polygon is not None]
        for t in range(len(territories))
    ]
    shapes = dissolve_groups(polygons_of, precision=precision)
    for t, territory in enumerate(territories):
        group = members.get(t, [])
        polygons = polygons_of[t]
        props: dict[str, Any] = {
            "territory_id": territory.id,
            "name": territory.name,
            "units": len(group),
            "units_without_polygon": len(group) - len(polygons),
        }
        for j, name in enumerate(outcome.metric_names):
            # as files carry figures: 8197.0, not the sum's 8196.999999999998
            props[name] = exact_figure(float(balance.totals[t, j]))
            props[f"{name}_deviation"] = exact_figure(float(balance.deviation[t, j]))
        features.append(
            {
                "type": "Feature",
                "id": territory.id,
                "properties": props,
                "geometry": {"type": "MultiPolygon", "coordinates": shapes[t]},
            }
        )
    return {"type": "FeatureCollection", "features": features}


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
