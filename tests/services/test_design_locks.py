"""Locked units in a design: asked with --lock, or kept from the realigned plan's own locks."""

from __future__ import annotations

import pytest

from terraplan.domain import RecordKind
from terraplan.errors import InvalidParameterError
from terraplan.services.demo import load_demo
from terraplan.services.design import design_plan, parse_locks
from terraplan.services.new_plans import copy_plan
from terraplan.services.plan_edits import edit_plan
from terraplan.storage.database import Database


def test_parse_locks() -> None:
    assert parse_locks(["06037:T03", " 06059 : T01 "]) == {"06037": "T03", "06059": "T01"}
    for bad in (["06037"], ["06037:"], [":T1"], ["1:T1", "1:T2"]):
        with pytest.raises(InvalidParameterError, match="--lock"):
            parse_locks(bad)


def test_a_realignment_keeps_locked_units_where_they_are(db: Database) -> None:
    load_demo(db, n_accounts=400, seed=8)
    first = design_plan(
        db, units="counties", states={"CA"}, n_territories=4, balance={"count": 0.3}, seed=1
    )
    copy = copy_plan(db, first.plan.id)
    aligned = copy.alignment_map(RecordKind.GEO_UNIT)
    edit_plan(db, copy.id, {"op": "lock", "units": ["06037"]})
    other = next(t.id for t in copy.leaves() if t.id != aligned["06059"])
    realigned = design_plan(
        db,
        units="counties",
        states={"CA"},
        n_territories=4,
        balance={"count": 0.3},
        from_plan=copy.id,
        locks={"06059": other},
        seed=2,
    )
    result = realigned.plan.alignment_map(RecordKind.GEO_UNIT)
    assert result["06037"] == aligned["06037"]
    assert result["06059"] == other
