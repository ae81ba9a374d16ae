"""What a plan's balance criteria are: the one answer alerts, the report and KPIs use.

A designed plan is judged by what its design balanced: the metrics and tolerances given to
``terraplan design`` (stored in ``plan.parameters["balance"]``) that are sums over the
accounts (potential, workload, annual revenue, employees, the count of accounts, and a design
on accounts' numeric account attributes; a geo unit's own figure such as population is not
one, and a note says it is not checked), each territory's target
(equal shares, except the territories the design's diagnosis gave to one oversize unit of
their own: those are left out), as stored in the plan's ``design`` report. Named-account,
overlay and catch-all territories are never balance-checked. A plan that was not designed
gets the defaults (potential, workload and account count at 10 %). Flags override either.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from terraplan.domain import Plan, RecordKind, TerritoryType
from terraplan.errors import InvalidParameterError
from terraplan.planning.unit_metrics import ACCOUNT_METRICS as GEO_ACCOUNT_METRICS

#: Account fields a balance totals per territory, as a design on accounts reads them (any
#: other metric name of such a design is a numeric account attribute).
ACCOUNT_FIELDS: tuple[str, ...] = ("potential", "workload", "annual_revenue", "employees")
#: What a plan that was not designed is checked on.
DEFAULT_METRICS: tuple[str, ...] = ("potential", "workload", "account_count")
#: The metrics monitoring totals per territory from the accounts by name (a numeric account
#: attribute is one too, when the accounts carry it).
MONITORED_METRICS: tuple[str, ...] = (*DEFAULT_METRICS, "annual_revenue", "employees")
#: Design metric names -> monitoring names (``count`` of accounts = ``account_count``).
DESIGN_TO_MONITORED: Mapping[str, str] = {"count": "account_count"}
#: Used when a plan was not designed (and no flag says otherwise).
DEFAULT_TOLERANCE = 0.10
#: Territory types whose totals are balance-checked.
BALANCED_TYPES: frozenset[TerritoryType] = frozenset(
    {TerritoryType.GEO, TerritoryType.VERTICAL, TerritoryType.SEGMENT}
)


@dataclass(frozen=True, slots=True)
class BalanceCriteria:
    """How a plan's balance is judged.

    - ``tolerances``: monitored metric -> tolerance (0.10 = within 10 % of the target).
    - ``territories``: the leaf territories checked (others: named, overlay, catch-all,
      and those given to one oversize unit).
    - ``weights``: territory -> metric -> relative target (1.0 = an equal share of the
      checked territories' total); missing = 1.0.
    - ``skipped``: territory id -> why it is not checked.
    - ``source``: where the criteria come from, said in the output.
    - ``notes``: design metrics monitoring cannot check (e.g. population).
    - ``design_totals``: territory -> metric -> total when designed (drift baseline).
    - ``drift_metrics``: the design's metrics monitoring can total from accounts (monitoring
      names), whatever the flags check: the metrics drift is measured on.
    - ``design_tolerances``: the design's own metrics and tolerances as given to
      ``terraplan design`` (geo-unit metrics such as population included); empty when the
      plan was not designed. For uses that total geo units, not accounts (plan edits).
    """

    tolerances: Mapping[str, float]
    territories: frozenset[str]
    source: str
    weights: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    skipped: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    design_totals: Mapping[str, Mapping[str, float]] | None = None
    design_tolerances: Mapping[str, float] = field(default_factory=dict)
    drift_metrics: tuple[str, ...] = ("potential", "workload")

    def describe(self) -> str:
        """e.g. ``"potential ±10%, workload ±15% (from the plan's design)"``."""
        metrics = ", ".join(f"{m} ±{t:.0%}" for m, t in self.tolerances.items()) or "none"
        return f"{metrics} ({self.source})"

    def drift_baseline(self) -> dict[str, dict[str, float]] | None:
        """Design totals per territory of the metrics of ``drift_metrics``, for drift alerts
        (a plan designed on annual revenue drifts on annual revenue)."""
        if not self.design_totals:
            return None
        return {
            tid: {m: v for m, v in totals.items() if m in self.drift_metrics}
            for tid, totals in self.design_totals.items()
        }


def plan_balance_criteria(
    plan: Plan,
    design: Mapping[str, Any] | None = None,
    *,
    balance: Mapping[str, float] | None = None,
    tolerance: float | None = None,
    attributes: Collection[str] = (),
) -> BalanceCriteria:
    """The balance criteria of ``plan``.

    Args:
        plan: the plan (its ``parameters["balance"]`` when it was designed).
        design: the plan's stored ``design`` report (targets, oversize units' territories).
        balance: flag override, metric -> tolerance (metrics: potential, workload,
            account_count or count, annual_revenue, employees, or one of ``attributes``);
            replaces the design's metrics.
        tolerance: flag override, one tolerance for every metric checked.
        attributes: numeric account attributes the accounts carry, which ``balance`` may
            name (the caller knows the data; a name that is none of them is refused).
    """
    skipped: dict[str, str] = {}
    for territory in plan.leaves():
        if territory.type not in BALANCED_TYPES:
            skipped[territory.id] = f"{territory.type.value.replace('_', '-')} territory"
    raw = plan.parameters.get("balance") if plan.parameters else None
    stored: dict[str, Any] = dict(raw) if isinstance(raw, Mapping) else {}
    criteria_record: Mapping[str, Any] = (design or {}).get("balance_criteria") or {}
    notes: list[str] = []
    drift_metrics = _drift_metrics(plan, stored)
    if balance:
        tolerances = {_monitored(m, attributes): _check(m, t) for m, t in balance.items()}
        source = "from the flags"
    elif stored:
        tolerances = {}
        on_accounts = designed_on_accounts(plan)
        for metric, value in stored.items():
            name = DESIGN_TO_MONITORED.get(metric, metric)
            if on_accounts or metric in GEO_ACCOUNT_METRICS:
                # a sum over the accounts, as the design summed it (per unit or per account)
                tolerances[name] = _check(metric, float(value))
            else:
                notes.append(
                    f"the design balanced {metric}, which monitoring cannot total from accounts; "
                    "it is not checked"
                )
        source = "from the plan's design"
    else:
        tolerances = dict.fromkeys(DEFAULT_METRICS, DEFAULT_TOLERANCE)
        source = "defaults: the plan was not designed"
    if tolerance is not None:
        tolerances = {m: _check(m, tolerance) for m in tolerances}
        source += ", tolerance from the flags"
    for item in criteria_record.get("dedicated") or []:
        tid = str(item.get("territory_id"))
        skipped.setdefault(
            tid, f"given to {item.get('unit') or item.get('unit_id')} alone by the design"
        )
    designed = criteria_record.get("targets") or {}
    if designed and not balance:
        # a vertical or segment territory the rules added after a geographic design has no
        # target of it: judged against the design's band, it read as 22 % short (a geo
        # territory split off by an edit is still judged, against an equal share)
        for territory in plan.leaves():
            if str(territory.id) not in designed and territory.type is not TerritoryType.GEO:
                skipped.setdefault(territory.id, "added after the design, which gave it no target")
    weights = _relative_targets(designed, skipped)
    totals = {
        str(tid): {DESIGN_TO_MONITORED.get(m, m): float(v) for m, v in row.items()}
        for tid, row in (criteria_record.get("totals") or {}).items()
    }
    checked = frozenset(t.id for t in plan.leaves() if t.id not in skipped)
    return BalanceCriteria(
        tolerances=tolerances,
        territories=checked,
        source=source,
        weights=weights,
        skipped=skipped,
        notes=tuple(notes),
        design_totals=totals or None,
        design_tolerances={str(m): float(v) for m, v in stored.items()},
        drift_metrics=drift_metrics,
    )


def _drift_metrics(plan: Plan, stored: Mapping[str, Any]) -> tuple[str, ...]:
    """Monitoring names of the design's metrics that are sums over the accounts."""
    on_accounts = designed_on_accounts(plan)
    return tuple(
        DESIGN_TO_MONITORED.get(m, m) for m in stored if on_accounts or m in GEO_ACCOUNT_METRICS
    )


def designed_on_accounts(plan: Plan) -> bool:
    """Whether ``plan`` was designed on accounts (each of its metrics then an account sum),
    not on geo units (whose metrics are the units' own unless summed from accounts)."""
    units = (plan.parameters or {}).get("units")
    if units is not None:
        return units == "accounts"
    # a library design of accounts stores no units: its alignment tells
    kinds = {entry.record_kind for entry in plan.alignment}
    return kinds == {RecordKind.ACCOUNT}


def _monitored(metric: str, attributes: Collection[str]) -> str:
    name = DESIGN_TO_MONITORED.get(metric, metric)
    if name not in MONITORED_METRICS and metric not in attributes:
        raise InvalidParameterError(
            f"balance metric {metric!r} cannot be checked from accounts; use one of "
            f"{', '.join(MONITORED_METRICS)} or a numeric attribute the accounts carry",
            details={"parameter": "balance", "value": metric},
        )
    return name


def _check(metric: str, value: float) -> float:
    if isinstance(value, bool) or not math.isfinite(value) or not 0 <= value < 10:
        raise InvalidParameterError(
            f"tolerance for {metric} must be in [0, 10), got {value!r}",
            details={"parameter": "balance", "metric": metric},
        )
    return float(value)


def _relative_targets(
    targets: Mapping[str, Mapping[str, float]], skipped: Mapping[str, str]
) -> dict[str, dict[str, float]]:
    """Each checked territory's design target over the mean target of the checked ones."""
    kept = {str(t): row for t, row in targets.items() if str(t) not in skipped}
    if not kept:
        return {}
    metrics: Sequence[str] = sorted({m for row in kept.values() for m in row})
    out: dict[str, dict[str, float]] = {t: {} for t in kept}
    for metric in metrics:
        values = [float(row.get(metric, 0.0)) for row in kept.values()]
        mean = sum(values) / len(values)
        if mean <= 0:
            continue
        name = DESIGN_TO_MONITORED.get(metric, metric)
        for tid, row in kept.items():
            out[tid][name] = float(row.get(metric, 0.0)) / mean
    return out
