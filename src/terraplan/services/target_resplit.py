"""A plan's rep targets follow its owners of the day once its activation recorded them (see
:mod:`terraplan.planning.target_resplit`): whatever the order of ``targets`` and
``plans activate``, each rep carries the months of the territories they own(ed)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from terraplan.planning.revenue import revenue_history
from terraplan.planning.target_report import build_targets
from terraplan.planning.target_resplit import rep_months
from terraplan.services.alignment import plan_alignment
from terraplan.services.plan_scopes import in_scope
from terraplan.storage.database import Database
from terraplan.storage.mappers import to_record
from terraplan.storage.unit_of_work import UnitOfWork

__all__ = ["resplit_notes", "resplit_rep_targets"]


def resplit_rep_targets(
    db: Database, plan_id: str, *, as_of: date | None = None, by: str | None = None
) -> int:
    """Split the plan's latest ``targets`` run's territory months to their carriers again, as
    ``targets`` would with today's recorded owners (``as_of``: default today), and store the
    rep targets of that run that change. Returns how many reps' targets changed (0: none, or
    the plan has no ``targets`` run). Territory targets and other periods' targets (imported
    quotas, other runs) are not touched."""
    from terraplan.services.reps_targets import owner_spans

    day = as_of or date.today()
    with UnitOfWork(db) as uow:
        run = uow.plan_results.get(plan_id, "targets")
        if not run or not run.get("months"):
            return 0
        plan = uow.plans.get(plan_id)
        start = date.fromisoformat(str(run["period_start"]))
        end = date.fromisoformat(str(run["period_end"]))
        months = [(int(m[:4]), int(m[5:7])) for m in run["months"]]
        labels = list(run["months"])
        stored = uow.targets.list(where={"plan_id": plan_id})
        mine = [t for t in stored if t.metric == "revenue" and start <= t.period_start <= end]
        monthly = {
            (t.territory_id or f"rep:{t.rep_id}", t.id.rsplit("/", 1)[-1]): t.amount
            for t in mine
            if t.id.rsplit("/", 1)[-1] in labels
        }
        territory_months = {
            t.id: [monthly.get((t.id, m), 0.0) for m in labels] for t in plan.territories
        }
        accounts = in_scope(uow, plan.scope, uow.accounts.list())
        reps = uow.reps.list()
        basis = run.get("basis") or {}
        source = str(run.get("revenue_source") or "auto")
        lines = uow.sales_lines.list() if source != "opportunities" else []
        opportunities = uow.opportunities.list() if not lines else []
        territory_of = plan_alignment(uow, plan, accounts).territory_of
        spans = owner_spans(uow, accounts, set(territory_of), [r.id for r in reps], day)
    first = basis.get("history_start")
    last = basis.get("history_end")
    sold: dict[str, float] = {}
    if first and last:
        window = (date.fromisoformat(first), date.fromisoformat(last))
        for line in revenue_history(lines, opportunities, source=source).lines:
            if window[0] <= line.date <= window[1]:
                sold[line.account_id] = sold.get(line.account_id, 0.0) + line.amount
    leaf_accounts: dict[str, dict[str, float]] = {}
    for a in accounts:
        tid = territory_of.get(a.id)
        if a.closed_on is None and tid is not None:
            leaf_accounts.setdefault(tid, {})[a.id] = sold.get(a.id, 0.0)
    method = str(run.get("method") or "history")
    ramp = _ramp_months(run)
    if "+capacity" in method and ramp is None:
        return 0  # the run's ramp is not known: its split is kept as it was
    split = rep_months(
        plan, months, float(run.get("unit") or 1.0), territory_months, reps,
        method=method, leaf_accounts=leaf_accounts, owner_spans=spans, as_of=day,
        ramp_months=ramp or 3,
    )  # fmt: skip
    before = {
        rep_id: [monthly.get((f"rep:{rep_id}", m), 0.0) for m in labels]
        for rep_id in {t.rep_id for t in mine if t.rep_id is not None}
    }
    after = {rep_id: [float(v) for v in values] for rep_id, values in split.items()}
    changed = {
        rep_id
        for rep_id in set(before) | set(after)
        if before.get(rep_id, [0.0] * len(labels)) != after.get(rep_id, [0.0] * len(labels))
    }
    if not changed:
        return 0
    rows = tuple((rep_id, tuple(after[rep_id])) for rep_id in sorted(after))
    new = [t for t in build_targets(plan_id, (), rows, months) if t.rep_id is not None]
    ours = f"{plan_id}/rep:"
    with UnitOfWork(db) as uow:
        # the run's rep rows (ids ``<plan>/rep:<id>/...`` in its period) give way to the new
        # split; every other target of the plan goes back unchanged
        kept = [
            t for t in uow.targets.list(where={"plan_id": plan_id})
            if not (t.id.startswith(ours) and start <= t.period_start <= end)
        ]  # fmt: skip
        uow.targets.delete_where({"plan_id": plan_id})
        uow.targets.upsert_records(to_record(t) for t in kept)
        uow.targets.upsert_records({**to_record(t), "plan_id": plan_id} for t in new)
        names = {r.id: r.name for r in reps}
        run = dict(run)
        run["reps"] = [
            {"rep_id": rep_id, "name": names.get(rep_id) or rep_id,
             **dict(zip(labels, values, strict=True)), "total": sum(values)}
            for rep_id, values in rows
        ]  # fmt: skip
        uow.plan_results.put(plan_id, "targets", run)
        uow.audit.record(
            "resplit_targets", "plan", plan_id, actor=by, plan_id=plan_id,
            after={"period": f"{labels[0]}..{labels[-1]}", "reps_changed": len(changed)},
        )  # fmt: skip
        uow.commit()
    return len(changed)


def resplit_notes(db: Database, plan_id: str) -> list[str]:
    """A note when the plan's latest activation split its rep targets again (the audit's
    ``resplit_targets`` entry after its ``activate`` entry): which months, how many reps."""
    with UnitOfWork(db) as uow:
        done = uow.audit.list(plan_id=plan_id, action="activate", limit=1, newest_first=True)
        split = uow.audit.list(
            plan_id=plan_id, action="resplit_targets", limit=1, newest_first=True
        )
    if not done or not split or split[0].id < done[0].id:
        return []
    after = split[0].after or {}
    first, _, last = str(after.get("period", "")).partition("..")
    count = int(after.get("reps_changed", 0))
    return [
        f"the rep targets of plan {plan_id} for {first} to {last} follow the owners it records "
        f"from its first day: {count:,} rep{'' if count == 1 else 's'}' targets changed (the "
        "territories' targets did not; `terraplan kpis --by rep` compares each rep with their "
        "own revenue)"
    ]


def _ramp_months(run: Mapping[str, Any]) -> int | None:
    """The ramp a ``+capacity`` run used, as its stored report says it ("ramps to full
    productivity over 6 months"); None when it does not say."""
    import re

    for text in run.get("warnings") or []:
        found = re.search(r"ramps to full productivity over (\d+) month", str(text))
        if found:
            return int(found.group(1))
    return None
