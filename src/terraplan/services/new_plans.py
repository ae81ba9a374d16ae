"""New plans: a draft copied from a stored plan (its rule set, the alignment of its latest
rule run, its territory notes and the records a copy carries), or a new empty draft with the
territories given."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from terraplan.domain import Plan, PlanStatus, RecordKind
from terraplan.errors import InvalidParameterError, NotFoundError
from terraplan.services.plan_copy_records import copy_plan_records
from terraplan.services.plan_ids import check_id, new_plan_id
from terraplan.services.plan_scopes import active_plan_id, check_scope, normalize_scope
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def copy_plan(
    db: Database,
    source_id: str | None = None,
    *,
    new_id: str | None = None,
    name: str | None = None,
    created_by: str | None = None,
    scope: str | None = None,
) -> Plan:
    """A new draft copy of ``source_id`` with its latest rule set and the accounts' territories
    and owners of its latest rule run. Without a source: the active
    plan of ``scope`` when there is one, else the whole-market (or only) active plan. The copy
    keeps the source's scope unless ``scope`` is given ("" = whole market)."""
    with UnitOfWork(db) as uow:
        if source_id is None:
            try:
                source_id = active_plan_id(uow, scope)
            except NotFoundError:
                if normalize_scope(scope) is None:
                    raise
                source_id = active_plan_id(uow)
        source = uow.plans.get(source_id)
        plan_id = new_plan_id(uow, new_id)
        new_scope = source.scope if scope is None else check_scope(uow, scope)
        copy = replace(
            source,
            id=plan_id,
            name=name or f"Copy of {source.name}",
            version=1,
            status=PlanStatus.DRAFT,
            effective_from=None,
            effective_to=None,
            based_on_plan_id=source.id,
            scope=new_scope,
            created_by=created_by,
            created_at=None,
            updated_by=created_by,
            updated_at=None,
        )
        saved = uow.plans.add(copy, generated=new_id is None)
        plan_id = saved.id  # another plan may have taken the id picked first
        try:
            stored = uow.rule_sets.latest(source.id)
        except NotFoundError:
            stored = None
        if stored is not None:
            copied = uow.rule_sets.add(
                plan_id, stored.document, plan_version=saved.version, created_by=created_by
            )
            # The source's latest rule run is its alignment (who is in which territory) for a
            # rule-based plan: the copy starts from the same one, so an unchanged copy compares
            # as unchanged and has the same KPIs until its own rules are applied.
            # (A geo-aligned plan's copy keeps its own geo alignment instead, so that edits of
            # the copy show before its rules are applied.)
            run = (
                []
                if source.alignment_map(RecordKind.GEO_UNIT)
                else uow.assignments.current(source.id)
            )
            if run:
                uow.assignments.record_run(
                    plan_id,
                    plan_version=saved.version,
                    rule_set_version=copied.version,
                    assignments=run,
                )
        uow.territory_notes.copy(source.id, source.version, plan_id, saved.version, created_by)
        carried = copy_plan_records(uow, source.id, plan_id)
        uow.audit.record(
            "copy", "plan", plan_id, actor=created_by, plan_id=plan_id,
            after={"based_on": source.id, "name": saved.name, "scope": saved.scope, **carried},
        )  # fmt: skip
        uow.commit()
    return saved


def create_plan(
    db: Database,
    name: str,
    territories: list[dict[str, Any]],
    *,
    plan_id: str | None = None,
    created_by: str | None = None,
    scope: str | None = None,
) -> Plan:
    """A new empty draft (no alignment yet) with the given territories, covering ``scope``
    (a part of the market, e.g. "West"; None or "" = the whole market).

    ``territories``: ``{"id", "name"}`` and optionally ``parent_id``, ``type`` (geo, named,
    vertical, segment, overlay, catch_all), ``level``. Geo units and accounts are then aligned
    with edits (``move_units``, ``move_accounts``) or by a design from this plan.
    """
    from terraplan.domain import Territory, TerritoryType
    from terraplan.errors import DataError

    if not territories:
        raise InvalidParameterError(
            "a plan needs at least one territory", details={"field": "territories"}
        )
    built = []
    for index, spec in enumerate(territories):
        if spec.get("id") is not None:  # ids become URL paths: refuse those no route reaches
            check_id(spec["id"], f"territories[{index}].id")
        try:
            built.append(
                Territory(
                    id=str(spec["id"]),
                    name=str(spec.get("name") or spec["id"]),
                    type=TerritoryType(spec.get("type", "geo")),
                    parent_id=spec.get("parent_id"),
                    level=str(spec.get("level", "territory")),
                )
            )
        except (KeyError, ValueError) as exc:  # DataError is a ValueError too
            reason = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
            raise InvalidParameterError(
                f"territories[{index}]: {reason}", details={"field": f"territories[{index}]"}
            ) from None
    with UnitOfWork(db) as uow:
        new_id = new_plan_id(uow, plan_id)
        scope = check_scope(uow, scope)
        try:
            plan = Plan(
                id=new_id,
                name=name,
                territories=tuple(built),
                created_by=created_by,
                scope=scope,
            )
        except DataError as exc:
            raise InvalidParameterError(exc.message, details={"field": "territories"}) from None
        saved = uow.plans.add(plan, generated=plan_id is None)
        new_id = saved.id
        uow.audit.record(
            "create", "plan", new_id, actor=created_by, plan_id=new_id,
            after={"name": name, "territories": len(built), "scope": plan.scope},
        )  # fmt: skip
        uow.commit()
    return saved
