"""Results of target setting: per-territory layers, the fairness report and the
:class:`TargetPlan` with its domain :class:`~terraplan.domain.Target` objects and tables.

Amounts in currency; ratios are plain numbers (1.0 = target equals the denominator).
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from terraplan.domain import Target, Territory
from terraplan.domain.amounts import exact_figure
from terraplan.engine import quota_allocation as alloc
from terraplan.engine import quota_fairness as fair
from terraplan.planning.target_basis import HistoryBasis

# ----------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class TerritoryTarget:
    """One node's target. ``top_down`` is the allocation of the company number, kept as is;
    ``adjustment`` (with ``reason``) and ``rebalance`` are the bottom-up layer; ``final`` =
    top_down + adjustment + rebalance; ``months`` split ``final`` exactly."""

    territory_id: str
    name: str
    level: str
    parent_id: str | None
    is_leaf: bool
    top_down: float
    adjustment: float
    rebalance: float
    final: float
    months: tuple[float, ...]
    potential: float
    history: float | None
    basis_share: float
    productivity: float
    reason: str | None


@dataclass(frozen=True, slots=True)
class FairnessReport:
    """Ratios per leaf territory, their spread and attainability.

    ``rows``: per leaf ``target_to_potential``, ``target_to_history`` (None where the
    denominator is missing or 0) and ``attainable`` (history x (1 + growth) >= target x
    threshold - ``rounding_allowance``; None without history). Spread: coefficient of
    variation and Gini (None when undefined). ``attainable_share_*``: share of territories /
    reps with history that can reach their target. ``rounding_allowance`` (currency) is what
    rounding to whole units may add to a target: with method history every target is
    history x growth rounded, and one a few dollars above it counted as out of reach.
    """

    rows: tuple[dict[str, object], ...]
    cv_target_to_potential: float | None
    gini_target_to_potential: float | None
    cv_target_to_history: float | None
    gini_target_to_history: float | None
    attainable_share_territories: float | None
    attainable_share_reps: float | None
    territories_without_history: int
    territories_with_zero_potential: int
    threshold: float
    rounding_allowance: float = 0.0

    def summary(self) -> dict[str, object]:
        return {
            "cv_target_to_potential": self.cv_target_to_potential,
            "gini_target_to_potential": self.gini_target_to_potential,
            "cv_target_to_history": self.cv_target_to_history,
            "gini_target_to_history": self.gini_target_to_history,
            "attainable_share_territories": self.attainable_share_territories,
            "attainable_share_reps": self.attainable_share_reps,
            "territories_without_history": self.territories_without_history,
            "territories_with_zero_potential": self.territories_with_zero_potential,
            "threshold": self.threshold,
            "rounding_allowance": self.rounding_allowance,
        }


@dataclass(frozen=True, slots=True)
class TargetPlan:
    """Targets per territory (every hierarchy level), per rep and per month, with the
    fairness report and warnings. ``targets`` are domain :class:`Target` objects: one per
    node for the period, one per leaf and month, one per rep for the period and per month."""

    plan_id: str
    period_start: date
    period_end: date
    method: str
    growth: float
    unit: float
    company_target: float
    bottom_up: float
    months: tuple[str, ...]
    territories: tuple[TerritoryTarget, ...]
    reps: tuple[tuple[str, tuple[float, ...]], ...]
    fairness: FairnessReport
    targets: tuple[Target, ...]
    basis: HistoryBasis
    warnings: tuple[str, ...] = ()
    #: Rep id -> name, for the rows of rep targets (a rep missing here is named by its id).
    rep_names: Mapping[str, str] = field(default_factory=dict)
    #: How ``bottom_up`` was reached: ``history x 1.08``, with ``+capacity`` ``... x productivity``.
    bottom_up_formula: str = "history x (1 + growth)"
    #: False when no open account carries a potential: each row's potential is then unknown
    #: (None in :meth:`rows`, empty in the table), not 0, as the KPIs say it.
    potential_known: bool = True

    @property
    def revenue_source(self) -> str:
        """The revenue history used: ``sales_lines``, ``opportunities`` or ``none``."""
        return self.basis.source

    def rows(self, *, months: bool = False) -> list[dict[str, object]]:
        """One row per territory (all levels): layers, final and the fairness inputs; with
        ``months`` also one column per month (``YYYY-MM``) of the final target."""
        return [
            {
                "territory_id": t.territory_id,
                "name": t.name,
                "level": t.level,
                "parent_id": t.parent_id,
                "top_down": t.top_down,
                "adjustment": t.adjustment,
                "rebalance": t.rebalance,
                "final": t.final,
                "reason": t.reason,
                "potential": t.potential if self.potential_known else None,
                "history": t.history,
                "productivity": exact_figure(t.productivity),
                **(dict(zip(self.months, t.months, strict=True)) if months else {}),
            }
            for t in self.territories
        ]

    def monthly_rows(self, *, leaves_only: bool = True) -> list[dict[str, object]]:
        return [
            {"territory_id": t.territory_id, "name": t.name,
             **dict(zip(self.months, t.months, strict=True)), "total": t.final}
            for t in self.territories
            if t.is_leaf or not leaves_only
        ]  # fmt: skip

    def quarterly_rows(self, *, leaves_only: bool = True) -> list[dict[str, object]]:
        """Months summed in threes from the period start (Q1 = first three months)."""
        out: list[dict[str, object]] = []
        for t in self.territories:
            if leaves_only and not t.is_leaf:
                continue
            row: dict[str, object] = {"territory_id": t.territory_id}
            for q in range(0, len(t.months), 3):
                row[f"Q{q // 3 + 1}"] = sum(t.months[q : q + 3])
            row["total"] = t.final
            out.append(row)
        return out

    def rep_rows(self) -> list[dict[str, object]]:
        return [
            {"rep_id": rep_id, "name": self.rep_names.get(rep_id) or rep_id,
             **dict(zip(self.months, values, strict=True)), "total": sum(values)}
            for rep_id, values in self.reps
        ]  # fmt: skip

    def to_dict(self) -> dict[str, object]:
        return {
            "plan_id": self.plan_id,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "method": self.method,
            "growth": self.growth,
            "unit": self.unit,
            "company_target": self.company_target,
            "bottom_up": self.bottom_up,
            "basis": self.basis.to_dict(),
            "revenue_source": self.basis.source,
            "months": list(self.months),
            "territories": self.rows(),
            "monthly": self.monthly_rows(),
            "reps": self.rep_rows(),
            "fairness": {**self.fairness.summary(), "rows": list(self.fairness.rows)},
            "warnings": list(self.warnings),
        }


def fairness_report(
    territories: Sequence[TerritoryTarget],
    rep_targets: Mapping[str, float],
    rep_history: Mapping[str, float],
    *,
    growth: float,
    threshold: float,
    allowance: float = 0.0,
) -> FairnessReport:
    """Fairness of the final leaf targets (see :class:`FairnessReport`; ``allowance`` is its
    ``rounding_allowance``)."""
    leaves = [t for t in territories if t.is_leaf]
    target = np.array([t.final for t in leaves])
    potential = np.array([t.potential for t in leaves])
    history = np.array([math.nan if t.history is None else max(t.history, 0.0) for t in leaves])
    to_pot = fair.safe_ratio(target, potential)
    to_hist = fair.safe_ratio(target, history)
    reach = fair.attainable(
        history, target, growth=growth, threshold=threshold, allowance=allowance
    )
    rows: tuple[dict[str, object], ...] = tuple(
        {
            "territory_id": t.territory_id,
            "name": t.name,
            "target": t.final,
            "potential": t.potential,
            "history": t.history,
            "target_to_potential": _num(to_pot[k]),
            "target_to_history": _num(to_hist[k]),
            "attainable": None if math.isnan(reach[k]) else bool(reach[k]),
        }
        for k, t in enumerate(leaves)
    )
    reps = sorted(rep_targets)
    rep_reach = fair.attainable(
        np.array([rep_history.get(r, math.nan) for r in reps]),
        np.array([rep_targets[r] for r in reps]),
        growth=growth,
        threshold=threshold,
        allowance=allowance,
    )
    return FairnessReport(
        rows=rows,
        cv_target_to_potential=_num(fair.coefficient_of_variation(to_pot)),
        gini_target_to_potential=_num(fair.gini(to_pot)),
        cv_target_to_history=_num(fair.coefficient_of_variation(to_hist)),
        gini_target_to_history=_num(fair.gini(to_hist)),
        attainable_share_territories=_share(reach),
        attainable_share_reps=_share(rep_reach),
        territories_without_history=int(np.isnan(history).sum()),
        territories_with_zero_potential=int((potential <= 0).sum()),
        threshold=threshold,
        rounding_allowance=allowance,
    )


def _num(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _share(flags: np.ndarray) -> float | None:
    known = flags[~np.isnan(flags)]
    return float(known.mean()) if known.size else None


def build_targets(
    plan_id: str,
    territories: Sequence[TerritoryTarget],
    reps: Sequence[tuple[str, tuple[float, ...]]],
    months: Sequence[tuple[int, int]],
) -> tuple[Target, ...]:
    """Domain targets: each node (region or territory) for the period and per month, each
    rep for the period and per month. Ids read ``<plan>/<territory or rep:id>/<YYYY-MM>[..<YYYY-MM>]``.

    A region's months are its territories' months added up: with its period target alone,
    KPIs spread it by days, so a region's year-to-date target differed from the sum of its
    territories' seasonal months (attainment 96 % against their 101 %)."""
    spans = [
        (date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1]), f"{y:04d}-{m:02d}")
        for y, m in months
    ]
    start, end = spans[0][0], spans[-1][1]
    whole = f"{spans[0][2]}..{spans[-1][2]}"
    out: list[Target] = []
    for t in territories:
        key = f"{plan_id}/{t.territory_id}"
        out.append(Target(f"{key}/{whole}", start, end, t.final, territory_id=t.territory_id,
                          plan_id=plan_id))  # fmt: skip
        out.extend(
            Target(f"{key}/{label}", first, last, amount, territory_id=t.territory_id,
                   plan_id=plan_id)
            for (first, last, label), amount in zip(spans, t.months, strict=True)
        )  # fmt: skip
    for rep_id, values in reps:
        key = f"{plan_id}/rep:{rep_id}"
        out.append(Target(f"{key}/{whole}", start, end, float(sum(values)), rep_id=rep_id,
                          plan_id=plan_id))  # fmt: skip
        out.extend(
            Target(f"{key}/{label}", first, last, amount, rep_id=rep_id, plan_id=plan_id)
            for (first, last, label), amount in zip(spans, values, strict=True)
        )
    return tuple(out)


def rollup(
    parent: np.ndarray, depth: np.ndarray, leaves: Sequence[int], leaf_values: np.ndarray
) -> np.ndarray:
    """Sum leaf values ``(n_leaves, ...)`` up the tree -> ``(n_nodes, ...)`` (int64)."""
    out = np.zeros((parent.size, *leaf_values.shape[1:]), dtype=np.int64)
    out[np.asarray(leaves, dtype=np.int64)] = leaf_values
    for d in range(int(depth.max()), 0, -1):
        nodes = np.flatnonzero(depth == d)
        np.add.at(out, parent[nodes], out[nodes])
    return out


def split_to_reps(
    owners: Sequence[Sequence[tuple[str | None, Any]]], leaf_months: np.ndarray
) -> dict[str, np.ndarray]:
    """Split each leaf's months among its owners -> ``rep id -> (n_months,)`` units. An
    owner's weight is one number, or ``(n_months,)`` (month by month: a rep not yet hired
    weighs 0 that month). An owner None is the part no rep carries: its units stay with the
    territory and go to no rep."""
    n_months = leaf_months.shape[1]
    rep_ids: list[str | None] = []
    weights: list[float] = []
    group: list[int] = []
    for k, listed in enumerate(owners):
        for rep_id, w in listed:
            rep_ids.extend([rep_id] * n_months)
            weights.extend(np.broadcast_to(np.asarray(w, dtype=np.float64), (n_months,)).tolist())
            group.extend(range(k * n_months, (k + 1) * n_months))
    out: dict[str, np.ndarray] = {}
    if not rep_ids:
        return out
    has_owner = np.array([bool(o) for o in owners])
    totals = np.where(has_owner[:, None], leaf_months, 0).reshape(-1)
    units, _ = alloc.allocate_groups(totals, np.array(group), np.array(weights))
    by_owner = units.reshape(-1, n_months).copy()
    _even_out_ties(owners, by_owner)
    for rep_id, month_units in zip(rep_ids[::n_months], by_owner, strict=True):
        if rep_id is None:
            continue
        if rep_id in out:
            out[rep_id] = out[rep_id] + month_units
        else:
            out[rep_id] = month_units.copy()
    return out


def _even_out_ties(owners: Sequence[Sequence[tuple[str | None, Any]]], units: np.ndarray) -> None:
    """In place, ``units (n_owner_rows, n_months)``: reps who own territories together with
    equal weights end the year within one unit of each other. Each month's largest-remainder
    split gives a tie's unit to the first owner listed, every month and in every territory; a
    unit is handed back in a month where the two differ by exactly that one unit, so every
    month stays exact and each owner's month within one unit of their share. Compared on the
    reps' whole years (all their territories), so the odd units do not pile up."""
    rows_of: list[list[tuple[str, Any, int]]] = []
    row = 0
    for listed in owners:
        # the part no rep carries (None) is no rep's year to even out
        rows_of.append([(rep, w, row + i) for i, (rep, w) in enumerate(listed) if rep is not None])
        row += len(listed)
    year: dict[str, float] = {}
    for rows in rows_of:
        for rep, _, r in rows:
            year[rep] = year.get(rep, 0.0) + float(units[r].sum())
    for rows in rows_of:
        for i, (rep_a, w_a, a) in enumerate(rows):
            for rep_b, w_b, b in rows[i + 1 :]:
                if rep_a == rep_b or not np.array_equal(np.asarray(w_a), np.asarray(w_b)):
                    continue
                while abs(year[rep_a] - year[rep_b]) > 1:
                    rich, poor = (a, b) if year[rep_a] > year[rep_b] else (b, a)
                    months = np.flatnonzero(units[rich] - units[poor] == 1)
                    if months.size == 0:
                        break
                    units[rich, months[0]] -= 1
                    units[poor, months[0]] += 1
                    richer, poorer = (rep_a, rep_b) if rich == a else (rep_b, rep_a)
                    year[richer] -= 1
                    year[poorer] += 1


def rep_history(
    owners: Sequence[Sequence[tuple[str | None, Any]]],
    history: np.ndarray,
    season: np.ndarray | None = None,
) -> dict[str, float]:
    """Each rep's share of the history of the territories they own (NaN if none has any).

    A weight given month by month counts each month by ``season`` (``(n_leaves, n_months)``,
    the months' weights the targets are spread by), else evenly: a rep who carries August to
    December is compared with those months' share of the history, as their target is. The
    part no rep carries (owner None) takes its share and gives it to no rep."""
    out: dict[str, float] = {}
    for k, given in enumerate(owners):
        listed = [
            (rep_id, _weighted(w, None if season is None else season[k])) for rep_id, w in given
        ]
        total = sum(w for _, w in listed)
        for rep_id, w in listed:
            if rep_id is None:
                continue
            before = out.get(rep_id, math.nan)
            if math.isnan(history[k]) or total <= 0:
                out[rep_id] = before
                continue
            part = max(float(history[k]), 0.0) * w / total
            out[rep_id] = part if math.isnan(before) else before + part
    return out


def _weighted(weight: Any, season: np.ndarray | None) -> float:
    """A weight (one number or ``(n_months,)``) as one number: its months by ``season``."""
    w = np.asarray(weight, dtype=np.float64)
    if w.ndim == 0:
        return float(w)
    if season is None or not np.asarray(season).sum() > 0:
        return float(w.mean())
    return float((w * season).sum() / np.asarray(season).sum())


def territory_records(
    nodes: Sequence[Territory],
    parent: np.ndarray,
    leaves: Sequence[int],
    layers: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    reasons: Sequence[str | None],
    facts: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    step: float,
) -> list[TerritoryTarget]:
    top_down, final, months, delta, offset = layers
    basis, potential, history, productivity = facts
    leaf_k = {i: k for k, i in enumerate(leaves)}
    n = len(nodes)
    pot_all = rollup(parent, alloc.tree_depth(parent), leaves, np.round(potential).astype(np.int64))
    records = []
    for i in range(n):
        k = leaf_k.get(i)
        hist = None if k is None or math.isnan(history[k]) else float(history[k])
        records.append(
            TerritoryTarget(
                territory_id=nodes[i].id,
                name=nodes[i].name,
                level=nodes[i].level,
                parent_id=nodes[i].parent_id,
                is_leaf=k is not None,
                top_down=float(top_down[i]) * step,
                adjustment=float(delta[k]) * step if k is not None else 0.0,
                rebalance=float(offset[k]) * step if k is not None else 0.0,
                final=float(final[i]) * step,
                months=tuple(float(v) * step for v in months[i]),
                potential=float(potential[k]) if k is not None else float(pot_all[i]),
                history=hist,
                basis_share=float(basis[k]) if k is not None else math.nan,
                productivity=float(productivity[k]) if k is not None else 1.0,
                reason=reasons[k] if k is not None else None,
            )
        )
    return records
