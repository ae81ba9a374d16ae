"""Targets and costs from a sheet without an id column get ids made from their rows: stable
across re-imports, distinct for two rows of the same territory and period."""

from __future__ import annotations

from typing import Any

from terraplan.io import iter_records, load_file

SPEND = (
    "Territory,Start,End,Amount\n"
    'west,2025-01-01,2025-12-31,"$1,200"\n'
    "east,1/1/2025,6/30/2025,181\n"
    "east,1/1/2025,6/30/2025,40\n"  # a second campaign in the same territory and half
)


def _load(make_file: Any, text: str) -> Any:
    known = {"territories": ["west", "east"], "plans": ["P1"]}
    return load_file(make_file(text), "acquisition_costs", known_ids=known, geocode=False)


def test_costs_without_ids_get_ids_from_their_rows(make_file: Any) -> None:
    result = _load(make_file, SPEND)
    assert result.report.ok, result.report.issues
    records = list(iter_records(result.frame))
    ids = [r["id"] for r in records]
    assert len(set(ids)) == 3
    east = sorted(r["id"] for r in records if r["territory_id"] == "east")
    assert east[0].endswith("#1") and east[1].endswith("#2") and east[0][:-2] == east[1][:-2]
    notes = [w for w in result.report.warnings if "no id column" in w]
    assert len(notes) == 1 and "re-importing the same file updates" in notes[0]
    again = [r["id"] for r in iter_records(_load(make_file, SPEND).frame)]
    assert again == ids  # the same file gives the same ids


def test_an_id_column_is_used_as_written(make_file: Any) -> None:
    text = "Id,Territory,Start,End,Amount\nC1,west,2025-01-01,2025-12-31,5\n"
    result = _load(make_file, text)
    assert [r["id"] for r in iter_records(result.frame)] == ["C1"]
    assert not [w for w in result.report.warnings if "no id column" in w]
