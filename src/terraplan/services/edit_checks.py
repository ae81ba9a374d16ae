"""What a plan edit names must exist: its reps, geo units and accounts, checked against the
stored data before the edit is applied.

A plan that names a rep who is not in the data, or who has left, routes leads and hands
accounts to nobody who can work them; a bogus unit stored as locked or moved shows up later
as a territory figure nobody can explain. So an edit is refused when it names one, with
the ids (a few of them, and how many) or the rep's name. A rep marked inactive after a plan
named them is said as a note when the plan is activated (:func:`inactive_owner_notes`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select

from terraplan.domain import AlignmentEntry, RecordKind
from terraplan.errors import ConflictError, NotFoundError
from terraplan.planning.alignment import geo_code_space
from terraplan.planning.plan_edits import EditablePlan, locked_units
from terraplan.storage import bulk
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

#: How many unknown ids a message lists before it counts the rest.
SHOWN = 5
_CHUNK = 500


def listed(ids: Sequence[str], shown: int = SHOWN) -> str:
    """``"99999, 88888 and 3 more"``: the first few ids, then how many others."""
    head = ", ".join(ids[:shown])
    rest = len(ids) - shown
    return f"{head} and {rest:,} more" if rest > 0 else head


def check_edit_references(uow: UnitOfWork, state: EditablePlan, edit: Mapping[str, Any]) -> None:
    """Refuse ``edit`` (already parsed: :func:`~terraplan.planning.plan_edits.parse_edit`) when
    it names a rep, geo unit or account that the data does not hold (NotFoundError) or a rep
    who is inactive (ConflictError). Undo and redo replay stored edits and are not checked
    (a rep they bring back who has since left is said as a note)."""
    op = edit["op"]
    if op == "batch":
        for step in edit["edits"]:
            check_edit_references(uow, state, step)
    elif op == "set_owners":
        check_reps(uow, edit["reps"])
    elif op == "move_accounts":
        # An account pinned in the plan may be unpinned even if it left the data since.
        unknown = [a for a in _strings(edit["accounts"]) if a not in state.accounts]
        found = _stored(uow, "accounts", unknown)
        unknown = [a for a in unknown if a not in found]
        if unknown:
            raise NotFoundError(
                f"{_count(unknown, 'account')} not in the data: {listed(unknown)}",
                details={"kind": "accounts", "ids": unknown[:SHOWN], "count": len(unknown)},
            )
        if edit.get("to") is not None:  # pinning; unpinning a closed account is allowed
            closed = uow.accounts.list(
                any_of={"id": list(_strings(edit["accounts"]))}, not_null=("closed_on",)
            )
            if closed:
                named = [f"{a.name or a.id} (closed {a.closed_on})" for a in closed]
                raise ConflictError(
                    f"{_count(named, 'account')} closed: {listed(named)}; a closed account is "
                    "in no territory (an export that holds it again reopens it)",
                    details={"kind": "accounts", "ids": [a.id for a in closed][:SHOWN],
                             "reason": "closed"},
                )  # fmt: skip
    elif op in ("move_units", "lock", "unlock"):
        # Units the plan aligns (or, to unlock, has locked) are known whatever the data says.
        known = set(state.geo) | (locked_units(state.plan) if op == "unlock" else set())
        unknown = [u for u in _strings(edit["units"]) if u not in known]
        found = _stored(uow, "geo_units", unknown)
        unknown = [u for u in unknown if u not in found]
        bundled = _bundled_units(state, unknown)
        unknown = [u for u in unknown if u not in bundled]
        if unknown:
            raise NotFoundError(
                f"{_count(unknown, 'geo unit')} not in the stored or bundled geography: "
                f"{listed(unknown)}",
                details={"kind": "geo_units", "ids": unknown[:SHOWN], "count": len(unknown)},
            )


def check_reps(uow: UnitOfWork, rep_ids: Iterable[str]) -> None:
    """Refuse owners who are not in the rep data (NotFoundError) or are inactive
    (ConflictError: they left, or the CRM marks them inactive): routing would send leads
    to them and accounts would follow them."""
    wanted = list(dict.fromkeys(_strings(list(rep_ids))))
    if not wanted:
        return
    reps = {r.id: r for r in uow.reps.list(any_of={"id": wanted})}
    unknown = [r for r in wanted if r not in reps]
    if unknown:
        raise NotFoundError(
            f"{_count(unknown, 'rep')} not in the rep data: {listed(unknown)} "
            "(`terraplan export reps FILE` or `GET /reps` lists them)",
            details={"kind": "reps", "ids": unknown[:SHOWN], "count": len(unknown)},
        )
    inactive = [reps[r] for r in wanted if not reps[r].active]
    if inactive:
        rep = inactive[0]
        raise ConflictError(
            f"{rep.name} is inactive (marked inactive in the rep data): pick an active rep",
            details={"kind": "reps", "id": rep.id, "inactive": [r.id for r in inactive]},
        )


def _stored(uow: UnitOfWork, kind: str, ids: Iterable[str]) -> set[str]:
    """Those of ``ids`` that are rows of ``kind`` (by id, in chunks; no objects built)."""
    table = bulk.record_table(kind)
    wanted = sorted(set(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        query = select(table.c.id).where(table.c.id.in_(chunk))
        found.update(uow.connection.execute(query).scalars())
    return found


def _strings(values: Any) -> list[str]:
    return [v for v in values if isinstance(v, str)] if isinstance(values, list | tuple) else []


def _count(ids: Sequence[str], noun: str) -> str:
    return f"{noun} is" if len(ids) == 1 else f"{len(ids):,} {noun}s are"


def _bundled_units(state: EditablePlan, candidates: Sequence[str]) -> set[str]:
    """Those of ``candidates`` in the bundled geography of the plan's recorded units
    (counties or ZIPs, as designs read them); both when the plan records none."""
    if not candidates:
        return set()
    space = None
    if state.plan.parameters.get("units") is not None and state.plan.leaves():
        # The code-space question needs one aligned unit to ask it of.
        leaf = state.plan.leaves()[0].id
        entry = AlignmentEntry(RecordKind.GEO_UNIT, candidates[0], leaf)
        space = geo_code_space(state.plan.with_alignment([entry]))
    found: set[str] = set()
    if space in (None, "county"):
        from terraplan.data.counties import load_counties

        counties = {u.id for u in load_counties()}
        found.update(c for c in candidates if c in counties)
    if space in (None, "zip"):
        from terraplan.io.geocoding import ZipDirectory

        directory = ZipDirectory()
        found.update(c for c in candidates if len(c) == 5 and c.isdigit() and c in directory)
    return found


def inactive_owner_notes(
    db: Database, plan_id: str, *, territories: set[str] | None = None
) -> list[str]:
    """One note per leaf territory of the plan (of ``territories`` only, when given) whose
    primary owner the rep data marks inactive (a rep import after the plan was made): its
    accounts and leads go to someone who left. What `plans activate` and
    ``POST /plans/{id}/activate`` say after activating, and undo/redo after replaying."""
    with UnitOfWork(db) as uow:
        plan = uow.plans.header(plan_id)
        leaves = [t for t in plan.leaves() if territories is None or t.id in territories]
        owner_ids = {r for t in leaves for r in t.primary_owner_ids}
        reps = {r.id: r for r in uow.reps.list(any_of={"id": owner_ids})} if owner_ids else {}
    return [
        f"{reps[rep_id].name}, owner of {territory.name}, is inactive"
        for territory in leaves
        for rep_id in territory.primary_owner_ids
        if rep_id in reps and not reps[rep_id].active
    ]


def scheduled_activation_notes(db: Database, plan_id: str) -> list[str]:
    """A note when the plan was activated from a later day: until then the plan it archived
    stays in force for routing (its last day named), while the accounts' owner fields and the
    owner export already show the new owners (for the CRM update on the day)."""
    from datetime import date, timedelta

    from terraplan.domain import PlanStatus

    with UnitOfWork(db) as uow:
        plan = uow.plans.header(plan_id)
        start = plan.effective_from
        if plan.status is not PlanStatus.ACTIVE or start is None or start <= date.today():
            return []
        scope = (plan.scope or "").strip().lower()
        before = [
            (row.id, row.name)
            for row in uow.plans.list(status=PlanStatus.ARCHIVED)
            if row.effective_to == start - timedelta(days=1)
            and (row.scope or "").strip().lower() == scope
        ]
    last = start - timedelta(days=1)
    until = (
        f"leads are routed with plan {before[0][0]} ({before[0][1]}) until {last}"
        if before
        else "no plan was in force before it, so it routes leads already"
    )
    return [
        f"plan {plan.id} takes over on {start}: {until}; the accounts' owner fields and "
        "`terraplan export assignments` already show its owners, for the CRM update on that day"
    ]


def unhired_owner_notes(db: Database, plan_id: str) -> list[str]:
    """One note per leaf territory of the active plan whose primary owner is hired after the
    plan takes effect (a rep starting in February who owns a territory from 1 January): until
    the hire its accounts' sales are credited to no rep, and its leads go to someone not there
    yet. What `plans activate` and ``POST /plans/{id}/activate`` say after activating."""
    with UnitOfWork(db) as uow:
        plan = uow.plans.header(plan_id)
        start = plan.effective_from
        leaves = list(plan.leaves())
        owner_ids = {r for t in leaves for r in t.primary_owner_ids}
        reps = {r.id: r for r in uow.reps.list(any_of={"id": owner_ids})} if owner_ids else {}
    if start is None:
        return []
    notes = []
    for territory in leaves:
        for rep_id in territory.primary_owner_ids:
            rep = reps.get(rep_id)
            if rep is None or rep.hire_date is None or rep.hire_date <= start:
                continue
            notes.append(
                f"{rep.name}, owner of {territory.name}, is hired on {rep.hire_date}, after "
                f"plan {plan.id} takes effect on {start}: until then its accounts' sales are "
                "credited to no rep and its leads go to a rep not there yet"
            )
    return notes
