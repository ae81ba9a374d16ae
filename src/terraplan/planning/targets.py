"""Targets (quotas): a company number split top-down through the plan's hierarchy to
territories, reps and months — exact at every level — plus bottom-up adjustments kept as a
separate layer and a fairness report.

Method (selectable and combinable): ``"history"`` (prior period x (1 + growth)),
``"potential"`` (share of potential), ``"blend:history=0.6,potential=0.4"``; append
``"+capacity"`` to give territories of new or ramping reps a reduced share. Amounts are in
currency, rounded to whole multiples of ``unit`` with the largest-remainder rule; without a
``unit`` it follows the figures (:mod:`~terraplan.planning.target_units`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

import numpy as np

from terraplan.domain import (
    Account,
    Opportunity,
    Plan,
    Rep,
    SalesLine,
    Territory,
    TerritoryType,
)
from terraplan.domain.names import distinct_labels
from terraplan.engine import quota_allocation as alloc
from terraplan.engine import quotas
from terraplan.errors import DataError, InvalidParameterError
from terraplan.planning.fiscal import FiscalCalendar
from terraplan.planning.reps_support import (
    account_territories,
    parse_amount,
    parse_percent,
)
from terraplan.planning.revenue import RevenueHistory, describe_source, revenue_history
from terraplan.planning.target_basis import (
    HistoryBasis,
    calendar_coverage,
    data_coverage,
    history_basis,
    month_profile,
    period_months,
    resolve_period,
    seasonal_sales,
    span,
    uncovered_months_note,
)
from terraplan.planning.target_layers import (
    Adjustment,
    adjust,
    company_total,
    contradiction,
    leaf_adjustments,
    parse_adjustment,
)
from terraplan.planning.target_method import TargetMethod, parse_method
from terraplan.planning.target_owners import OwnerSpan, leaf_owners, mixed_owners_note
from terraplan.planning.target_report import (
    FairnessReport,
    TargetPlan,
    TerritoryTarget,
    build_targets,
    fairness_report,
    rep_history,
    split_to_reps,
    territory_records,
)
from terraplan.planning.target_units import Split, choose_unit, given_unit_note, split_in

__all__ = [
    "Adjustment",
    "FairnessReport",
    "HistoryBasis",
    "TargetMethod",
    "TargetPlan",
    "TerritoryTarget",
    "parse_adjustment",
    "parse_amount",
    "parse_method",
    "parse_percent",
    "set_targets",
]


def set_targets(
    plan: Plan,
    accounts: Sequence[Account],
    sales_lines: Iterable[SalesLine],
    reps: Sequence[Rep] | None = None,
    *,
    company_target: float | str | None = None,
    method: str | TargetMethod = "blend:history=0.6,potential=0.4",
    growth: float | str = 0.08,
    period: int | str | tuple[date, date] | None = None,
    history_period: tuple[date, date] | None = None,
    unit: float | str | None = None,
    seasonality: str | Sequence[float] = "history",
    ramp_months: int = 6,
    adjustments: Sequence[Adjustment] = (),
    rebalance_adjustments: bool = False,
    attainability_threshold: float = 1.0,
    contradiction_tolerance: float = 0.15,
    on_contradiction: str = "warn",
    opportunities: Iterable[Opportunity] = (),
    revenue_source: str = "auto",
    as_of: date | None = None,
    territory_of: Mapping[str, str] | None = None,
    fiscal: FiscalCalendar | int | None = None,
    owner_spans: Sequence[OwnerSpan] = (),
) -> TargetPlan:
    """Set targets for every territory of ``plan`` (overlays excluded), its reps and months.

    Revenue history is :func:`~terraplan.planning.revenue.revenue_history` of
    ``sales_lines`` and ``opportunities`` (``revenue_source``: ``auto`` = sales lines when
    there are any, else Closed Won opportunities at their close date). Its coverage runs to
    the last month of data (never past the last month completed before ``as_of``).

    ``period``: a year, a period text (``2027``, ``FY2027``, ``FY2027Q1``, ``2027-03``: see
    :func:`~terraplan.planning.kpi_periods.parse_period`) or an inclusive ``(first day, last
    day)`` of whole months; defaults to the plan's effective dates, else the year after the
    revenue history. Years are the fiscal years of ``fiscal`` (a
    :class:`~terraplan.planning.fiscal.FiscalCalendar` or the start month; default: calendar
    years), so that targets match the KPIs' fiscal periods. ``history_period``
    defaults to the same number of months just before ``period``, moved back to end with the
    data when the data ends earlier ("last 12 months to 2026-10-31"), and scaled up when the
    data holds fewer months ("2026 annualised from 10 months"); ``TargetPlan.basis`` says
    which. ``territory_of`` (account id -> leaf territory id) defaults to
    ``account_territories(plan, accounts)``. ``company_target``
    (e.g. ``"120M"``, a multiple of ``unit``) defaults to the bottom-up figure, history x
    (1 + growth), with ``+capacity`` also x each territory's owners' productivity. ``unit``:
    targets are whole multiples of it; by default the largest of 1,000, 100, 10 and 1 that is
    at most 1 % of the smallest target (and divides the company number and the adjustments);
    a unit given that moves a target by more than 1 % is noted. Leaf territories are weighted
    by the method's basis; the company number goes down the hierarchy by largest remainder,
    exact at every level. ``adjustments`` (each naming a leaf territory by id or by name) form
    a separate bottom-up layer (``rebalance_adjustments`` offsets them on the other
    territories so the company total holds). Months follow ``seasonality``: ``"history"``
    (company monthly pattern), ``"territory"`` (each territory's own, else the company's),
    ``"flat"``, or 12 monthly / 4 quarterly weights (a list or ``"4,3,2,1"``). Reps get
    their territories' months split by owner share (x productivity with ``+capacity``);
    without it, months begun by ``as_of`` that other reps owned the accounts of (``owner_spans``)
    go to those reps, as KPIs credit them with those months' sales. With ``+capacity`` a territory keeps its months before its owner's hire at productivity
    1, carried by its accounts' owners then (``owner_spans``, the recorded ownership periods:
    :mod:`~terraplan.planning.target_owners`), else by no rep; a note names them.
    Warnings (missing history, zero potential, negative growth, vacant territories, a
    company number more than ``contradiction_tolerance`` off the bottom-up figure) go to
    ``TargetPlan.warnings``; with ``on_contradiction="error"`` the last is a DataError.
    """
    how = parse_method(method)
    rate = parse_percent(growth, name="growth")
    if isinstance(growth, str) and not growth.strip().endswith("%") and abs(rate) > 1:
        # "8" is far likelier a typo for 8% than a wish for +800 %: a rate above 100 % is
        # written as a percentage or it is refused
        shown = growth.strip()
        raise InvalidParameterError(
            f"growth {shown} reads as {rate:+.0%}: write {shown}% for {float(shown):g} percent "
            f"(or {float(shown) / 100:g}), or {rate:.0%} if you mean it",
            details={"parameter": "growth", "value": shown},
        )
    step = None if unit is None else parse_amount(unit, name="unit")
    if step is not None and not step > 0:
        raise InvalidParameterError(
            f"unit must be > 0, got {step:g}", details={"parameter": "unit"}
        )
    revenue = revenue_history(sales_lines, opportunities, source=revenue_source)
    coverage = data_coverage([line.date for line in revenue.lines], as_of)
    start, end = resolve_period(period, (plan.effective_from, plan.effective_to), coverage, fiscal)
    months = period_months(start, end)
    window = history_basis(start, len(months), coverage, revenue.source, history_period)
    if not (math.isfinite(contradiction_tolerance) and contradiction_tolerance >= 0):
        raise InvalidParameterError("contradiction_tolerance must be a number >= 0")
    if on_contradiction not in ("warn", "error"):
        raise InvalidParameterError("on_contradiction must be 'warn' or 'error'")
    if rate <= -1:
        raise InvalidParameterError(
            f"growth must be > -100%, got {rate:.1%}", details={"parameter": "growth"}
        )
    if how.capacity_adjusted and reps is None:
        raise InvalidParameterError("method +capacity needs the reps (their hire dates)")
    warnings: list[str] = list(revenue.notes)
    if rate < 0:
        warnings.append(f"growth is negative ({rate:.1%}): targets fall below last period's sales")

    nodes = _nodes(plan, warnings)
    node_ix = {t.id: i for i, t in enumerate(nodes)}
    parent = np.array([node_ix.get(t.parent_id or "", -1) for t in nodes], dtype=np.int64)
    is_leaf = np.ones(len(nodes), bool)
    is_leaf[parent[parent >= 0]] = False
    leaves = [int(i) for i in np.flatnonzero(is_leaf)]
    leaf_pos = {nodes[i].id: k for k, i in enumerate(leaves)}
    adjustments = leaf_adjustments(adjustments, plan.territories, leaf_pos)
    leaf_names = {nodes[i].id: nodes[i].name for i in leaves}

    counts = calendar_coverage(coverage)
    closed = {a.id for a in accounts if a.closed_on is not None}
    if closed:
        gone = [
            line
            for line in revenue.lines
            if line.account_id in closed and window.start <= line.date <= window.end
        ]
        if gone:
            warnings.append(
                f"{len({line.account_id for line in gone}):,} closed account(s) sold "
                f"{sum(line.amount for line in gone):,.0f} in {span(window.start, window.end)}: "
                "left out of the history the targets grow from (they will not buy again)"
            )
    potential, history, monthly_hist, company_monthly, leaf_accounts = _facts(
        accounts, revenue, leaf_pos, window, counts,
        account_territories(plan, accounts) if territory_of is None else territory_of,
    )  # fmt: skip
    if how.history > 0 and np.all(np.isnan(history)):
        raise DataError(
            f"no territory has revenue history in {span(window.start, window.end)} (revenue "
            f"source: {describe_source(revenue.source)}), so a history-based target cannot be "
            "set; use method potential, load sales lines or Closed Won opportunities, or choose "
            "another revenue source or period",
            details={"field": "history", "reason": "missing"},
        )
    if how.capacity_adjusted:
        warnings.append(
            f"capacity-adjusted: a rep hired in the period carries nothing before the hire "
            f"month and ramps to full productivity over {ramp_months} month"
            f"{'' if ramp_months == 1 else 's'}; their territory keeps its months before the "
            "hire in full, carried by whoever owned its accounts then, else by no rep"
        )
    rep_labels = distinct_labels((r.id, r.name) for r in reps or ())  # namesakes apart
    carriers = leaf_owners(
        nodes, leaves, reps, how, ramp_months, months, warnings,
        leaf_accounts=leaf_accounts, owner_spans=owner_spans, as_of=as_of, labels=rep_labels,
    )  # fmt: skip
    productivity, monthly, owners = carriers.productivity, carriers.monthly, carriers.owners
    profile_notes: list[str] = []
    note = uncovered_months_note(counts)
    if note and isinstance(seasonality, str) and seasonality.strip().lower() != "flat":
        profile_notes.append(note)
    profile = month_profile(
        seasonality, months, monthly_hist, company_monthly, profile_notes, fiscal
    )
    if how.capacity_adjusted:
        # a territory's productivity weighs each month by its season, as its months are split:
        # a ramp through the busy months costs more than one through the quiet ones
        seasons = np.broadcast_to(profile, (len(leaves), len(months)))
        weights = seasons.sum(axis=1)
        productivity = np.where(
            weights > 0,
            (seasons * monthly).sum(axis=1) / np.where(weights > 0, weights, 1.0),
            productivity,
        )
    mixed = mixed_owners_note(
        [nodes[i].name for i in leaves], carriers, months,
        leaf_accounts=leaf_accounts, owner_spans=owner_spans, labels=rep_labels,
        hires={r.id: r.hire_date for r in reps or ()}, as_of=as_of,
    )  # fmt: skip
    if mixed:
        warnings.append(mixed)
    basis = quotas.quota_basis(
        history,
        potential,
        history_weight=how.history,
        potential_weight=how.potential,
        growth=rate,
        productivity=productivity if how.capacity_adjusted else None,
    )
    _data_warnings(nodes, leaves, history, potential, basis, how, warnings)
    # What the territories would sell at last period's sales x growth; with +capacity also x
    # their owners' productivity, the figure the targets are built on (a company number
    # checked against the plain sum looked 16 % high where it was 22 %).
    grown = basis.history_used * (1 + rate)
    bottom_up = float((grown * productivity if how.capacity_adjusted else grown).sum())
    formula = f"history x {1 + rate:g}" + (" x productivity" if how.capacity_adjusted else "")
    weight = np.zeros(len(nodes))
    weight[leaves] = basis.basis

    season = np.broadcast_to(profile, (len(leaves), len(months)))
    if how.capacity_adjusted:
        # each territory's months follow the season and its owners' productivity that month
        shaped = np.broadcast_to(profile, (len(leaves), len(months))) * monthly
        profile = np.where(shaped.sum(axis=1, keepdims=True) > 0, shaped, profile)

    def split(unit_step: float, notes: list[str]) -> Split:
        def months_of(units: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
            leaf_months = alloc.allocate_rows(units, profile)
            return leaf_months, split_to_reps(owners, leaf_months)

        return split_in(
            unit_step, parent, weight, leaves,
            lambda s, w: company_total(company_target, bottom_up, s, str(how), w, formula),
            lambda top, s, total, w: adjust(
                adjustments, leaf_pos, top, s, rebalance_adjustments, total, w, leaf_names
            ),
            months_of, notes,
        )  # fmt: skip

    labels = (
        [t.name for t in nodes], leaves, [f"{y:04d}-{m:02d}" for y, m in months],
        rep_labels,
    )  # fmt: skip
    if step is None:
        # The unit follows the figures: split in whole currency units first, then in the
        # largest unit that moves no target by more than 1 %.
        fine = split(1.0, [])
        fixed = [a.amount for a in adjustments]
        if company_target is not None:
            fixed.append(parse_amount(company_target, name="company_target"))
        step = choose_unit(fine.figures(*labels)[1], fixed)
        final_split = split(step, warnings)
    else:
        final_split = split(step, warnings)
        rounding = given_unit_note(split, final_split, labels)
        if rounding:
            warnings.append(rounding)
    total, tree = final_split.total, final_split.tree
    delta, offset, reasons = final_split.delta, final_split.offset, final_split.reasons
    if company_target is not None and np.any(~np.isnan(history)):
        contradiction(
            total * step, bottom_up, formula, contradiction_tolerance, on_contradiction, warnings
        )
    if tree.equal_split.size:
        names = [nodes[i].id if i >= 0 else "(company)" for i in tree.equal_split[:3]]
        warnings.append(
            f"{tree.equal_split.size} node(s) had no basis under them and split equally "
            f"(e.g. {', '.join(names)})"
        )
    warnings.extend(profile_notes)
    known = any(a.potential is not None and a.closed_on is None for a in accounts)
    if not known:
        warnings.append(
            "no account carries a potential: the potential column is empty (unknown, not 0);"
            " import it with the accounts to see it"
        )
    node_months = final_split.node_months
    final = node_months.sum(axis=1)
    records = territory_records(
        nodes,
        parent,
        leaves,
        (tree.units, final, node_months, delta, offset),
        reasons,
        (basis.basis, potential, history, productivity),
        step,
    )
    rep_units = final_split.rep_units
    rep_rows = tuple(
        (rep_id, tuple(float(v) * step for v in rep_units[rep_id])) for rep_id in sorted(rep_units)
    )
    history_by_rep = rep_history(owners, history, season)
    fairness = fairness_report(
        records,
        {rep_id: sum(values) for rep_id, values in rep_rows},
        history_by_rep,
        growth=rate,
        threshold=attainability_threshold,
        # Largest remainder moves a figure by under one unit at each level it is split
        # through, and the bottom-up company number by half a unit; the last unit covers a
        # shared territory's split between its reps.
        allowance=step * (int(tree.depth[leaves].max()) + 2),
    )
    return TargetPlan(
        plan_id=plan.id,
        period_start=start,
        period_end=end,
        method=str(how),
        growth=rate,
        unit=step,
        company_target=total * step,
        bottom_up=bottom_up,
        bottom_up_formula=formula,
        months=tuple(f"{y:04d}-{m:02d}" for y, m in months),
        territories=tuple(records),
        reps=rep_rows,
        fairness=fairness,
        targets=build_targets(plan.id, records, rep_rows, months),
        basis=window,
        warnings=tuple(warnings),
        rep_names={r.id: r.name for r in reps or ()},
        potential_known=known,
    )


# ----------------------------------------------------------------------------- helpers


def _nodes(plan: Plan, warnings: list[str]) -> list[Territory]:
    by_id = {t.id: t for t in plan.territories}

    def in_overlay(tid: str | None) -> bool:
        while tid is not None:
            if by_id[tid].type is TerritoryType.OVERLAY:
                return True
            tid = by_id[tid].parent_id
        return False

    nodes = [t for t in plan.territories if not in_overlay(t.id)]
    if len(nodes) < len(plan.territories):
        warnings.append(
            f"{len(plan.territories) - len(nodes)} overlay territory(ies) get no share of the "
            "company target"
        )
    if not nodes:
        raise DataError("the plan has no territories to set targets for")
    return nodes


def _facts(
    accounts: Sequence[Account],
    revenue: RevenueHistory,
    leaf_pos: dict[str, int],
    window: HistoryBasis,
    counts: np.ndarray,
    territory_of: Mapping[str, str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[dict[str, float]]]:
    """Per leaf: potential, history in the window (x the window's factor, NaN without any)
    and average sales per calendar month over the data coverage; the company's months; per
    leaf, its open accounts and their sales in the window (currency)."""
    n = len(leaf_pos)
    account_leaf: dict[str, int] = {}
    potential = np.zeros(n)
    by_leaf: list[dict[str, float]] = [{} for _ in range(n)]
    for a in accounts:
        if a.closed_on is not None:
            continue  # closed: it buys nothing next period, so neither its sales nor potential
        k = leaf_pos.get(territory_of.get(a.id, ""))
        if k is not None:
            account_leaf[a.id] = k
            by_leaf[k][a.id] = 0.0
            potential[k] += a.potential or 0.0
    history = np.zeros(n)
    seen = np.zeros(n, dtype=bool)
    monthly = np.zeros((n, 12))
    first, last = window.data_start, window.data_end
    for line in revenue.lines:
        k = account_leaf.get(line.account_id)
        if k is None or first is None or last is None or not first <= line.date <= last:
            continue
        monthly[k, line.date.month - 1] += line.amount
        if window.start <= line.date <= window.end:
            history[k] += line.amount
            by_leaf[k][line.account_id] += line.amount
            seen[k] = True
    history *= window.factor
    history[~seen] = np.nan
    company = seasonal_sales(monthly.sum(axis=0), counts)[0]
    return potential, history, seasonal_sales(monthly, counts), company, by_leaf


def _data_warnings(
    nodes: Sequence[Territory],
    leaves: Sequence[int],
    history: np.ndarray,
    potential: np.ndarray,
    basis: quotas.QuotaBasis,
    how: TargetMethod,
    warnings: list[str],
) -> None:
    ids = [nodes[i].name for i in leaves]  # names, as the user knows them
    missing = [ids[k] for k in np.flatnonzero(basis.imputed)]
    if missing and how.history > 0:
        ratio = basis.history_to_potential
        warnings.append(
            f"{len(missing)} territory(ies) have no sales history (e.g. {_few(missing)}); their "
            f"history part uses potential x {0.0 if math.isnan(ratio) else ratio:.4f}, the "
            "history/potential ratio of the territories that have history"
        )
    negative = [ids[k] for k in np.flatnonzero(np.nan_to_num(history) < 0)]
    if negative:
        warnings.append(
            f"{len(negative)} territory(ies) have negative net sales history (returns exceed "
            f"sales; e.g. {_few(negative)}); counted as 0"
        )
    zero = [ids[k] for k in np.flatnonzero(potential <= 0)]
    if zero and how.potential > 0:
        warnings.append(
            f"{len(zero)} territory(ies) have zero potential (e.g. {_few(zero)}); they get "
            "nothing from the potential part"
        )


def _few(ids: Sequence[str]) -> str:
    return ", ".join(repr(i) for i in ids[:3]) + (" ..." if len(ids) > 3 else "")
