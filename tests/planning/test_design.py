"""design_territories: domain objects in, a draft plan and its report out."""

from __future__ import annotations

import csv
import io
import itertools

import numpy as np
import pytest

from terraplan.domain import (
    Account,
    AlignmentEntry,
    GeoKind,
    GeoUnit,
    Plan,
    PlanStatus,
    RecordKind,
    Rep,
    Territory,
)
from terraplan.errors import DataError, InvalidParameterError
from terraplan.planning.design import design_territories
from terraplan.planning.design_export import alignment_csv, dissolve, territories_geojson


def _square(row: int, col: int) -> dict[str, object]:
    x0, y0 = -100 + 0.1 * col, 40 + 0.1 * row
    ring = [[x0, y0], [x0 + 0.1, y0], [x0 + 0.1, y0 + 0.1], [x0, y0 + 0.1], [x0, y0]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def geo_grid(rows: int = 6, cols: int = 6, seed: int = 0) -> list[GeoUnit]:
    rng = np.random.default_rng(seed)
    units = []
    for r in range(rows):
        for c in range(cols):
            nbrs = [
                f"u{rr}_{cc}"
                for rr, cc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1))
                if 0 <= rr < rows and 0 <= cc < cols
            ]
            units.append(
                GeoUnit(
                    id=f"u{r}_{c}",
                    kind=GeoKind.CUSTOM,
                    name=f"cell {r},{c}",
                    latitude=40.05 + 0.1 * r,
                    longitude=-99.95 + 0.1 * c,
                    attributes={"population": float(rng.integers(50, 150)), "households": 10.0},
                    neighbours=tuple(nbrs),
                    polygon=_square(r, c),
                )
            )
    return units


def test_geo_units_become_a_balanced_contiguous_draft_plan() -> None:
    units = geo_grid()
    outcome = design_territories(
        units, n_territories=3, balance={"population": 0.05}, contiguous=True,
        method="heuristic", seed=1,
    )  # fmt: skip
    plan = outcome.plan
    assert plan.status is PlanStatus.DRAFT
    assert [t.id for t in plan.territories] == ["T01", "T02", "T03"]
    assert len(plan.alignment) == 36
    assert {e.record_kind for e in plan.alignment} == {RecordKind.GEO_UNIT}
    assert outcome.report.balance.all_within
    assert outcome.report.contiguity.all_contiguous
    by_territory = plan.alignment_map(RecordKind.GEO_UNIT)
    pops = {t.id: 0.0 for t in plan.territories}
    for unit in units:
        pops[by_territory[unit.id]] += unit.attributes["population"]
    np.testing.assert_allclose(sorted(pops.values()), sorted(outcome.report.balance.totals[:, 0]))


def test_accounts_with_reps_as_centres_and_named_accounts_left_out() -> None:
    rng = np.random.default_rng(2)
    accounts = [
        Account(
            id=f"a{i}",
            name=f"Acme {i}",
            latitude=float(rng.uniform(35, 45)),
            longitude=float(rng.uniform(-110, -80)),
            potential=float(rng.uniform(1, 10)),
        )
        for i in range(300)
    ]
    reps = [
        Rep(id="r1", name="West", home_latitude=40.0, home_longitude=-105.0),
        Rep(id="r2", name="East", home_latitude=40.0, home_longitude=-85.0),
    ]
    outcome = design_territories(
        accounts, centres=reps, balance={"potential": 0.05, "count": 0.1},
        named_accounts=["a0", "a1"], method="heuristic",
    )  # fmt: skip
    assert outcome.excluded == ("a0", "a1")
    assert len(outcome.plan.alignment) == 298
    assert [t.primary_owner_ids for t in outcome.plan.territories] == [("r1",), ("r2",)]
    assert outcome.report.balance.all_within
    west = outcome.plan.alignment_map(RecordKind.ACCOUNT)
    far_west = [a.id for a in accounts[2:] if a.longitude is not None and a.longitude < -107]
    assert all(west[a] == "T01" for a in far_west)


def _north_south(units: list[GeoUnit], latitude: float) -> Plan:
    """Plan fy25: North above ``latitude``, South below it."""
    return Plan(
        id="fy25", name="FY25",
        territories=(Territory("north", "North"), Territory("south", "South")),
        alignment=tuple(
            AlignmentEntry(RecordKind.GEO_UNIT, u.id, "north" if u.latitude > latitude else "south")
            for u in units
        ),
    )  # fmt: skip


def test_realignment_keeps_ids_and_respects_max_moved() -> None:
    units = geo_grid()
    current = _north_south(units, 40.3)
    outcome = design_territories(
        units, current=current, balance={"population": 0.02}, contiguous=True, max_moved=4,
        method="heuristic",
    )  # fmt: skip
    assert [t.id for t in outcome.plan.territories] == ["north", "south"]
    assert outcome.plan.based_on_plan_id == "fy25"
    assert outcome.report.disruption is not None
    assert outcome.report.disruption.units_moved <= 4


def test_locks_by_id_and_bad_inputs() -> None:
    units = geo_grid(4, 4)
    outcome = design_territories(
        units, n_territories=2, locks={"u0_0": "T02"}, method="heuristic", contiguous=True
    )
    assert outcome.plan.alignment_map(RecordKind.GEO_UNIT)["u0_0"] == "T02"
    with pytest.raises(InvalidParameterError):
        design_territories(units, n_territories=2, locks={"nope": "T01"})
    with pytest.raises(InvalidParameterError):
        design_territories(units, n_territories=2, method="magic")  # type: ignore[arg-type]
    with pytest.raises(DataError):
        design_territories(units, n_territories=2, balance={"revenue": 0.05})


def test_geojson_dissolves_members_into_one_polygon_each() -> None:
    units = geo_grid(4, 4)
    outcome = design_territories(units, n_territories=2, contiguous=True, method="heuristic")
    collection = territories_geojson(outcome, units)
    assert collection["type"] == "FeatureCollection"
    total_area = 0.0
    for feature, territory in zip(collection["features"], outcome.plan.territories, strict=True):
        polygons = feature["geometry"]["coordinates"]
        assert len(polygons) == 1  # contiguous squares dissolve into one polygon
        ring = polygons[0][0]
        assert ring[0] == ring[-1]
        area = 0.5 * sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))
        assert area > 0  # outer rings counter-clockwise
        total_area += area
        assert feature["properties"]["territory_id"] == territory.id
    assert total_area == pytest.approx(16 * 0.01, rel=1e-6)


def test_dissolve_keeps_holes() -> None:
    ring_cells = [_square(r, c) for r in range(3) for c in range(3) if (r, c) != (1, 1)]
    polygons = dissolve(ring_cells)
    assert len(polygons) == 1
    assert len(polygons[0]) == 2  # outer ring + the hole of the missing centre cell


def test_alignment_csv_rows() -> None:
    units = geo_grid(3, 3)
    outcome = design_territories(units, n_territories=3, method="heuristic")
    rows = list(csv.DictReader(io.StringIO(alignment_csv(outcome))))
    assert len(rows) == 9
    assert set(rows[0]) == {
        "record_kind",
        "record_id",
        "record_name",
        "territory_id",
        "territory_name",
    }
    assert {r["territory_id"] for r in rows} == {"T01", "T02", "T03"}


def test_auto_method_solves_tiny_instances_exactly() -> None:
    units = geo_grid(3, 4)
    outcome = design_territories(
        units, n_territories=2, balance={"population": 0.2}, contiguous=True
    )
    assert outcome.stats.method == "exact"
    assert outcome.stats.proven_optimal
    assert outcome.report.contiguity.all_contiguous
    assert outcome.report.balance.all_within


def test_a_disruption_cap_that_keeps_the_band_out_of_reach_is_named() -> None:
    """max_moved=0 on a lopsided plan: the draft cannot be balanced; the note names the cap,
    not only "balance not within tolerance"."""
    units = geo_grid()
    lopsided = _north_south(units, 40.1)
    capped = design_territories(
        units, current=lopsided, balance={"population": 0.02}, contiguous=True, max_moved=0,
        method="heuristic",
    )  # fmt: skip
    assert not capped.report.balance.all_within
    assert (
        "the disruption cap (at most 0 units moved) leaves 2 territories outside the balance "
        "band: a larger cap (--max-moved) or a wider band may meet it; the draft is saved as it is"
    ) in capped.notes
    free = design_territories(
        units, current=lopsided, balance={"population": 0.02}, contiguous=True, method="heuristic"
    )
    assert free.report.balance.all_within
    assert not any("disruption cap" in n for n in free.notes)
