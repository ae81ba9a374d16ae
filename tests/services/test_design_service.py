from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from shapely.geometry import shape

from terraplan.domain import PlanStatus, RecordKind
from terraplan.errors import DataError, InvalidParameterError, NotFoundError
from terraplan.services.design import design_plan, parse_balance, write_design_files
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def test_parse_balance_accepts_percent_and_fractions() -> None:
    assert parse_balance(["population:5%", "potential:0.1"]) == {
        "population": 0.05,
        "potential": 0.1,
    }
    for bad in ("population", "population:150%", "population:x", ":5%"):
        with pytest.raises(InvalidParameterError, match="METRIC:TOLERANCE"):
            parse_balance([bad])


def test_design_on_real_zips_is_saved_as_a_contiguous_balanced_draft(
    db: Database, tmp_path: Path
) -> None:
    run = design_plan(
        db,
        units="zips",
        states={"RI"},
        n_territories=4,
        balance={"population": 0.05},
        contiguous=True,
        seed=7,
        time_limit=10,
        method="heuristic",
    )
    summary_deviation = max(abs(x) for x in run.outcome.report.balance.deviation[:, 0])
    assert summary_deviation <= 0.05 + 1e-9
    assert run.outcome.report.contiguity.all_contiguous
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(run.plan.id)
        stored = uow.plan_results.get(run.plan.id, "design")
    assert plan.status is PlanStatus.DRAFT
    assert len(plan.leaves()) == 4
    aligned = plan.alignment_map(RecordKind.GEO_UNIT)
    assert set(aligned) == {u.id for u in run.units}
    assert stored is not None and stored["all_within_tolerance"] is True
    assert plan.parameters["seed"] == 7

    files = write_design_files(run, tmp_path / "out")
    assert [f.suffix for f in files] == [".csv", ".geojson"]  # ZIP cells give the map shapes
    assert files[0].read_text().count("\n") == len(run.units) + 1
    features = json.loads(files[1].read_text())["features"]
    assert len(features) == 4
    assert sum(f["properties"]["units"] for f in features) == len(run.units)
    assert all(f["properties"]["units_without_polygon"] == 0 for f in features)
    shapes = [shape(f["geometry"]) for f in features]
    assert all(s.is_valid and s.area > 0 for s in shapes)
    for i, j in itertools.combinations(range(4), 2):
        assert shapes[i].intersection(shapes[j]).area <= 1e-9 * min(shapes[i].area, shapes[j].area)

    # Same input and seed: same alignment.
    again = design_plan(
        db,
        units="zips",
        states={"RI"},
        n_territories=4,
        balance={"population": 0.05},
        contiguous=True,
        seed=7,
        time_limit=10,
        method="heuristic",
    )
    assert again.plan.id != run.plan.id
    assert again.outcome.labels.tolist() == run.outcome.labels.tolist()


def test_realignment_budget_is_respected(db: Database) -> None:
    first = design_plan(db, units="zips", states={"RI"}, n_territories=4, seed=1, time_limit=5)
    second = design_plan(
        db,
        units="zips",
        states={"RI"},
        n_territories=4,
        seed=2,
        time_limit=5,
        from_plan=first.plan.id,
        max_moved=5,
    )
    disruption = second.outcome.report.disruption
    assert disruption is not None
    assert disruption.units_moved <= 5
    assert second.plan.based_on_plan_id == first.plan.id


def test_a_realignment_keeps_the_criteria_the_plan_was_designed_with(db: Database) -> None:
    """Realigning without --balance balanced on the default population ±5 %, dropped the
    contiguity and saved a plan with no criteria (monitoring then judged it by defaults)."""
    first = design_plan(
        db, units="zips", states={"RI"}, n_territories=4, balance={"households": 0.08},
        contiguous=True, seed=1, time_limit=5,
    )  # fmt: skip
    again = design_plan(
        db, units="zips", states={"RI"}, n_territories=4, seed=2, time_limit=5,
        from_plan=first.plan.id, max_moved=5,
    )  # fmt: skip
    assert again.plan.parameters["balance"] == {"households": 0.08}
    assert again.plan.parameters["contiguous"] is True
    assert again.outcome.report.contiguity.all_contiguous
    assert again.outcome.metric_names == ("households",)
    assert (
        f"balanced as plan {first.plan.id} was designed: households ±8%, contiguous (give "
        "--balance to balance on something else)" in again.outcome.notes
    )
    # asked for something else: that is what it balances, without the note
    other = design_plan(
        db, units="zips", states={"RI"}, n_territories=4, balance={"population": 0.1},
        seed=2, time_limit=5, from_plan=first.plan.id,
    )  # fmt: skip
    assert other.plan.parameters["balance"] == {"population": 0.1}
    assert not any(n.startswith("balanced as plan") for n in other.outcome.notes)


def test_design_errors_name_what_is_missing(db: Database) -> None:
    with pytest.raises(DataError, match="no accounts are stored"):
        design_plan(db, units="accounts", n_territories=3)
    with pytest.raises(NotFoundError, match="no plan"):
        design_plan(db, units="zips", states={"RI"}, n_territories=3, from_plan="NOPE")


def test_geojson_is_written_for_units_with_polygons(db: Database, tmp_path: Path) -> None:
    from terraplan.domain import GeoKind, GeoUnit
    from terraplan.storage.mappers import to_record

    def square(x: int, y: int) -> dict[str, object]:
        ring = [[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]
        return {"type": "Polygon", "coordinates": [ring]}

    units = []
    for x in range(4):
        for y in range(3):
            neighbours = tuple(
                f"C{a}{b}"
                for a, b in ((x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1))
                if 0 <= a < 4 and 0 <= b < 3
            )
            units.append(
                GeoUnit(
                    id=f"C{x}{y}",
                    kind=GeoKind.COUNTY,
                    name=f"C{x}{y}",
                    latitude=40 + y + 0.5,
                    longitude=-100 + x + 0.5,
                    state="KS",
                    attributes={"population": 100.0},
                    neighbours=neighbours,
                    polygon=square(-100 + x, 40 + y),
                )
            )
    with UnitOfWork(db) as uow:
        uow.geo_units.upsert_records(to_record(u) for u in units)
        uow.commit()
    run = design_plan(
        db,
        units="counties",
        n_territories=2,
        contiguous=True,
        balance={"population": 0.01},
        seed=3,
        time_limit=5,
    )
    paths = write_design_files(run, tmp_path / "grid.csv")
    geojson = json.loads(paths[1].read_text())
    assert len(geojson["features"]) == 2
    assert sorted(f["properties"]["units"] for f in geojson["features"]) == [6, 6]
    for feature in geojson["features"]:
        assert feature["geometry"]["type"] == "MultiPolygon"
        assert len(feature["geometry"]["coordinates"]) == 1  # six squares dissolve into one polygon


def test_tradeoff_curves_are_non_dominated(db: Database) -> None:
    from terraplan.services.design_tradeoff import design_tradeoff

    balance_curve = design_tradeoff(
        db,
        parameters=[0.02, 0.05, 0.2],
        units="zips",
        states={"RI"},
        n_territories=4,
        contiguous=True,
        seed=1,
        time_limit=3,
    )
    assert balance_curve
    for point in balance_curve:
        assert point["max_deviation"] <= point["parameter"] + 1e-9
    inertias = [p["weighted_inertia"] for p in balance_curve]
    deviations = [p["max_deviation"] for p in balance_curve]
    for i in range(len(balance_curve)):
        for j in range(len(balance_curve)):
            dominated = inertias[j] <= inertias[i] and deviations[j] <= deviations[i]
            strictly = inertias[j] < inertias[i] or deviations[j] < deviations[i]
            assert not (i != j and dominated and strictly)

    first = design_plan(
        db, units="zips", states={"RI"}, n_territories=4, seed=1, time_limit=3, method="heuristic"
    )
    disruption_curve = design_tradeoff(
        db,
        parameters=[0, 5, 20],
        units="zips",
        states={"RI"},
        n_territories=4,
        from_plan=first.plan.id,
        seed=2,
        time_limit=3,
    )
    assert disruption_curve
    for point in disruption_curve:
        assert point["units_moved"] <= point["parameter"]


def test_a_budget_too_small_to_balance_hides_no_design_within_the_bands(db: Database) -> None:
    """Budget 0 keeps a loose plan outside the new band; it used to dominate (fewer moves, more
    compact) and so hide the design that meets the band. Now the curve is the designs within
    their bands, the others listed after it."""
    from terraplan.services.design_tradeoff import design_tradeoff

    loose = design_plan(
        db,
        units="zips",
        states={"RI"},
        n_territories=4,
        balance={"population": 0.4},
        seed=1,
        time_limit=3,
        method="heuristic",
    )
    assert max(abs(d) for d in loose.outcome.report.balance.max_abs_deviation) > 0.05
    rows = design_tradeoff(
        db,
        parameters=[0, 60],
        units="zips",
        states={"RI"},
        n_territories=4,
        balance={"population": 0.05},
        from_plan=loose.plan.id,
        seed=2,
        time_limit=3,
    )
    assert [(r["parameter"], r["within_tolerance"]) for r in rows] == [(60, True), (0, False)]
    assert rows[1]["units_moved"] == 0
    # the design that made the plan is in its audit log, with what it was asked and reached
    from terraplan.services.feedback import audit_log

    (entry,) = audit_log(db, plan_id=loose.plan.id)
    assert (entry.action, entry.after["balance"], entry.after["territories"]) == (
        "design",
        {"population": 0.4},
        4,
    )
    assert entry.after["within_tolerance"] is loose.outcome.report.balance.all_within


def test_an_empty_sweep_is_refused_by_name(db: Database) -> None:
    from terraplan.errors import InvalidParameterError
    from terraplan.services.design_tradeoff import design_tradeoff

    with pytest.raises(InvalidParameterError, match="at least one value"):
        design_tradeoff(db, parameters=[], units="zips", states={"RI"}, n_territories=4)
