"""A plan's hierarchy (each territory's parent: its region), written one way whatever sets it:
a saved rule set's ``parent:`` (:func:`terraplan.services.rule_editing.store_rule_set`) or
the regions of the territories' reps (:func:`set_regions_from_reps`). The plan and its audit
entries are written in the caller's transaction; the version goes up by one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from terraplan.domain import Plan, Territory
from terraplan.errors import DataError
from terraplan.planning.regions import RegionHierarchy, Unplaced, regions_from_reps
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

#: Why regions from reps were set, as the audit log keeps it.
FROM_REPS = "the regions of the territories' primary reps"


def store_hierarchy(
    uow: UnitOfWork,
    plan: Plan,
    territories: Sequence[Territory],
    *,
    added: Sequence[str] = (),
    parents: Mapping[str, str | None],
    removed: Sequence[Territory] = (),
    levels: Mapping[str, str] | None = None,
    by: str | None,
    reason: str,
) -> Plan:
    """Save ``plan`` with ``territories`` (its whole new list) and audit-log what changed:
    the territories ``added`` (``add_territories``), the new ``parents`` (``set_parents``,
    None: no parent; ``levels``: territories whose level changed) and the territories
    ``removed`` (``remove_territories``), each with ``reason``. ``plan.version`` must be the stored one (else a ConflictError)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    saved = uow.plans.save(
        replace(plan, territories=tuple(territories), updated_by=by, updated_at=now)
    )
    if added:
        uow.audit.record(
            "add_territories", "plan", plan.id, actor=by, plan_id=plan.id,
            after={"territories": list(added), "reason": reason},
        )  # fmt: skip
    if parents or levels:
        uow.audit.record(
            "set_parents", "plan", plan.id, actor=by, plan_id=plan.id,
            after={"parents": dict(parents), "reason": reason}
            | ({"levels": dict(levels)} if levels else {}),
        )  # fmt: skip
    if removed:
        uow.audit.record(
            "remove_territories", "plan", plan.id, actor=by, plan_id=plan.id,
            before={"territories": {t.id: t.name for t in removed}},
            after={"territories": [], "reason": reason},
        )  # fmt: skip
        # The edits before may name the removed territories (a rename, a move into one):
        # undoing them would fail half-way, so the history of edits ends here.
        from terraplan.services.plan_edits import end_edit_history

        end_edit_history(uow, plan.id)
    return saved


@dataclass(frozen=True, slots=True)
class RegionsResult:
    """A plan after its regions were set from its reps (``changed`` False: they already
    were, and nothing was written)."""

    plan: Plan
    hierarchy: RegionHierarchy
    changed: bool
    notes: tuple[str, ...] = field(default=())

    def regions(self) -> list[dict[str, Any]]:
        """Each region territory: id, name, whether it is new, its territories (ids, names)."""
        by_id = {t.id: t for t in self.plan.territories}
        new = {t.id for t in self.hierarchy.added}
        rows = [
            {
                "id": rid,
                "name": by_id[rid].name,
                "added": rid in new,
                "territories": list(ids),
                "territory_names": [by_id[t].name for t in ids],
            }
            for rid, ids in self.hierarchy.regions.items()
        ]
        return sorted(rows, key=lambda r: r["name"].casefold())

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan.id,
            "version": self.plan.version,
            "changed": self.changed,
            "regions": self.regions(),
            "unplaced": [
                {"territory": u.territory_id, "name": u.name, "reason": u.reason}
                for u in self.hierarchy.unplaced
            ],
            "removed": [{"id": t.id, "name": t.name} for t in self.hierarchy.removed],
            "notes": list(self.notes),
        }


def _notes(plan: Plan, hierarchy: RegionHierarchy) -> tuple[str, ...]:
    notes = [_unplaced_note(plan, u) for u in hierarchy.unplaced]
    notes += [
        f"{t.name} is removed from plan {plan.id}: no territory is under it any more"
        for t in hierarchy.removed
    ]
    return tuple(notes)


def _unplaced_note(plan: Plan, unplaced: Unplaced) -> str:
    return (
        f"{unplaced.reason}, so it is in no region (KPIs by region show it on its own row); "
        f"give it a rep with a region (`terraplan plans owners {plan.id} "
        f"{unplaced.territory_id} REP`) and set the regions again"
    )


def set_regions_from_reps(
    db: Database, plan_id: str, *, version: int | None = None, by: str | None = None
) -> RegionsResult:
    """Make each territory of a draft plan a child of its primary reps' region
    (:func:`terraplan.planning.regions.regions_from_reps`), in one transaction with its
    audit entries. ``version``: the plan version the user saw (stale: ConflictError).
    A plan that is not a draft is refused as plan edits are; a plan none of whose
    territories has a rep with a region is a DataError (nothing is written); a plan whose
    regions already follow its reps is left as it is (``changed`` False)."""
    from terraplan.services.plan_edits import editable_draft

    with UnitOfWork(db) as uow:
        plan = editable_draft(uow, uow.plans.get(plan_id), version)
        hierarchy = regions_from_reps(plan, uow.reps.list())
        if not hierarchy.regions:
            why = "; ".join(u.reason for u in hierarchy.unplaced[:3])
            more = len(hierarchy.unplaced) - 3
            raise DataError(
                f"no territory of plan {plan.id} ({plan.name}) has a primary rep with a region"
                + (f" ({why}{f'; {more} more' if more > 0 else ''})" if why else "")
                + ": give the reps their regions (`region` in the reps import, e.g. the CRM's "
                "Department or Division) and the territories their reps "
                f"(`terraplan plans owners {plan.id} TERRITORY REP`)",
                details={"plan_id": plan.id, "field": "region", "reason": "no regions"},
            )
        if not hierarchy.changed:
            return RegionsResult(plan, hierarchy, False, _notes(plan, hierarchy))
        from terraplan.services.plan_edits import edit_history

        history_ends = hierarchy.removed and any(edit_history(uow, plan.id))
        saved = store_hierarchy(
            uow,
            plan,
            hierarchy.territories,
            added=[t.id for t in hierarchy.added],
            parents=hierarchy.parents,
            removed=hierarchy.removed,
            levels={tid: "region" for tid in hierarchy.relevelled},
            by=by,
            reason=FROM_REPS,
        )
        uow.commit()
    notes = _notes(saved, hierarchy)
    if history_ends:
        notes += (
            f"the edits made before can no longer be undone: they may name "
            f"{_names(hierarchy.removed)}, which {'is' if len(hierarchy.removed) == 1 else 'are'}"
            " removed",
        )
    return RegionsResult(saved, hierarchy, True, notes)


def _names(territories: Sequence[Territory]) -> str:
    from terraplan.services.place_names import listed

    return listed(t.name for t in territories)
