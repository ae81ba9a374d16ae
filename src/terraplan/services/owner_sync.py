"""Account owners in step with the plan: each assigned account owned by its territory's primary rep.

Rules are applied before reps are matched, so the owners the rule run stored go stale as soon
as `match --apply` names new primary reps. :func:`sync_account_owners` fixes that for the
plan's latest assignment run, in one transaction; `rules apply` and `match --apply` call it.
:func:`assignment_rows` is what `terraplan export assignments` writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from terraplan.domain import Plan, PlanStatus
from terraplan.errors import InvalidParameterError, NotFoundError
from terraplan.rules.owners import plan_owners
from terraplan.storage.database import Database
from terraplan.storage.plan_records import AssignmentRecord, OwnerChange
from terraplan.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class OwnerSync:
    """What a sync did: ``changed`` accounts got a new owner (each logged); ``vacant``
    accounts sit in territories with no primary rep and keep their owner."""

    plan_id: str
    run_id: int | None
    accounts: int
    changed: int
    vacant: int
    vacant_territories: tuple[str, ...]


def pick_owners(
    plan: Plan, assignments: list[AssignmentRecord], current: dict[str, str | None]
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """``(record id -> primary rep, vacant territory -> its record ids)`` for the assigned
    records, shared among several primary reps by weight (see :func:`plan_owners`)."""
    return plan_owners(plan, ((a.record_id, a.territory_id) for a in assignments), current)


def sync_in(uow: UnitOfWork, plan: Plan, *, already_logged: set[str] | None = None) -> OwnerSync:
    """:func:`sync_account_owners` inside the caller's unit of work (the caller commits)."""
    run = uow.assignments.latest_run(plan.id)
    if run is None:
        return OwnerSync(plan.id, None, 0, 0, 0, ())
    assignments = [
        a for a in uow.assignments.current(plan.id) if a.record_kind == "account" and a.territory_id
    ]
    accounts = uow.assignments.accounts_named()
    current = {account_id: owner for account_id, (_, owner) in accounts.items()}
    chosen, vacant = pick_owners(plan, assignments, current)
    logged, quiet = [], []
    for a in assignments:
        new = chosen.get(a.record_id)
        if new is None or a.record_id not in accounts:
            continue
        old = current.get(a.record_id)
        change = OwnerChange("account", a.record_id, a.territory_id, old, new)
        if old != new and a.record_id not in (already_logged or set()):
            logged.append(change)
        elif old != new or a.owner_id != new:
            quiet.append(change)  # logged by the rule run already, or only the stored row lags
    uow.assignments.set_owners(plan.id, run.run_id, logged)
    uow.assignments.set_owners(plan.id, run.run_id, quiet, log=False)
    return OwnerSync(
        plan.id,
        run.run_id,
        len(assignments),
        len(logged),
        sum(len(v) for v in vacant.values()),
        tuple(vacant),
    )


def sync_account_owners(db: Database, plan_id: str) -> OwnerSync:
    """Make each account assigned by the plan's latest rule run owned by its territory's
    primary rep (several primaries share by weight; deterministic; current owners kept where
    fair), update the stored assignments, log each change (old owner, new owner) — one
    transaction. A plan whose rules were never applied has nothing to sync."""
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        outcome = sync_in(uow, plan)
        uow.commit()
    return outcome


def _plan_id(uow: UnitOfWork, plan_id: str | None) -> str:
    if plan_id is not None:
        return plan_id
    active = uow.plans.list(status=PlanStatus.ACTIVE)
    if not active:
        raise InvalidParameterError(
            "no active plan; name one with --plan", details={"parameter": "plan"}
        )
    return str(active[0].id)


ASSIGNMENT_COLUMNS = (
    "account_id",
    "account_name",
    "territory_id",
    "territory_name",
    "old_owner_id",
    "old_owner_name",
    "new_owner_id",
    "new_owner_name",
    "rule_id",
)


def assignment_rows(db: Database, plan_id: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    """``(plan id, rows)``: every account of the plan's latest rule run with its territory,
    the owner the CRM gave it (before the first owner change logged for it) and the owner now
    (names beside ids), and the deciding rule."""
    with UnitOfWork(db) as uow:
        plan_id = _plan_id(uow, plan_id)
        plan = uow.plans.get(plan_id)
        run = uow.assignments.latest_run(plan_id)
        if run is None:
            raise NotFoundError(
                f"plan {plan_id!r} has no assignments yet (run `terraplan rules apply --plan "
                f"{plan_id}`)",
                details={"kind": "assignments", "plan_id": plan_id},
            )
        assignments = [a for a in uow.assignments.current(plan_id) if a.record_kind == "account"]
        # The old owner is the one the CRM gave the account in the latest import, not the
        # owner before the latest run: an activation re-runs rules that changed owners
        # already, and its own run changes none.
        before = uow.assignments.crm_owners()
        accounts = uow.assignments.accounts_named()
        reps = {r.id: r.name for r in uow.reps.list()}
    names = {t.id: t.name for t in plan.territories}
    rows = []
    for a in assignments:
        if a.record_id not in accounts:
            continue  # closed since the run: it needs no owner
        name, owner = accounts.get(a.record_id, ("", None))
        new = a.owner_id or owner
        old = before.get(a.record_id, new)
        rows.append(
            {
                "account_id": a.record_id,
                "account_name": name,
                "territory_id": a.territory_id,
                "territory_name": names.get(a.territory_id or ""),
                "old_owner_id": old,
                "old_owner_name": reps.get(old or ""),
                "new_owner_id": new,
                "new_owner_name": reps.get(new or ""),
                "rule_id": a.rule_id,
            }
        )
    return plan_id, rows


def owner_update_rows(db: Database, plan_id: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    """:func:`assignment_rows` of the accounts whose owner the CRM does not have yet: the
    owner now differs from the one the CRM gave in the latest import, or changed since that
    import (a file loaded, then the change undone: the CRM may hold the undone owner). Once
    the file is loaded and the CRM's accounts imported again, only what changed since."""
    plan_id, rows = assignment_rows(db, plan_id)
    with UnitOfWork(db) as uow:
        touched = uow.assignments.changed_since_crm()
    return plan_id, [
        r
        for r in rows
        if r["new_owner_id"]
        and (r["new_owner_id"] != r["old_owner_id"] or r["account_id"] in touched)
    ]


def export_assignments(
    db: Database,
    path: Any,
    *,
    plan_id: str | None = None,
    salesforce: bool = False,
    overwrite: bool = False,
) -> tuple[str, int]:
    """Write the plan's account assignments to ``path`` (CSV/XLSX/Parquet by suffix).

    With ``salesforce``: the accounts whose owner differs from the one the CRM gave them in
    the latest import, as ``Id,OwnerId`` — the shape Salesforce Data Loader updates Account
    owners from.
    Returns ``(plan id, rows written)``.
    """
    import polars as pl

    from terraplan.io.writers import write_table

    if salesforce:
        plan_id, changed = owner_update_rows(db, plan_id)
        frame = pl.DataFrame(
            {
                "Id": [r["account_id"] for r in changed],
                "OwnerId": [r["new_owner_id"] for r in changed],
            },
            schema={"Id": pl.String, "OwnerId": pl.String},
        )
    else:
        plan_id, rows = assignment_rows(db, plan_id)
        frame = pl.DataFrame(
            {c: [r[c] for r in rows] for c in ASSIGNMENT_COLUMNS},
            schema=dict.fromkeys(ASSIGNMENT_COLUMNS, pl.String),
        )
    write_table(frame, path, sheet_name="assignments", overwrite=overwrite)
    return plan_id, frame.height


def inactive_owner_note(db: Database, plan_id: str, path: Any) -> str | None:
    """A note when the owner update file at ``path`` (``Id,OwnerId``) gives accounts to reps
    the rep data marks inactive: Salesforce refuses an inactive user as owner, so those rows
    would fail to load."""
    import polars as pl

    from terraplan.io.readers import read_table

    with UnitOfWork(db) as uow:
        inactive = {r.id: r.name for r in uow.reps.list(where={"active": False})}
    if not inactive:
        return None
    frame = read_table(path, "accounts", mapping={"Id": "id", "OwnerId": "owner_id"}).frame
    owners = frame.get_column("OwnerId") if "OwnerId" in frame.columns else pl.Series([])
    counts: dict[str, int] = {}
    for owner in owners.to_list():
        if owner in inactive:
            counts[owner] = counts.get(owner, 0) + 1
    if not counts:
        return None
    names = ", ".join(inactive[r] for r in sorted(counts, key=lambda r: -counts[r]))
    total = sum(counts.values())
    return (
        f"{total:,} account(s) of the file go to inactive reps ({names}): Salesforce refuses an "
        f"inactive owner, so those rows will fail to load; name active owners in plan "
        f"{plan_id} first"
    )


def crm_behind_notes(db: Database, in_file: set[str]) -> list[str]:
    """One note per active plan whose owners the accounts just imported (ids ``in_file``)
    do not carry: the CRM export still gives those accounts other owners than the plan (a
    daily sync run before the plan's owners were loaded into the CRM). The stored CRM owners
    now follow the file; the plan's owners, its KPIs and the owner update file stay as they
    were, and the note says where to get that file."""
    with UnitOfWork(db) as uow:
        active = [row.id for row in uow.plans.list(status=PlanStatus.ACTIVE)]
        inactive = {r.id for r in uow.reps.list(where={"active": False})}
    notes = []
    for plan_id in active:
        try:
            _, rows = owner_update_rows(db, plan_id)
        except NotFoundError:  # an active plan whose rules never ran has no owners to send
            continue
        behind = [r for r in rows if r["account_id"] in in_file and r["old_owner_id"]]
        # the plan gives them to reps who left: the CRM moved on (the departed rep's accounts
        # reassigned), and sending the plan's owners would hand them back to the departed
        left = [r for r in behind if r["new_owner_id"] in inactive]
        if left:
            notes.append(_reassigned_note(plan_id, left))
        behind = [r for r in behind if r["new_owner_id"] not in inactive]
        if not behind:
            continue
        first = behind[0]
        count = len(behind)
        notes.append(
            f"{count:,} account{'' if count == 1 else 's'} of the active plan {plan_id} "
            f"{'has' if count == 1 else 'have'} another owner in this file than in the plan "
            f"(e.g. {first['account_name'] or first['account_id']}: "
            f"{first['old_owner_name'] or first['old_owner_id']} in the file, "
            f"{first['new_owner_name'] or first['new_owner_id']} in the plan): the CRM does "
            f"not have the plan's owners yet; `terraplan export assignments owners.csv --plan "
            f"{plan_id} --salesforce` writes them for the CRM (the plan and its KPIs are unchanged)"
        )
    return notes


def _reassigned_note(plan_id: str, rows: list[dict[str, Any]]) -> str:
    """The accounts of an imported file that the CRM gives another owner while the active
    plan still gives them to an inactive rep (rows of :func:`assignment_rows`)."""
    departed: dict[str, int] = {}
    for r in rows:
        name = r["new_owner_name"] or r["new_owner_id"]
        departed[name] = departed.get(name, 0) + 1
    names = ", ".join(sorted(departed, key=lambda n: (-departed[n], n)))
    first = rows[0]
    count = len(rows)
    return (
        f"{count:,} account{'' if count == 1 else 's'} of the active plan {plan_id} "
        f"{'has' if count == 1 else 'have'} another owner in this file than the inactive "
        f"rep{'' if len(departed) == 1 else 's'} the plan gives {'it' if count == 1 else 'them'} "
        f"to ({names}; e.g. {first['account_name'] or first['account_id']}: "
        f"{first['old_owner_name'] or first['old_owner_id']} in the file): the CRM reassigned "
        f"them; the plan's owner update file would send them back (Salesforce refuses those "
        f"rows), and a rule run of {plan_id} gives them back, until a plan with active owners "
        f"is activated "
        f"(`terraplan plans copy {plan_id}`, then `match --apply` or `plans owners`)"
    )
