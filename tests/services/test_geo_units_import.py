"""Any geography: polygons imported as custom geo units (German-style postal areas in
EPSG:3035), then designed, exported, ruled with in_geography and aligned like US counties."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from shapely.geometry import shape
from tests.io.geo_grids import grid_features, write_geojson, write_zipped_shapefile

from terraplan.domain import Account, RecordKind
from terraplan.errors import DataError
from terraplan.services.alignment import plan_alignment
from terraplan.services.design import design_plan, write_design_files
from terraplan.services.imports import import_file
from terraplan.services.ownership import apply_rules, read_rule_file, save_rules
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

MAPPING = {"PLZ": "id", "NAME": "name", "EINWOHNER": "attributes.population"}


def test_custom_polygons_design_export_rules_and_alignment(db: Database, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no custom geo units are stored"):
        design_plan(db, units="custom", n_territories=2)
    path = write_geojson(tmp_path / "bezirke.geojson", grid_features())
    outcome = import_file(db, path, "geo_units", mapping=MAPPING)
    assert outcome.written == 16
    with UnitOfWork(db) as uow:
        stored = {u.id: u for u in uow.geo_units.list()}
    assert sorted(stored["10000"].neighbours) == ["10100", "11000", "11100"]
    assert stored["13300"].attributes == {"population": 4300.0}
    total_population = sum(u.attributes["population"] for u in stored.values())
    assert total_population == 4 * (1000 + 2000 + 3000 + 4000) + 4 * (0 + 100 + 200 + 300)

    run = design_plan(
        db,
        units="custom",
        n_territories=4,
        balance={"population": 0.15},
        contiguous=True,
        method="heuristic",
        seed=3,
        time_limit=3,
    )
    report = run.outcome.report
    assert report.contiguity.all_contiguous
    assert max(abs(d) for d in report.balance.deviation[:, 0]) <= 0.15 + 1e-9
    assert sum(report.balance.totals[:, 0]) == total_population
    aligned = run.plan.alignment_map(RecordKind.GEO_UNIT)
    assert set(aligned) == set(stored)

    files = write_design_files(run, tmp_path / "out")
    assert [f.suffix for f in files] == [".csv", ".geojson"]
    features = json.loads(files[1].read_text())["features"]
    shapes = [shape(f["geometry"]) for f in features]
    assert len(shapes) == 4 and all(s.is_valid for s in shapes)
    for a, b in itertools.combinations(shapes, 2):
        assert a.intersection(b).area <= 1e-9 * min(a.area, b.area)
    cells = sum(shape(u.polygon).area for u in stored.values() if u.polygon)
    assert sum(s.area for s in shapes) == pytest.approx(cells, rel=1e-6)

    # Accounts with German postal codes: the plan's geo alignment places them by postal code,
    # and in_geography rules route them the same way.
    postal = ["10000", "11100", "12300", "13200", "99999"]
    with UnitOfWork(db) as uow:
        uow.accounts.add_many(
            [
                Account(id=f"A{i}", name=f"Firma {i}", postal_code=code, country="DE")
                for i, code in enumerate(postal)
            ]
        )
        uow.commit()
    with UnitOfWork(db) as uow:
        alignment = plan_alignment(uow, run.plan, uow.accounts.list())
    assert alignment.territory_of == {f"A{i}": aligned[c] for i, c in enumerate(postal[:4])}
    assert alignment.unaligned == 1  # 99999 is no imported area
    assert "postal code" in alignment.source

    territories = [t.id for t in run.plan.territories]
    rules = "territories:\n" + "".join(
        f"  - {{id: {t}, name: {t}, type: geo}}\n" for t in territories
    ) + "rules:\n" + "".join(
        f"  - {{id: r{t}, territory: {t}, when: {{field: postal_code, op: in_geography, value: {t}}}}}\n"
        for t in territories
    )  # fmt: skip
    rule_file = tmp_path / "rules.yaml"
    rule_file.write_text(rules, encoding="utf-8")
    save_rules(db, run.plan.id, read_rule_file(rule_file, run.plan))
    applied = apply_rules(db, run.plan.id)
    assert (applied.run.records, applied.run.gaps, applied.run.conflicts) == (5, 1, 0)
    with UnitOfWork(db) as uow:
        assigned = {a.record_id: a.territory_id for a in uow.assignments.current(run.plan.id)}
    for i, code in enumerate(postal[:4]):
        assert assigned[f"A{i}"] == aligned[code]


def test_zipped_shapefile_imports_the_same_units(db: Database, tmp_path: Path) -> None:
    archive = write_zipped_shapefile(tmp_path, grid_features())
    outcome = import_file(db, archive, "geo_units", mapping=MAPPING)
    assert outcome.written == 16
    with UnitOfWork(db) as uow:
        units = {u.id: u for u in uow.geo_units.list()}
    assert len(units["11100"].neighbours) == 8
    assert 51.5 < units["11100"].latitude < 52.5
    assert units["11100"].kind.value == "custom"
