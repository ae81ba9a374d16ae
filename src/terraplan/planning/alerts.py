"""Alerts with reasons, and a realignment recommendation when the plan has drifted."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date

import polars as pl

from terraplan.errors import InvalidParameterError
from terraplan.planning.balance_criteria import BalanceCriteria
from terraplan.planning.capacity_notes import CapacityGap, capacity_gap
from terraplan.planning.fiscal import FiscalCalendar, fiscal_calendar
from terraplan.planning.kpi_balance import (
    BALANCE_METRICS,
    carried_metrics,
    rep_capacity,
    territory_balance,
    territory_totals,
)
from terraplan.planning.kpi_groups import open_account_table, territory_table
from terraplan.planning.kpi_inputs import FrameLike, KpiInputs, as_lazy, optional_columns
from terraplan.planning.kpi_periods import current_quarter, parse_period
from terraplan.planning.kpis import compute_kpis, data_dates
from terraplan.planning.team_capacity import DEFAULT_UTILIZATION, load_in_words
from terraplan.planning.vacant_territories import vacant_reasons

#: Alert kinds in report order.
ALERT_KINDS: tuple[str, ...] = (
    "balance",
    "pace",
    "pipeline_coverage",
    "rep_capacity",
    "inactive_owner",
    "vacant_territory",
    "unowned_account",
    "drift",
)


@dataclass(frozen=True, slots=True)
class AlertThresholds:
    """When alerts fire. Ratios are plain fractions (0.10 = 10 %).

    - ``balance_tolerance``: a territory's potential/workload/account count more than this
      away from the mean over territories.
    - ``min_pace``: attainment / elapsed share of the period below this.
    - ``min_pipeline_coverage``: open pipeline / remaining target below this.
    - ``capacity_tolerance``: a rep's workload (or accounts) above capacity x (1 + this).
    - ``utilization``: the share of a rep's selling hours (``capacity_hours``) the workload
      may take, as ``terraplan capacity --utilization`` sizes the team
      (:mod:`terraplan.planning.team_capacity`).
    - ``large_account_quantile`` / ``large_account_min_potential``: an account is large when
      its potential is at least the given minimum, else at least this quantile of potentials.
    - ``drift_threshold``: a territory's total of a metric the design balanced (one monitoring
      totals from accounts) moved more than this vs the design totals.
    - ``max_out_of_balance_share``: share of territories out of balance that calls for a
      realignment.
    """

    balance_tolerance: float = 0.10
    min_pace: float = 0.90
    min_pipeline_coverage: float = 3.0
    capacity_tolerance: float = 0.10
    large_account_quantile: float = 0.90
    large_account_min_potential: float | None = None
    drift_threshold: float = 0.15
    max_out_of_balance_share: float = 0.25
    utilization: float = DEFAULT_UTILIZATION

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if value is None:
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                raise InvalidParameterError(
                    f"{name} must be a finite number >= 0", details={"field": name, "value": value}
                )
        if not 0 < self.utilization <= 1:
            raise InvalidParameterError(
                f"utilization must be in (0, 1], got {self.utilization:g}",
                details={"field": "utilization", "value": self.utilization},
            )
        if self.large_account_quantile > 1 or self.max_out_of_balance_share > 1:
            raise InvalidParameterError(
                "quantiles and shares must be <= 1", details={"field": "large_account_quantile"}
            )


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert: what (``kind``), about whom (``subject_kind``/``subject_id``), why."""

    kind: str
    severity: str
    subject_kind: str
    subject_id: str
    metric: str
    value: float | None
    threshold: float | None
    reason: str


@dataclass(frozen=True, slots=True)
class RealignmentRecommendation:
    recommended: bool
    reasons: tuple[str, ...] = ()
    territories: tuple[str, ...] = ()
    #: The ``territories``' names, in the same order (an id when the territory has none).
    territory_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AlertReport:
    alerts: tuple[Alert, ...]
    realignment: RealignmentRecommendation
    period: str
    as_of: date
    thresholds: AlertThresholds = field(default_factory=AlertThresholds)
    #: The balance criteria the plan was judged by (None: ``thresholds.balance_tolerance``
    #: on every territory).
    criteria: BalanceCriteria | None = None
    #: Checks that could not run, said plainly (e.g. no rep capacity in the rep data).
    notes: tuple[str, ...] = ()
    #: The reps whose capacity is unknown, with their load: the capacity note of
    #: :attr:`notes`, kept so that a caller who sees some reps only is told of those.
    capacity_gap: CapacityGap = field(default_factory=CapacityGap)

    def to_frame(self) -> pl.DataFrame:
        """The alerts as a DataFrame (one row per alert, columns = :class:`Alert` fields)."""
        schema = {
            "kind": pl.String,
            "severity": pl.String,
            "subject_kind": pl.String,
            "subject_id": pl.String,
            "metric": pl.String,
            "value": pl.Float64,
            "threshold": pl.Float64,
            "reason": pl.String,
        }
        return pl.DataFrame([asdict(a) for a in self.alerts], schema=schema)


def evaluate_alerts(
    inputs: KpiInputs,
    *,
    kpis: pl.DataFrame | None = None,
    period: str | None = None,
    as_of: date | None = None,
    thresholds: AlertThresholds | None = None,
    design_totals: FrameLike | Mapping[str, float] | None = None,
    criteria: BalanceCriteria | None = None,
    fiscal: FiscalCalendar | int | None = None,
) -> AlertReport:
    """Check the plan and the period's KPIs against ``thresholds``.

    Args:
        inputs: the KPI inputs.
        kpis: a :func:`compute_kpis` frame that holds territory rows for ``period``; computed
            when omitted.
        period: the period to check pace and coverage on (a text
            :func:`~terraplan.planning.kpi_periods.parse_period` reads; the report names its
            label); default the (fiscal) quarter holding ``as_of``.
        as_of: default the latest data date.
        design_totals: territory totals when the plan was designed: a mapping
            ``territory_id -> potential`` or a frame with ``territory_id`` and ``potential``
            (and optionally ``workload``). Enables drift alerts. Default: the design
            totals held by ``criteria``.
        criteria: the plan's balance criteria (:func:`plan_balance_criteria`): balance is
            checked on its metrics, tolerances, targets and territories only, and
            ``thresholds.balance_tolerance`` is not used.
        fiscal: the fiscal calendar of quarters and years (default: calendar years); ``kpis``
            must have been computed with the same one.
    """
    limits = thresholds or AlertThresholds()
    if as_of is None:
        as_of = data_dates(inputs)[1] or date.today()
    calendar = fiscal_calendar(fiscal)
    if period is None:
        label = current_quarter(as_of, calendar).label
    elif period.strip().lower() in ("month", "quarter", "year"):
        label = period  # a grain names no one period: no pace or coverage rows
    else:
        label = parse_period(period, as_of=as_of, fiscal=calendar).label
    alerts: list[Alert] = []

    only: set[str] | None = None
    if criteria is not None:
        balance = territory_balance(inputs, criteria=criteria)
        if design_totals is None and criteria.design_totals:
            design_totals = _baseline_frame(criteria)
            only = set(criteria.design_totals)  # territories the design made
    else:
        balance = territory_balance(inputs, tolerance=limits.balance_tolerance)
    out = balance.filter(~pl.col("within_tolerance")) if not balance.is_empty() else balance
    target = "target" if criteria is not None else "mean"
    for r in out.iter_rows(named=True):
        direction = "above" if r["value"] > r["mean"] else "below"
        alerts.append(
            Alert(
                "balance", "warning", "territory", r["territory_id"], r["metric"], r["value"],
                r["upper"] if direction == "above" else r["lower"],
                f"{r['metric']} {_num(r['value'])} is {direction} the ±{r['tolerance']:.0%} "
                f"band [{_num(r['lower'])}, {_num(r['upper'])}] around the {target} "
                f"{_num(r['mean'])}",
            )
        )  # fmt: skip

    if kpis is None:
        kpis = compute_kpis(
            inputs, periods=[label], as_of=as_of, dimensions=["territory"], fiscal=calendar
        )
    rows = kpis.filter((pl.col("dimension") == "territory") & (pl.col("period") == label))
    for r in rows.filter(pl.col("pace_to_target") < limits.min_pace).iter_rows(named=True):
        alerts.append(
            Alert(
                "pace", "critical" if r["pace_to_target"] < limits.min_pace / 2 else "warning",
                "territory", r["key"], "pace_to_target", r["pace_to_target"], limits.min_pace,
                f"{label}: attainment {r['attainment']:.0%} with {r['elapsed_share']:.0%} of the "
                f"period gone (pace {_below(r['pace_to_target'], limits.min_pace, 2)})",
            )
        )  # fmt: skip
    low_cover = rows.filter(pl.col("pipeline_coverage") < limits.min_pipeline_coverage)
    for r in low_cover.iter_rows(named=True):
        alerts.append(
            Alert(
                "pipeline_coverage", "warning", "territory", r["key"], "pipeline_coverage",
                r["pipeline_coverage"], limits.min_pipeline_coverage,
                f"{label}: open pipeline {r['open_pipeline']:,.0f} covers "
                f"{r['pipeline_coverage']:.1f}x the remaining target "
                f"{r['target'] - r['revenue']:,.0f} "
                f"({_below(r['pipeline_coverage'], limits.min_pipeline_coverage, 1)}x)",
            )
        )  # fmt: skip

    capacity = rep_capacity(
        inputs, tolerance=limits.capacity_tolerance, utilization=limits.utilization
    )
    for r in capacity.filter(pl.col("status") == "over").iter_rows(named=True):
        hours, accounts = r["hours_utilisation"], r["accounts_utilisation"]
        worst = max(v for v in (hours, accounts) if v is not None)
        alerts.append(
            Alert(
                "rep_capacity", "warning", "rep", r["rep_id"], "utilisation", worst,
                1 + limits.capacity_tolerance,
                f"rep carries {worst:.0%} of capacity: {load_in_words(r, limits.utilization)}",
            )
        )  # fmt: skip

    # reps with a load and no capacity are named with it, not passed as fine
    gap = capacity_gap(inputs, capacity)

    alerts.extend(_inactive_owners(inputs))
    alerts.extend(
        Alert("vacant_territory", "warning", "territory", tid, "owner", None, None, why)
        for tid, why in vacant_reasons(inputs)
    )
    alerts.extend(_unowned_accounts(inputs, limits))
    drift_alerts = _drift(inputs, design_totals, limits, only)
    alerts.extend(drift_alerts)

    order = {k: i for i, k in enumerate(ALERT_KINDS)}
    alerts.sort(key=lambda a: (order[a.kind], a.subject_id, a.metric))
    frame = inputs.territories
    names: dict[str, str] = {}
    if frame is not None and "name" in frame.columns:
        names = dict(zip(frame["id"].to_list(), frame["name"].to_list(), strict=True))
    realignment = _recommend(balance, drift_alerts, limits, criteria, names)
    return AlertReport(
        tuple(alerts),
        realignment,
        label,
        as_of,
        limits,
        criteria,
        notes=tuple(gap.notes()),
        capacity_gap=gap,
    )


def _baseline_frame(criteria: BalanceCriteria) -> pl.DataFrame | None:
    baseline = criteria.drift_baseline()
    if not baseline:
        return None
    metrics = sorted({m for row in baseline.values() for m in row})
    if not metrics:
        return None
    return pl.DataFrame(
        {
            "territory_id": list(baseline),
            **{m: [row.get(m) for row in baseline.values()] for m in metrics},
        },
        schema={"territory_id": pl.String, **dict.fromkeys(metrics, pl.Float64)},
    )


def _below(value: float, limit: float, decimals: int) -> str:
    """``"0.896 < 0.90"``: the value with as many more decimals as it takes to read below the
    limit ("0.90 < 0.90" said nothing)."""
    shown = f"{value:.{decimals}f}"
    for more in range(decimals, decimals + 4):
        shown = f"{value:.{more}f}"
        if float(shown) < limit:
            break
    return f"{shown} < {limit:.{decimals}f}"


def _num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _inactive_owners(inputs: KpiInputs) -> list[Alert]:
    """Territories whose primary rep is marked inactive (left the company, or the CRM says so)
    after the plan named them: their accounts and new leads go to nobody who works them."""
    reps = inputs.frame("reps")
    if reps is None or "active" not in reps.collect_schema():
        return []
    reps = optional_columns(reps, ("name",))
    gone = (
        reps.filter(pl.col("active").cast(pl.Boolean).not_())
        .select(pl.col("id").cast(pl.String).alias("rep_id"), pl.col("name").cast(pl.String))
        .collect()
    )
    if gone.is_empty():
        return []
    owners = (
        territory_table(inputs)
        .filter(pl.col("is_leaf"))
        .select("territory_id", pl.col("owner_id").alias("rep_id"))
    )
    shared = inputs.frame("shared_owners")
    if shared is not None:
        owners = pl.concat([
            owners,
            shared.select(
                pl.col("territory_id").cast(pl.String), pl.col("rep_id").cast(pl.String)
            ).collect(),
        ]).unique(maintain_order=True)  # fmt: skip
    found = owners.join(gone, on="rep_id", how="inner").sort("territory_id", "rep_id")
    return [
        Alert(
            "inactive_owner", "critical", "territory", r["territory_id"], "owner", None, None,
            f"its primary rep {r['name'] or r['rep_id']} is marked inactive: give the territory "
            "an active rep (its accounts and new leads still go to them)",
        )
        for r in found.iter_rows(named=True)
    ]  # fmt: skip


def _unowned_accounts(inputs: KpiInputs, limits: AlertThresholds) -> list[Alert]:
    accounts = open_account_table(inputs).collect()
    with_potential = accounts.filter(pl.col("potential").is_not_null())
    if with_potential.is_empty():
        return []
    if limits.large_account_min_potential is not None:
        floor = float(limits.large_account_min_potential)
    else:
        floor = float(
            with_potential["potential"].quantile(limits.large_account_quantile, "linear") or 0.0
        )
    owners = territory_table(inputs).select(
        "territory_id", pl.col("owner_id").alias("territory_owner")
    )
    unowned = (
        with_potential.join(owners, on="territory_id", how="left")
        .filter(
            (pl.col("potential") >= floor)
            & (pl.col("potential") > 0)
            & pl.col("owner_id").is_null()
            & pl.col("territory_owner").is_null()
        )
        .sort("potential", "account_id", descending=[True, False])
    )
    return [
        Alert(
            "unowned_account", "critical", "account", r["account_id"], "potential", r["potential"],
            floor,
            f"account with potential {r['potential']:,.0f} (>= {floor:,.0f}) has no owner"
            + ("" if r["territory_id"] else " and no territory"),
        )
        for r in unowned.iter_rows(named=True)
    ]  # fmt: skip


def _design_frame(design_totals: FrameLike | Mapping[str, float]) -> pl.DataFrame:
    if isinstance(design_totals, Mapping):
        return pl.DataFrame(
            {
                "territory_id": [str(k) for k in design_totals],
                "potential": [float(v) for v in design_totals.values()],
            },
            schema={"territory_id": pl.String, "potential": pl.Float64},
        )
    lazy = as_lazy(design_totals, "design_totals")
    frame = lazy.collect()
    if "territory_id" not in frame.columns:
        raise InvalidParameterError(
            "design_totals needs a territory_id column", details={"field": "design_totals"}
        )
    return frame.with_columns(pl.col("territory_id").cast(pl.String))


def _drift(
    inputs: KpiInputs,
    design_totals: FrameLike | Mapping[str, float] | None,
    limits: AlertThresholds,
    only: set[str] | None = None,
) -> list[Alert]:
    if design_totals is None:
        return []
    design = _design_frame(design_totals)
    designed = [m for m in design.columns if m != "territory_id"]
    # a metric no account carries any more (an attribute dropped from the export) has no
    # current total to compare: every territory would read -100 %
    carried = carried_metrics(inputs, [m for m in designed if m not in BALANCE_METRICS])
    metrics = [m for m in designed if m in BALANCE_METRICS or m in carried]
    current = territory_totals(inputs, metrics)
    if only is not None:
        current = current.filter(pl.col("territory_id").is_in(sorted(only)))
    alerts: list[Alert] = []
    for metric in metrics:
        joined = (
            current.select("territory_id", pl.col(metric).alias("now"))
            .join(
                design.select("territory_id", pl.col(metric).cast(pl.Float64).alias("then")),
                on="territory_id",
                how="full",
                coalesce=True,
            )
            .with_columns(pl.col("now").fill_null(0.0), pl.col("then").fill_null(0.0))
        )
        moved = joined.with_columns(
            pl.when(pl.col("then") > 0)
            .then(pl.col("now") / pl.col("then") - 1.0)
            .otherwise(pl.when(pl.col("now") > 0).then(pl.lit(math.inf)).otherwise(0.0))
            .alias("change")
        ).filter(pl.col("change").abs() > limits.drift_threshold)
        for r in moved.sort("territory_id").iter_rows(named=True):
            change = r["change"]
            text = "new since the design" if math.isinf(change) else f"{change:+.0%}"
            alerts.append(
                Alert(
                    "drift", "warning", "territory", r["territory_id"], metric,
                    None if math.isinf(change) else change, limits.drift_threshold,
                    f"{metric} moved {text} vs the plan's design ({r['then']:,.0f} -> "
                    f"{r['now']:,.0f})",
                )
            )  # fmt: skip
    return alerts


def _recommend(
    balance: pl.DataFrame,
    drift_alerts: list[Alert],
    limits: AlertThresholds,
    criteria: BalanceCriteria | None = None,
    names: Mapping[str, str] | None = None,
) -> RealignmentRecommendation:
    """Whether to realign, and why; the reasons name territories by name (ids in ``concerned``)."""
    reasons: list[str] = []

    def listed(ids: list[str]) -> str:
        return ", ".join((names or {}).get(i) or i for i in ids)

    concerned: set[str] = set()
    if drift_alerts:
        moved = sorted({a.subject_id for a in drift_alerts})
        concerned.update(moved)
        reasons.append(
            f"{len(moved)} territories moved more than {limits.drift_threshold:.0%} vs the "
            f"plan's design: {listed(moved)}"
        )
    if not balance.is_empty():
        territories = balance["territory_id"].n_unique()
        out = sorted(set(balance.filter(~pl.col("within_tolerance"))["territory_id"].to_list()))
        if territories and len(out) / territories > limits.max_out_of_balance_share:
            concerned.update(out)
            reasons.append(
                f"{len(out)} of {territories} territories are outside the balance tolerance "
                + (f"[{criteria.describe()}] " if criteria is not None else "")
                + f"(more than {limits.max_out_of_balance_share:.0%}): {listed(out)}"
            )
    ids = sorted(concerned)
    return RealignmentRecommendation(
        bool(reasons),
        tuple(reasons),
        tuple(ids),
        tuple((names or {}).get(i) or i for i in ids),
    )
