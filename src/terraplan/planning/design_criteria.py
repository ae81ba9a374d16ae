"""The record of what a design balanced, stored with its plan (``design["balance_criteria"]``)
so that monitoring judges the plan by the same criteria
(:func:`terraplan.planning.balance_criteria.plan_balance_criteria` reads it)."""

from __future__ import annotations

from typing import Any

from terraplan.planning.design import DesignOutcome


def balance_criteria_record(outcome: DesignOutcome) -> dict[str, Any]:
    """What the design balanced, stored with the plan so that monitoring judges it by the same
    criteria: metric -> tolerance, each territory's target and total per metric, and the
    territories the diagnosis gave to one oversize unit of their own."""
    balance = outcome.report.balance
    territory_ids = [t.id for t in outcome.plan.territories]
    names = outcome.metric_names
    targets = balance.targets
    record: dict[str, Any] = {
        "metrics": {
            n: float(t)
            for n, t in zip(names, balance.tolerance, strict=True)
            if n not in outcome.window_only  # balanced by absolute windows only
        },
        "targets": {
            tid: {n: float(targets[t, j]) for j, n in enumerate(names)}
            for t, tid in enumerate(territory_ids)
        },
        "totals": {
            tid: {n: float(balance.totals[t, j]) for j, n in enumerate(names)}
            for t, tid in enumerate(territory_ids)
        },
        "dedicated": _dedicated_record(outcome, territory_ids),
    }
    if outcome.windows is not None:
        record["windows"] = outcome.windows
    return record


def _dedicated_record(outcome: DesignOutcome, territory_ids: list[str]) -> list[dict[str, str]]:
    """The territories given to one oversize unit, or one oversize keep-together group, of
    their own: one entry per territory, a group named as a group (its 724 counties made 724
    entries, and monitoring named the first county as if it held the territory alone)."""
    groups = outcome.groups
    entries: dict[int, dict[str, str]] = {}
    for u, t in outcome.diagnosis.dedicated:
        if t in entries:
            continue
        unit = outcome.unit_names[u] if outcome.unit_names else outcome.unit_ids[u]
        group = int(groups.ids[u]) if groups is not None else -1
        if groups is not None and group >= 0:
            size = int((groups.ids == group).sum())
            unit = f"keep-together group {groups.names[group]!r} ({size:,} units)"
        entries[t] = {
            "territory_id": territory_ids[t],
            "unit_id": outcome.unit_ids[u],
            "unit": unit,
        }
    return list(entries.values())
