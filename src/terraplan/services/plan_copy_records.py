"""What a copy of a plan takes from its source besides territories, alignment and rules."""

from __future__ import annotations

import hashlib

from terraplan.domain import Plan
from terraplan.storage.database import Database
from terraplan.storage.mappers import to_record
from terraplan.storage.unit_of_work import UnitOfWork


def copy_plan_records(uow: UnitOfWork, source_id: str, plan_id: str) -> dict[str, int]:
    """The source plan's targets and acquisition costs as the copy's own (so that a scenario
    activated in its place keeps the quotas), with the report of those targets, and its
    design record (so that both are judged by the same balance criteria). Returns how many
    targets and costs were copied."""

    def new_id(old: str) -> str:
        # The copy's id is the one its own run or import would give: `P001/T03/2027-01`
        # from `terraplan targets`, `P001|T03||revenue|...` derived by an import without ids
        # (so importing the same sheet for the copy updates these rather than adding more).
        for sep in ("/", "|"):
            if old.startswith(f"{source_id}{sep}"):
                mapped = f"{plan_id}{sep}{old.removeprefix(f'{source_id}{sep}')}"
                break
        else:
            mapped = f"{plan_id}/{old}"
        if len(mapped) <= 100:
            return mapped
        return f"{plan_id}/{hashlib.sha256(old.encode()).hexdigest()[:40]}"

    carried = {}
    for kind in ("targets", "acquisition_costs"):
        repository = uow.records(kind)
        records = [
            {**to_record(r), "id": new_id(r.id), "plan_id": plan_id}
            for r in repository.list(where={"plan_id": source_id})
        ]
        if records:
            repository.upsert_records(records)
        carried[kind] = len(records)
    design = uow.plan_results.get(source_id, "design")
    if design is not None:
        uow.plan_results.put(plan_id, "design", design)
    report = uow.plan_results.get(source_id, "targets")
    if report is not None and carried["targets"]:
        # the report of the targets carried over (the team view shows it, as KPIs use them)
        from terraplan.services.team_view import carried_report

        uow.plan_results.put(plan_id, "targets", carried_report(uow, report, source_id, plan_id))
    return carried


def carried_note(db: Database, plan: Plan) -> str | None:
    """What a copy carried over from its source that the planner must hear about: its
    targets (territory targets and rep quotas) and acquisition costs, which stay with their
    territory and rep ids while the copy is edited. ``None`` for a plan that is no copy or
    carried none."""
    source = plan.based_on_plan_id
    if source is None:
        return None
    with UnitOfWork(db) as uow:
        targets = uow.records("targets").list(where={"plan_id": plan.id})
        costs = len(uow.records("acquisition_costs").list(where={"plan_id": plan.id}))
    if not targets and not costs:
        return None
    parts = []
    reps = sum(1 for t in targets if getattr(t, "rep_id", None) is not None)
    areas = len(targets) - reps
    if areas:
        parts.append(f"{areas:,} territory target{'s' if areas != 1 else ''}")
    if reps:
        parts.append(f"{reps:,} rep quota{'s' if reps != 1 else ''}")
    if costs:
        parts.append(f"{costs:,} acquisition cost{'s' if costs != 1 else ''}")
    what = " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)
    when = ""
    if targets:
        first = min(t.period_start for t in targets)
        last = max(t.period_end for t in targets)
        when = f" ({first.isoformat()} to {last.isoformat()})"
    return (
        f"{plan.id} keeps the {what}{when} of {source}, so that activated in its place it keeps"
        f" the quotas: they stay with their territory and rep ids as {plan.id} is edited; after"
        f" moving units, accounts or owners, set them again (terraplan targets --plan"
        f" {plan.id}, or import quotas naming plan {plan.id})"
    )
