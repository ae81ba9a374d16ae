"""A design on imported custom areas (another country's postal areas) makes rules that place
the accounts as the design did (they tested county codes, placing none, and activation
still passed); accounts no area holds and islands are said; a plan whose rules place no
account is not activated."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.io.geo_grids import ORIGIN, SIDE, grid_features, write_geojson

from terraplan.domain import Account, RecordKind
from terraplan.errors import ConflictError
from terraplan.services.design import design_plan
from terraplan.services.imports import import_file
from terraplan.services.ownership import apply_rules, read_rule_file, save_rules
from terraplan.services.plan_lifecycle import activate_plan, change_status
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

MAPPING = {"PLZ": "id", "NAME": "name", "EINWOHNER": "attributes.population"}


def _island() -> dict[str, object]:
    """A square 30 km east of the grid's last column, touching nothing; id with leading zeros."""
    x, y = ORIGIN[0] + 7 * SIDE, ORIGIN[1]
    ring = [[x, y], [x + SIDE, y], [x + SIDE, y + SIDE], [x, y + SIDE], [x, y]]
    return {
        "type": "Feature",
        "properties": {"PLZ": "0042", "NAME": "Insel", "EINWOHNER": 500},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def _areas_and_accounts(db: Database, tmp_path: Path) -> list[str]:
    path = write_geojson(tmp_path / "areas.geojson", [*grid_features(), _island()])
    assert import_file(db, path, "geo_units", mapping=MAPPING).written == 17
    with UnitOfWork(db) as uow:
        areas = sorted(u.id for u in uow.geo_units.list())
        accounts = [
            Account(f"A{i}", f"Firma {i}", postal_code=code, country="DE", potential=100.0 + i)
            for i, code in enumerate(areas)
        ]
        # a code whose leading zeros a spreadsheet dropped, and a code of no area
        accounts += [
            Account("LOST", "Nullen GmbH", postal_code="42", country="DE", potential=50.0),
            Account("NONE", "Irgendwo AG", postal_code="99999", country="DE", potential=50.0),
        ]
        uow.accounts.add_many(accounts)
        uow.commit()
    return areas


def test_a_custom_area_design_makes_rules_that_place_its_accounts(
    db: Database, tmp_path: Path
) -> None:
    areas = _areas_and_accounts(db, tmp_path)
    run = design_plan(
        db, units="custom", n_territories=4, balance={"potential": 0.25}, contiguous=True,
        method="heuristic", seed=3, time_limit=5,
    )  # fmt: skip
    notes = " ".join(run.outcome.notes)
    assert "islands, or a separate part): Insel;" in notes
    assert "postal code 42 is none of the areas; area 0042 is, with leading zeros" in notes
    assert "Irgendwo AG" in notes and "2 accounts" in notes
    aligned = run.plan.alignment_map(RecordKind.GEO_UNIT)
    assert set(aligned) == set(areas)

    applied = apply_rules(db, run.plan.id)
    # every account of an area is placed where the design put its area; the two others are gaps
    assert (applied.run.records, applied.run.gaps, applied.run.conflicts) == (19, 2, 0)
    with UnitOfWork(db) as uow:
        placed = {a.record_id: a.territory_id for a in uow.assignments.current(run.plan.id)}
    assert {f"A{i}": placed[f"A{i}"] for i in range(len(areas))} == {
        f"A{i}": aligned[code] for i, code in enumerate(areas)
    }
    assert placed["LOST"] is None and placed["NONE"] is None


def test_a_plan_whose_rules_place_none_of_its_accounts_abroad_is_not_activated(
    db: Database, tmp_path: Path
) -> None:
    areas = _areas_and_accounts(db, tmp_path)
    run = design_plan(db, units="custom", n_territories=2, seed=1, time_limit=5)
    # rules on county codes, as the generated rules of custom areas were: none matches
    first = run.plan.leaves()[0].id
    rules = tmp_path / "county-rules.yaml"
    rules.write_text(
        "rules:\n"
        f"  - {{id: r1, territory: {first}, when: {{field: county_fips, op: in, "
        f"value: ['{areas[0]}']}}}}\n",
        encoding="utf-8",
    )
    save_rules(db, run.plan.id, read_rule_file(rules, run.plan))
    for step in ("in_review", "approved"):
        change_status(db, run.plan.id, step)
    with pytest.raises(ConflictError, match="puts none of the 19 accounts in a territory"):
        activate_plan(db, run.plan.id)
    with UnitOfWork(db) as uow:
        assert uow.plans.get(run.plan.id).status.value == "approved"
