"""Balance and health of a plan: territory totals vs the mean, dispersion, rep capacity."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from terraplan.errors import InvalidParameterError
from terraplan.planning.balance_criteria import ACCOUNT_FIELDS, BalanceCriteria
from terraplan.planning.exact_sums import exact_sum
from terraplan.planning.kpi_groups import open_account_table, territory_table
from terraplan.planning.kpi_inputs import KpiInputs, optional_columns
from terraplan.planning.team_capacity import DEFAULT_UTILIZATION, workload_capacity

#: Territory metrics balance is checked on by default: account sums of potential (currency
#: per year) and workload (hours per year), and the number of accounts. Any other account sum
#: may be asked for: annual_revenue, employees or a numeric account attribute.
BALANCE_METRICS: tuple[str, ...] = ("potential", "workload", "account_count")


def _tolerances(tolerance: float | Mapping[str, float], metrics: Sequence[str]) -> dict[str, float]:
    values = (
        {m: float(tolerance.get(m, 0.10)) for m in metrics}
        if isinstance(tolerance, Mapping)
        else dict.fromkeys(metrics, float(tolerance))
    )
    for metric, value in values.items():
        if not 0 <= value < 10:
            raise InvalidParameterError(
                f"tolerance for {metric} must be in [0, 10), got {value!r}",
                details={"field": "tolerance", "metric": metric},
            )
    return values


def account_metric(schema: Mapping[str, pl.DataType], name: str) -> pl.Expr:
    """An account's figure ``name`` as Float64 (null when it has none), read as a design on
    accounts reads it: one of :data:`ACCOUNT_FIELDS` from its column, any other name from the
    account's ``attributes`` (a struct, or JSON text as storage gives it); text and booleans
    are no figure."""
    if name in ACCOUNT_FIELDS:
        return (
            pl.col(name).cast(pl.Float64, strict=False)
            if name in schema
            else pl.lit(None, dtype=pl.Float64)
        ).alias(name)
    dtype = schema.get("attributes")
    value: pl.Expr = pl.lit(None, dtype=pl.Float64)
    if isinstance(dtype, pl.Struct):
        field = next((f for f in dtype.fields if f.name == name), None)
        if field is not None and field.dtype.is_numeric():
            value = pl.col("attributes").struct.field(name).cast(pl.Float64)
    elif dtype == pl.String:
        quoted = name.replace("\\", "\\\\").replace("'", "\\'")
        text = pl.col("attributes").str.json_path_match(f"$['{quoted}']")
        value = text.cast(pl.Float64, strict=False)
    return value.alias(name)


def account_metric_table(inputs: KpiInputs, metrics: Sequence[str]) -> pl.LazyFrame:
    """The open accounts (:func:`open_account_table`) with one Float64 column per metric of
    ``metrics`` other than ``account_count`` (null where the account has no figure)."""
    table = open_account_table(inputs)
    extra = [
        m for m in dict.fromkeys(metrics) if m not in ("potential", "workload", "account_count")
    ]
    if not extra:
        return table
    accounts = inputs.frame("accounts")
    if accounts is None:
        return table.with_columns(pl.lit(None, dtype=pl.Float64).alias(m) for m in extra)
    schema = dict(accounts.collect_schema())
    values = accounts.select(
        pl.col("id").cast(pl.String).alias("account_id"),
        *(account_metric(schema, m) for m in extra),
    ).unique("account_id", keep="first")
    return table.join(values, on="account_id", how="left")


def carried_metrics(inputs: KpiInputs, metrics: Sequence[str]) -> set[str]:
    """The ``metrics`` some open account carries a figure of."""
    wanted = [m for m in dict.fromkeys(metrics) if m != "account_count"]
    if not wanted:
        return set()
    counts = account_metric_table(inputs, wanted).select(
        pl.col(m).is_not_null().sum() for m in wanted
    )
    row = counts.collect().row(0, named=True)
    return {m for m in wanted if row[m]}


def territory_totals(inputs: KpiInputs, metrics: Sequence[str] = ()) -> pl.DataFrame:
    """Per leaf territory: ``territory_id, owner_id, potential, workload, account_count`` and
    a column per other metric of ``metrics`` (an account sum, see :func:`account_metric`; a
    missing figure counts as 0).

    Territories with no account appear with zeros.
    """
    columns = list(dict.fromkeys([*BALANCE_METRICS, *metrics]))
    sums_of = [m for m in columns if m != "account_count"]
    territories = territory_table(inputs)
    sums = (
        account_metric_table(inputs, columns)
        .filter(pl.col("territory_id").is_not_null())
        .group_by("territory_id")
        .agg(
            *(exact_sum(pl.col(m).fill_null(0.0)) for m in sums_of),
            pl.len().cast(pl.Float64).alias("account_count"),
        )
        .collect()
    )
    leaves = territories.filter(pl.col("is_leaf")).select("territory_id", "owner_id")
    return (
        leaves.join(sums, on="territory_id", how="left")
        .with_columns(pl.col(m).fill_null(0.0) for m in columns)
        .sort("territory_id")
    )


def _rep_territory_loads(inputs: KpiInputs) -> pl.DataFrame:
    """``territory_id, rep_id, account_count, workload`` per leaf territory and primary rep: a
    territory's owner carries its accounts, or, where several primary reps share it, each
    carries those they hold (every one of them counts the territory, even with no account)."""
    leaves = territory_table(inputs).filter(pl.col("is_leaf") & pl.col("owner_id").is_not_null())
    owners = leaves.select("territory_id", pl.col("owner_id").alias("rep_id"))
    shared = inputs.frame("shared_owners")
    if shared is not None:
        extra = shared.select(
            pl.col("territory_id").cast(pl.String), pl.col("rep_id").cast(pl.String)
        ).collect()
        owners = pl.concat([owners, extra]).unique(maintain_order=True)
    held = (
        open_account_table(inputs)
        .filter(pl.col("territory_id").is_not_null())
        .join(
            leaves.lazy().select("territory_id", "owner_id"),
            on="territory_id",
            how="inner",
            suffix="_territory",
        )
        .group_by("territory_id", pl.coalesce("holder_id", "owner_id_territory").alias("rep_id"))
        .agg(
            pl.len().cast(pl.Float64).alias("account_count"),
            exact_sum(pl.col("workload").fill_null(0.0)),
        )
        .collect()
    )
    return owners.join(held, on=["territory_id", "rep_id"], how="left").with_columns(
        pl.col("account_count", "workload").fill_null(0.0)
    )


def territory_balance(
    inputs: KpiInputs,
    *,
    metrics: Sequence[str] = BALANCE_METRICS,
    tolerance: float | Mapping[str, float] = 0.10,
    criteria: BalanceCriteria | None = None,
) -> pl.DataFrame:
    """Each leaf territory's total of each metric against its target.

    Without ``criteria``: every leaf territory, ``metrics`` at ``tolerance``, target = the
    mean over territories. With ``criteria`` (:func:`plan_balance_criteria`, the plan's own):
    its metrics and tolerances, only the territories it checks, target = the mean over them
    times the territory's relative design target.

    Returns columns ``territory_id, metric, value, mean`` (the target), ``tolerance,
    deviation`` (value / target - 1, null when the target is 0), ``lower, upper`` (target
    x (1 -/+ tolerance)) and ``within_tolerance``.
    """
    if criteria is not None:
        metrics = list(criteria.tolerances)
        tolerance = dict(criteria.tolerances)
    else:
        named = (*BALANCE_METRICS, *ACCOUNT_FIELDS)
        others = [m for m in metrics if m not in named]
        unknown = sorted(set(others) - carried_metrics(inputs, others))
        if unknown:
            raise InvalidParameterError(
                f"unknown balance metrics {unknown!r}: use "
                f"{', '.join(dict.fromkeys(named))} or a numeric attribute the accounts carry",
                details={"field": "metrics", "allowed": list(dict.fromkeys(named))},
            )
    tolerances = _tolerances(tolerance, metrics)
    totals = territory_totals(inputs, metrics)
    if criteria is not None:
        totals = totals.filter(pl.col("territory_id").is_in(sorted(criteria.territories)))
    parts = []
    for metric in metrics:
        tol = tolerances[metric]
        weight = pl.lit(1.0)
        if criteria is not None and criteria.weights:
            weights = {t: w.get(metric, 1.0) for t, w in criteria.weights.items()}
            weight = pl.col("territory_id").replace_strict(
                weights, default=1.0, return_dtype=pl.Float64
            )
        parts.append(
            totals.select(
                "territory_id",
                pl.lit(metric).alias("metric"),
                pl.col(metric).alias("value"),
                (pl.col(metric).mean() * weight).alias("mean"),
                pl.lit(tol).alias("tolerance"),
            )
        )
    frame = pl.concat(parts) if parts else pl.DataFrame()
    if frame.is_empty():
        return frame
    return frame.with_columns(
        pl.when(pl.col("mean") > 0).then(pl.col("value") / pl.col("mean") - 1.0).alias("deviation"),
        (pl.col("mean") * (1 - pl.col("tolerance"))).alias("lower"),
        (pl.col("mean") * (1 + pl.col("tolerance"))).alias("upper"),
    ).with_columns(
        (
            (pl.col("value") >= pl.col("lower") * (1 - 1e-9) - 1e-9)
            & (pl.col("value") <= pl.col("upper") * (1 + 1e-9) + 1e-9)
        ).alias("within_tolerance")
    )


def gini(values: np.ndarray) -> float | None:
    """Gini coefficient of non-negative values ``(n,)``; None when empty or all zero."""
    x = np.sort(np.asarray(values, dtype=float))
    n = x.size
    total = float(x.sum())
    if n == 0 or total <= 0:
        return None
    ranks = np.arange(1, n + 1)
    return float(((2 * ranks - n - 1) * x).sum() / (n * total))


def dispersion(balance: pl.DataFrame) -> pl.DataFrame:
    """Per metric of a :func:`territory_balance` frame: ``territories, mean, std, cv, gini,
    min, max, out_of_tolerance``. ``cv`` is std / mean (population std), null when mean is 0."""
    rows: list[dict[str, object]] = []
    if balance.is_empty():
        return pl.DataFrame(
            schema={
                "metric": pl.String,
                "territories": pl.Int64,
                "mean": pl.Float64,
                "std": pl.Float64,
                "cv": pl.Float64,
                "gini": pl.Float64,
                "min": pl.Float64,
                "max": pl.Float64,
                "out_of_tolerance": pl.Int64,
            }
        )
    for metric in balance["metric"].unique(maintain_order=True).to_list():
        part = balance.filter(pl.col("metric") == metric)
        values = part["value"].to_numpy().astype(float)
        mean = float(values.mean())
        std = float(values.std())
        rows.append(
            {
                "metric": metric,
                "territories": int(values.size),
                "mean": mean,
                "std": std,
                "cv": std / mean if mean > 0 else None,
                "gini": gini(values),
                "min": float(values.min()),
                "max": float(values.max()),
                "out_of_tolerance": int((~part["within_tolerance"]).sum()),
            }
        )
    return pl.DataFrame(rows)


def rep_capacity(
    inputs: KpiInputs, *, tolerance: float = 0.10, utilization: float = DEFAULT_UTILIZATION
) -> pl.DataFrame:
    """Reps' load against capacity, as team sizing counts it
    (:mod:`terraplan.planning.team_capacity`): workload against the rep's selling hours x
    ``utilization``, accounts against the rep's account limit.

    Returns ``rep_id, territories, account_count, workload, capacity_hours,
    capacity_accounts, workload_capacity`` (capacity_hours x utilization),
    ``hours_utilisation, accounts_utilisation, status`` where utilisation is load / capacity
    (null without a capacity) and status is "over" (any utilisation above 1 + tolerance),
    "under" (all known below 1 - tolerance), "ok" or "unknown".
    """
    if not 0 <= tolerance < 10:
        raise InvalidParameterError("tolerance must be in [0, 10)", details={"field": "tolerance"})
    if not 0 < utilization <= 1:
        raise InvalidParameterError(
            f"utilization must be in (0, 1], got {utilization:g}",
            details={"field": "utilization", "value": utilization},
        )
    load = (
        _rep_territory_loads(inputs)
        .group_by("rep_id")
        .agg(
            pl.len().alias("territories"),
            exact_sum("account_count"),
            exact_sum("workload"),
        )
    )
    reps = inputs.frame("reps")
    if reps is not None:
        caps = optional_columns(reps, ("capacity_hours", "capacity_accounts"), pl.Float64).select(
            pl.col("id").cast(pl.String).alias("rep_id"),
            pl.col("capacity_hours").cast(pl.Float64),
            pl.col("capacity_accounts").cast(pl.Float64),
        )
        frame = load.join(caps.collect(), on="rep_id", how="full", coalesce=True)
    else:
        frame = load.with_columns(
            pl.lit(None, dtype=pl.Float64).alias("capacity_hours"),
            pl.lit(None, dtype=pl.Float64).alias("capacity_accounts"),
        )
    frame = (
        frame.with_columns(
            pl.col("territories").fill_null(0),
            pl.col("account_count").fill_null(0.0),
            pl.col("workload").fill_null(0.0),
        )
        .with_columns(
            pl.when(pl.col("capacity_hours") > 0)
            .then(workload_capacity(pl.col("capacity_hours"), utilization))
            .alias("workload_capacity")
        )
        .with_columns(
            pl.when(pl.col("workload_capacity") > 0)
            .then(pl.col("workload") / pl.col("workload_capacity"))
            .alias("hours_utilisation"),
            pl.when(pl.col("capacity_accounts") > 0)
            .then(pl.col("account_count") / pl.col("capacity_accounts"))
            .alias("accounts_utilisation"),
        )
    )
    top = pl.max_horizontal("hours_utilisation", "accounts_utilisation")
    return frame.with_columns(
        pl.when(top.is_null())
        .then(pl.lit("unknown"))
        .when(top > 1 + tolerance)
        .then(pl.lit("over"))
        .when(top < 1 - tolerance)
        .then(pl.lit("under"))
        .otherwise(pl.lit("ok"))
        .alias("status")
    ).sort("rep_id")
