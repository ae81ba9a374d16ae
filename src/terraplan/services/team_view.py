"""What the team view shows for a plan: the capacity, matching and targets reports last
computed for it.

A copy of a plan carries its source's targets (:func:`~terraplan.services.plan_copy_records.
copy_plan_records`), and KPIs and comparisons use them; so the team view shows the report
of those targets too (one answer for "what are this plan's targets"), saying where it comes
from. A copy made before copies took the report along finds it on the plan it was copied
from, as long as the targets are still the same.
"""

from __future__ import annotations

from typing import Any

from terraplan.domain import Plan
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

TEAM_KINDS = ("capacity", "matching", "targets")


def carried_report(
    uow: UnitOfWork, report: dict[str, Any], source_id: str, plan_id: str
) -> dict[str, Any]:
    """``report`` (a targets report of plan ``source_id``) as the report of the targets plan
    ``plan_id`` carries over from it, with a note naming the source."""
    source = uow.plans.header(source_id).name if uow.plans.exists(source_id) else source_id
    note = f"the targets of {source}, carried over when this plan was copied from it"
    return {**report, "plan_id": plan_id, "carried_from": source_id, "note": note}


def _target_rows(uow: UnitOfWork, plan_id: str) -> list[tuple[Any, ...]]:
    """The plan's targets as comparable rows (without their ids and plan)."""
    return sorted(
        (t.territory_id or "", t.rep_id or "", t.metric, t.period_start, t.period_end, t.amount)
        for t in uow.targets.list(where={"plan_id": plan_id})
    )


def targets_report(uow: UnitOfWork, plan: Plan) -> dict[str, Any] | None:
    """The report of the targets the plan uses: its own, else (a copy) the report of the plan
    it was copied from whose targets it carries unchanged; None when it has no targets."""
    own = uow.plan_results.get(plan.id, "targets")
    if own is not None:
        return dict(own)
    mine = _target_rows(uow, plan.id)
    if not mine:
        return None
    seen = {plan.id}
    source = plan.based_on_plan_id
    while source and source not in seen and uow.plans.exists(source):
        seen.add(source)
        report = uow.plan_results.get(source, "targets")
        if report is not None:
            if _target_rows(uow, source) == mine:
                return carried_report(uow, dict(report), source, plan.id)
            return None  # the source's targets changed since: its report is not this plan's
        source = uow.plans.header(source).based_on_plan_id
    return None


def team_reports(db: Database, plan_id: str) -> tuple[Plan, dict[str, Any]]:
    """The plan and its last ``capacity``, ``matching`` and ``targets`` reports (None where
    none was computed; the targets as :func:`targets_report`)."""
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        stored: dict[str, Any] = {
            kind: uow.plan_results.get(plan_id, kind) for kind in TEAM_KINDS if kind != "targets"
        }
        stored["targets"] = targets_report(uow, plan)
    return plan, stored
