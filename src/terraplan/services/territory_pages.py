"""Territory plan pages: per territory of a plan, its target and figures, the strategy notes,
marketing plans and outreach initiatives written for it, its prioritised accounts, its reps
and their managers (names, not ids).

Who may read or write a page is the caller's check (the API asks the access policy); these
functions check what the data says: the plan and territory exist, an archived plan is read-only,
texts are within :data:`MAX_NOTE_CHARS`. Saving writes the notes and an audit entry in one
transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from terraplan.domain import Plan, PlanStatus, RepRole
from terraplan.errors import ConflictError, InvalidParameterError, NotFoundError
from terraplan.planning.kpi_registry import shown_value
from terraplan.storage.database import Database
from terraplan.storage.territory_notes import NOTE_FIELDS, TerritoryNotes
from terraplan.storage.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from terraplan.services.monitoring_data import MonitoringCache

#: Longest text of one field of a territory page (characters).
MAX_NOTE_CHARS = 20_000
#: Statuses in which a territory page can no longer be edited.
READ_ONLY_STATUSES = frozenset({PlanStatus.ARCHIVED})
#: Figures of the territory's KPI row shown at the top of its page.
PRIORITY_COLUMNS = (
    "rank",
    "account_id",
    "account",
    "score",
    "potential",
    "revenue_lookback",
    "whitespace",
    "open_pipeline",
)
PAGE_FIGURES = (
    "target",
    "revenue",
    "attainment",
    "open_pipeline",
    "pipeline_coverage",
    "potential",
)


def territory_of(plan: Plan, territory_id: str) -> Any:
    """The plan's territory ``territory_id`` or :class:`NotFoundError` (404)."""
    for territory in plan.territories:
        if territory.id == territory_id:
            return territory
    raise NotFoundError(
        f"plan {plan.id} has no territory {territory_id!r}",
        details={"kind": "territories", "id": territory_id, "plan_id": plan.id},
    )


def notes_public(notes: TerritoryNotes) -> dict[str, Any]:
    return {
        "revision": notes.revision,
        "plan_version": notes.plan_version,
        **{name: getattr(notes, name) for name in NOTE_FIELDS},
        "updated_by": notes.updated_by,
        "updated_at": notes.updated_at,
    }


def _people(uow: UnitOfWork, rep_ids: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """(reps as {id, name, role, region}, names of their managers): the rep's own manager,
    else the managers of the rep's region."""
    reps = uow.reps.list(any_of={"id": set(rep_ids)}) if rep_ids else []
    managers: list[str] = []
    manager_ids = {r.manager_id for r in reps if r.manager_id}
    regions = {r.region for r in reps if r.region and not r.manager_id}
    found = uow.reps.list(any_of={"id": manager_ids}) if manager_ids else []
    if regions:
        found += [
            r
            for r in uow.reps.list(any_of={"region": regions})
            if r.role in (RepRole.MANAGER, RepRole.DIRECTOR)
        ]
    for manager in found:
        if manager.name not in managers:
            managers.append(manager.name)
    people = [{"id": r.id, "name": r.name, "role": r.role.value, "region": r.region} for r in reps]
    return people, managers


def territory_page(
    db: Database,
    plan_id: str,
    territory_id: str,
    *,
    kpis: Mapping[str, Any] | None = None,
    priorities: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The page as a JSON-ready mapping: ``plan {id, name, version, status}``, ``territory
    {id, name, type, parent}``, ``editable``, ``reps``, ``managers``, ``figures`` (the
    territory's KPI row, given by the caller), ``notes``, ``priorities`` (ranked accounts)."""
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        territory = territory_of(plan, territory_id)
        names = {t.id: t.name for t in plan.territories}
        owners = [o.rep_id for o in territory.owners]
        reps, managers = _people(uow, owners)
        notes = uow.territory_notes.get(plan_id, territory_id, plan.version)
    order = {rep_id: i for i, rep_id in enumerate(owners)}
    reps.sort(key=lambda r: order.get(r["id"], len(order)))
    return {
        "plan": {
            "id": plan.id,
            "name": plan.name,
            "version": plan.version,
            "status": plan.status.value,
        },
        "territory": {
            "id": territory.id,
            "name": territory.name,
            "type": territory.type.value,
            "parent": names.get(territory.parent_id or ""),
        },
        "editable": plan.status not in READ_ONLY_STATUSES,
        "reps": reps,
        "managers": managers,
        "figures": {k: shown_value((kpis or {}).get(k)) for k in PAGE_FIGURES},
        "notes": notes_public(notes),
        "priorities": priorities or [],
    }


def territory_priority_rows(
    db: Database,
    plan_id: str,
    territory_id: str,
    *,
    top: int = 20,
    cache: MonitoringCache | None = None,
) -> list[dict[str, Any]]:
    """The territory's ``top`` accounts by priority (:mod:`terraplan.planning.priorities`):
    rank, account id and name, score, potential, revenue over the lookback window,
    whitespace, open pipeline (currency units)."""
    import polars as pl

    from terraplan.planning.priorities import prioritise_accounts
    from terraplan.services.monitoring_data import PlanData, load_plan_data

    def compute(data: PlanData) -> pl.DataFrame:
        ranked = prioritise_accounts(data.inputs, as_of=data.as_of, top_n=top)
        accounts = data.inputs.accounts
        assert isinstance(accounts, pl.DataFrame)
        names = accounts.select(pl.col("id").alias("account_id"), pl.col("name").alias("account"))
        return ranked.join(names, on="account_id", how="left")

    if cache is not None:
        _, ranked = cache.memo(db, plan_id, ("territory_priorities", top), compute)
    else:
        ranked = compute(load_plan_data(db, plan_id))
    frame = ranked.filter(pl.col("territory_id") == territory_id).sort("rank")
    keep = [c for c in PRIORITY_COLUMNS if c in frame.columns]
    return [
        {k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()}
        for row in frame.select(keep).iter_rows(named=True)
    ]


def save_territory_notes(
    db: Database,
    plan_id: str,
    territory_id: str,
    texts: Mapping[str, str],
    *,
    revision: int,
    by: str | None,
) -> TerritoryNotes:
    """Store the page's texts for the plan's current version, audit-logged, in one transaction.

    Raises :class:`ConflictError` for an archived plan or a stale ``revision``,
    :class:`InvalidParameterError` for an unknown field or a text over :data:`MAX_NOTE_CHARS`.
    """
    for name, text in texts.items():
        if name not in NOTE_FIELDS:
            raise InvalidParameterError(
                f"unknown field {name!r} of a territory page; use {', '.join(NOTE_FIELDS)}",
                details={"field": name},
            )
        if len(text) > MAX_NOTE_CHARS:
            raise InvalidParameterError(
                f"{name}: {len(text):,} characters; at most {MAX_NOTE_CHARS:,} are kept",
                details={"field": name, "length": len(text)},
            )
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        territory = territory_of(plan, territory_id)
        if plan.status in READ_ONLY_STATUSES:
            raise ConflictError(
                f"plan {plan_id} is {plan.status.value}: its territory pages are read-only",
                details={"plan_id": plan_id, "status": plan.status.value},
            )
        current = uow.territory_notes.get(plan_id, territory_id, plan.version)
        if current.revision != revision:
            # said here, where the territory's name is known (the storage check stays, for
            # a save racing this one)
            when = f" on {current.updated_at:%Y-%m-%d %H:%M} UTC" if current.updated_at else ""
            raise ConflictError(
                f"the notes of {territory.name} were saved by {current.updated_by or 'someone'}"
                f"{when}, after you opened them: load them again and add your text to theirs "
                "(yours was not saved)",
                details={
                    "plan_id": plan_id,
                    "territory_id": territory_id,
                    "stored_revision": current.revision,
                    "revision": revision,
                },
            )
        merged = {name: texts.get(name, getattr(current, name)) for name in NOTE_FIELDS}
        before, after = uow.territory_notes.save(
            plan_id, territory_id, plan.version, revision=revision, texts=merged, by=by
        )
        changed = [name for name in NOTE_FIELDS if getattr(before, name) != getattr(after, name)]
        uow.audit.record(
            "territory_notes",
            "territory",
            territory_id,
            actor=by,
            plan_id=plan_id,
            before={name: getattr(before, name) for name in changed},
            after={name: getattr(after, name) for name in changed},
        )
        uow.commit()
    return after
