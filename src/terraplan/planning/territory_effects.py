"""The effect of a draft plan's edits on its territories: metric totals and deviation from
the mean territory per metric, within the plan's tolerance or not, contiguity (connected
pieces) and units moved since the plan it was based on (what the territory table beside the
map shows)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from terraplan.domain import Plan, RecordKind
from terraplan.domain.amounts import exact_figure
from terraplan.planning.balance_criteria import DESIGN_TO_MONITORED, BalanceCriteria
from terraplan.planning.plan_edits import EditablePlan


@dataclass(frozen=True, slots=True)
class TerritoryEffect:
    """One territory after an edit: metric totals and deviation from the mean territory,
    whether each is within the plan's tolerance, its connected pieces and units."""

    territory: str
    name: str
    units: int
    totals: dict[str, float]
    deviation: dict[str, float]
    within_tolerance: dict[str, bool]
    pieces: int
    units_moved: int
    #: Why the balance check leaves this territory out (a named territory, one a design gave
    #: an oversize unit alone); None when it is checked.
    unchecked: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """As JSON gives it: figures to 12 significant digits (``8197.0``, not the sum's
        ``8196.999999999998``), an account count a whole number (``529``, not ``529.0``)."""
        fields = {name: getattr(self, name) for name in self.__slots__}
        totals = {m: exact_figure(v) for m, v in self.totals.items()}
        fields["totals"] = {
            m: int(v) if m == "count" and v.is_integer() else v for m, v in totals.items()
        }
        fields["deviation"] = {m: exact_figure(v) for m, v in self.deviation.items()}
        return fields


def territory_effects(
    plan: Plan | EditablePlan,
    territories: Iterable[str],
    unit_metrics: Mapping[str, Mapping[str, float]],
    neighbours: Mapping[str, Iterable[str]],
    tolerance: Mapping[str, float],
    *,
    base: Plan | Mapping[str, str] | None = None,
    pinned: Mapping[str, tuple[str | None, Mapping[str, float]]] | None = None,
    placed: Mapping[str, Mapping[str, float]] | None = None,
    criteria: BalanceCriteria | None = None,
) -> list[TerritoryEffect]:
    """Balance, contiguity and disruption of ``territories`` in ``plan``.

    ``unit_metrics``: geo unit id -> metric -> value (e.g. potential summed over the unit's
    accounts); the target of each metric is its mean over the plan's leaf territories that
    hold geo units. With ``criteria`` (the plan's own, as monitoring judges it): the mean
    over the territories it checks, times each one's relative design target; the others
    have no deviation and say why (``unchecked``). ``tolerance``: metric -> relative band
    (0.1 = ±10 %). ``base``: the plan it was copied from (a plan, or its geo alignment map).
    ``pinned``: account id -> (its geo unit, its metrics) for the plan's named-account pins,
    whose figures leave their unit's territory for the pin's. ``placed``: territory id ->
    metric -> the figures of the accounts the plan's rules put there from outside its units
    (a catch-all's), counted as KPIs count them. ``units_moved`` counts the
    territory's units that were elsewhere in ``base`` and its units of ``base`` now elsewhere.
    """
    import numpy as np

    geo = plan.alignment_map(RecordKind.GEO_UNIT)
    header = plan.plan if isinstance(plan, EditablePlan) else plan
    wanted = set(territories)
    members: dict[str, list[str]] = {t: [] for t in wanted}
    for unit, territory in geo.items():
        if territory in wanted:
            members[territory].append(unit)
    metrics = sorted(tolerance) or sorted({m for values in unit_metrics.values() for m in values})
    # every territory's unit totals in one pass (a whole-country ZIP plan has 32,700 units):
    # bincount adds each territory's values in unit order, as a sum over its units would
    holding = list(dict.fromkeys(geo.values()))
    position = {t: i for i, t in enumerate(holding)}
    labels = np.fromiter((position[t] for t in geo.values()), dtype=np.intp, count=len(geo))
    no_values: Mapping[str, float] = {}
    total: dict[str, float] = {}
    unit_totals: dict[str, list[float]] = {}
    for m in metrics:
        column = [unit_metrics.get(u, no_values).get(m, 0.0) for u in geo]
        total[m] = sum(column)
        unit_totals[m] = np.bincount(labels, weights=column, minlength=len(holding)).tolist()
    shift: dict[str, dict[str, float]] = {}
    for account, territory in plan.alignment_map(RecordKind.ACCOUNT).items():
        home, values = (pinned or {}).get(account, (None, {}))
        for m in metrics:
            value = values.get(m, 0.0)
            shift.setdefault(territory, {}).setdefault(m, 0.0)
            shift[territory][m] += value
            if home is not None and home in geo:
                shift.setdefault(geo[home], {}).setdefault(m, 0.0)
                shift[geo[home]][m] -= value
            else:  # an account outside the plan's units adds to the whole
                total[m] += value
    for territory, values in (placed or {}).items():
        for m in metrics:
            value = values.get(m, 0.0)
            shift.setdefault(territory, {}).setdefault(m, 0.0)
            shift[territory][m] += value
            if territory in position:  # the target stays the mean of the unit holders
                total[m] += value
    target = {m: total[m] / len(holding) if holding else 0.0 for m in metrics}

    def totals_of(territory: str) -> dict[str, float]:
        at = position.get(territory)
        return {
            m: (0.0 if at is None else unit_totals[m][at]) + shift.get(territory, {}).get(m, 0.0)
            for m in metrics
        }

    checked: set[str] | None = None
    if criteria is not None:
        leaves = {t.id for t in header.leaves()}
        checked = set(criteria.territories) & leaves
        if checked:
            sums = [totals_of(t) for t in sorted(checked)]
            target = {m: sum(row[m] for row in sums) / len(sums) for m in metrics}
    base_geo = base.alignment_map(RecordKind.GEO_UNIT) if isinstance(base, Plan) else base or {}
    lost: dict[str, int] = {}
    if base is not None:
        for unit, was in base_geo.items():
            if geo.get(unit) != was:
                lost[was] = lost.get(was, 0) + 1
    names = {t.id: t.name for t in header.territories}
    effects = []
    for territory in sorted(set(territories)):
        units = members.get(territory, [])
        totals = totals_of(territory)
        # in or out: a territory that gave units away changed as much as the one that took them
        moved = sum(1 for u in units if base is not None and base_geo.get(u) != territory)
        moved += lost.get(territory, 0)
        if checked is not None and territory not in checked:
            assert criteria is not None
            why = criteria.skipped.get(territory, "not a balanced territory")
            effects.append(
                TerritoryEffect(
                    territory, names.get(territory, territory), len(units), totals, {}, {},
                    _pieces(units, neighbours), moved, unchecked=why,
                )
            )  # fmt: skip
            continue
        weights = criteria.weights.get(territory, {}) if criteria is not None else {}
        own = {m: target[m] * weights.get(DESIGN_TO_MONITORED.get(m, m), 1.0) for m in metrics}
        deviation = {m: (totals[m] / own[m] - 1.0) if own[m] else 0.0 for m in metrics}
        within = {m: abs(deviation[m]) <= tolerance[m] + 1e-9 for m in metrics if m in tolerance}
        effects.append(
            TerritoryEffect(
                territory,
                names.get(territory, territory),
                len(units),
                totals,
                deviation,
                within,
                _pieces(units, neighbours),
                moved,
            )
        )
    return effects


def _pieces(units: Sequence[str], neighbours: Mapping[str, Iterable[str]]) -> int:
    """Connected components of ``units`` under ``neighbours`` (0 for an empty territory)."""
    remaining = set(units)
    pieces = 0
    while remaining:
        pieces += 1
        stack = [remaining.pop()]
        while stack:
            unit = stack.pop()
            for other in neighbours.get(unit, ()):
                if other in remaining:
                    remaining.remove(other)
                    stack.append(other)
    return pieces
