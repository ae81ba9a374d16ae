"""Notes an import adds about what it changed elsewhere: a rep marked inactive who owns a
territory of the active plan; accounts new or opened again that wait for that plan's rules."""

from __future__ import annotations

import polars as pl

from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def inactive_owner_notes(db: Database) -> list[str]:
    """One note per rep marked inactive who is a primary owner in an active plan: their
    accounts and leads go to someone who left until another owner is named."""
    from terraplan.domain import PlanStatus

    with UnitOfWork(db) as uow:
        inactive = {r.id: r.name for r in uow.reps.list(where={"active": False})}
        if not inactive:
            return []
        notes = []
        for row in uow.plans.list(status=PlanStatus.ACTIVE):
            plan = uow.plans.get(row.id)
            for territory in plan.leaves():
                for rep_id in territory.primary_owner_ids:
                    if rep_id in inactive:
                        notes.append(
                            f"{inactive[rep_id]} is inactive and owns {territory.name} in the "
                            f"active plan {plan.id} ({plan.name}): its accounts and leads go to "
                            f"them until a copy with another owner is activated (`terraplan "
                            f"plans copy {plan.id}`, then `plans owners` or `match --apply`)"
                        )
    return notes


def placement_notes(db: Database, new_ids: set[str], reopened_ids: set[str]) -> list[str]:
    """A note per active plan whose part of the market holds accounts this import added or
    opened again: they have no territory of that plan (a reopened one keeps its old territory
    and owner, who may have left) until the plan's rules run on them."""
    from terraplan.domain import PlanStatus
    from terraplan.services.plan_scopes import narrow_to_scope

    with UnitOfWork(db) as uow:
        active = [(row.id, row.scope) for row in uow.plans.list(status=PlanStatus.ACTIVE)]
        scoped = any(scope for _, scope in active)
        accounts = (
            pl.DataFrame(
                [
                    {"id": a.id, "owner_id": a.owner_id, "segment": a.segment, "state": a.state}
                    for a in uow.accounts.list()
                    if a.id in new_ids or a.id in reopened_ids
                ],
                schema={n: pl.String for n in ("id", "owner_id", "segment", "state")},
            )
            if scoped
            else None
        )
    notes = []
    for plan_id, scope in active:
        if scope and accounts is not None:
            inside = set(narrow_to_scope(db, accounts, scope)[0]["id"].to_list())
            new, reopened = len(new_ids & inside), len(reopened_ids & inside)
        else:
            new, reopened = len(new_ids), len(reopened_ids)
        what = " and ".join(
            part
            for part in (
                f"{new:,} new account{'' if new == 1 else 's'}" if new else "",
                f"{reopened:,} reopened" if reopened else "",
            )
            if part
        )
        if what:
            notes.append(
                f"{what}: not placed by the active plan {plan_id} until its rules run "
                f"(`terraplan rules apply --plan {plan_id}`, which gives them their territory "
                "and owner; a reopened account keeps its old ones until then)"
            )
    return notes
