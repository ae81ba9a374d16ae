"""What the HTML report needs beyond figures: territory and rep names, and each territory's
dissolved outline for the report's map (from its geo units' polygons: the stored ones, else
the bundled US counties or, for a ZIP plan, the bundled ZIP cells)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from terraplan.domain import Plan, RecordKind
from terraplan.storage.unit_of_work import UnitOfWork

#: Outline coordinates are snapped to 10**-PRECISION degrees (about 100 m): plenty for a
#: page-wide map, and the dissolve is quicker on the coarser grid.
PRECISION = 3


def report_names(uow: UnitOfWork, plan: Plan) -> tuple[dict[str, str], dict[str, str]]:
    """(territory id -> name, territory id -> its owners' names joined by commas)."""
    rep_ids = {o.rep_id for t in plan.territories for o in t.owners}
    rep_names = {r.id: r.name for r in uow.reps.list(any_of={"id": rep_ids})} if rep_ids else {}
    names = {t.id: t.name for t in plan.territories}
    reps = {
        t.id: ", ".join(rep_names.get(o.rep_id, o.rep_id) for o in t.owners)
        for t in plan.territories
        if t.owners
    }
    return names, reps


def territory_shapes(uow: UnitOfWork, plan: Plan) -> list[tuple[str, list[Any]]]:
    """``(territory id, MultiPolygon coordinates)`` for each leaf territory, in the plan's
    order ([] for a territory without geo units); empty when the plan aligns no geo unit."""
    from terraplan.geometry import dissolve_groups
    from terraplan.services.plan_units import drawn_units

    alignment = plan.alignment_map(RecordKind.GEO_UNIT)
    if not alignment:
        return []
    units = drawn_units(uow, plan)
    members: dict[str, list[Any]] = defaultdict(list)
    for unit_id, territory_id in alignment.items():
        unit = units.get(unit_id)
        if unit is not None and unit.polygon is not None:
            members[territory_id].append(unit.polygon)
    leaves = [t.id for t in plan.leaves()]
    shapes = dissolve_groups([members.get(t, []) for t in leaves], precision=PRECISION)
    return list(zip(leaves, shapes, strict=True))
