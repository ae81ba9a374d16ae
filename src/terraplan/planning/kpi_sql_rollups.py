"""CTEs of the KPI query that sum events per group and period and the final KPI formulas."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from terraplan.planning.kpi_registry import DIMENSIONS, KPI_NAMES, missing_group
from terraplan.planning.kpi_sql_base import (
    EVENT_MEASURES,
    FLOWS,
    LEAD_FLOWS,
    READ,
    SqlContext,
    empty,
    integer,
    month_index,
    text,
    union,
)
from terraplan.planning.kpi_sql_facts import group_rows


def _settled(total: str) -> str:
    """``total`` with a float residue of moves that cancel (credit to the owner of the day
    taken from today's owner and given back: about 1e-10) read as the 0 it is, so that a
    rep with nothing shows 0 and no ratio."""
    return f"CASE WHEN ABS({total}) < 1e-6 THEN 0.0 ELSE {total} END"


def group_months(b: SqlContext) -> None:
    """``tp_gm (dimension, key, m, <measures>, revenue)``: every measure per group and month,
    from the cell-month sums, the leads and (reps) the credit to the owner of the day."""
    b.add("tp_cm_groups", group_rows(b, "tp_cm_named", ("m", *EVENT_MEASURES)))
    parts: list[exp.Query] = [
        sqlglot.select(
            "dimension", "key", "m", *EVENT_MEASURES, *(f"0.0 AS {m}" for m in LEAD_FLOWS)
        ).from_("tp_cm_groups")
    ]
    if b.tables.has("leads"):
        rows = group_rows(b, "tp_lead_rows", ("m", *LEAD_FLOWS), skip_missing=True)
        b.add("tp_lead_groups", rows)
        parts.append(
            sqlglot.select(
                "dimension",
                "key",
                "m",
                *(f"0.0 AS {m}" for m in EVENT_MEASURES),
                *LEAD_FLOWS,
            ).from_("tp_lead_groups")
        )
    if any(name == "tp_credit" for name, _ in b.ctes):
        parts.append(
            sqlglot.select(
                "'rep' AS dimension",
                "key",
                "m",
                *EVENT_MEASURES,
                *(f"0.0 AS {m}" for m in LEAD_FLOWS),
            ).from_("tp_credit")
        )
    b.add("tp_gm_rows", union(parts))
    b.add(
        "tp_gm",
        sqlglot.select(
            "dimension",
            "key",
            "m",
            *(f"{_settled(f'SUM({m})')} AS {m}" for m in (*EVENT_MEASURES, *LEAD_FLOWS)),
            f"{_settled('SUM(revenue_early) + SUM(revenue_late)')} AS revenue",
        )
        .from_("tp_gm_rows")
        .group_by("dimension", "key", "m"),
    )


def flows_and_stocks(b: SqlContext) -> None:
    # a period's months, then its prior-year window: the same months a year earlier, where
    # lines after as-of - 1 year are left out when the period is cut short by the as-of date
    flows = [
        f"SUM(CASE WHEN gm.m >= p.start_m THEN gm.{m} ELSE 0.0 END) AS {m}"
        for m in (*FLOWS, *LEAD_FLOWS)
    ]
    prior = (
        "SUM(CASE WHEN gm.m <= p.cut_m - 12 THEN gm.revenue_early + "
        "CASE WHEN p.partial THEN 0.0 ELSE gm.revenue_late END ELSE 0.0 END) "
        "AS revenue_prior_year"
    )
    b.add(
        "tp_flows",
        sqlglot.select("gm.dimension", "gm.key", "p.period", *flows, prior)
        .from_("tp_gm AS gm")
        .join(
            "tp_periods AS p",
            on="p.cut_m >= p.start_m AND ((gm.m >= p.start_m AND gm.m <= p.cut_m) "
            "OR (gm.m >= p.start_m - 12 AND gm.m <= p.cut_m - 12))",
        )
        .group_by("gm.dimension", "gm.key", "p.period"),
    )
    b.add(
        "tp_stocks",
        sqlglot.select(
            "s.dimension",
            "s.key",
            "p.period",
            "SUM(s.pipeline_delta) AS open_pipeline",
            "SUM(s.active_delta) AS active_accounts",
        )
        .from_("tp_gm AS s")
        .join("tp_periods AS p", on="s.m <= p.cut_m")
        .group_by("s.dimension", "s.key", "p.period"),
    )


def static_and_whitespace(b: SqlContext) -> None:
    """``tp_static`` (accounts and potential per group; the potential is null where no
    account of the group has one) and ``tp_bought`` (per group and
    period: the sum over accounts with a potential of min(potential x period years, revenue
    in the period))."""
    # a period's book: the accounts not closed before its first month (open accounts in
    # every period); accounts grouped by (cell, closed month) first, so the join with the
    # periods runs on a few rows per cell
    b.add(
        "tp_book",
        sqlglot.select(
            "cell",
            "closed_m",
            "CAST(COUNT(*) AS DOUBLE) AS account_count",
            # null where no account has a potential: unknown, not 0 (SUM skips nulls)
            "SUM(potential) AS potential",
        )
        .from_("tp_acc")
        .group_by("cell", "closed_m"),
    )
    b.add(
        "tp_static_cells",
        sqlglot.select(
            "c.territory_id",
            "c.segment",
            "c.industry",
            "c.holder_id",
            "x.period",
            "x.account_count",
            "x.potential",
        )
        .from_(
            sqlglot.select(
                "k.cell",
                "p.period",
                "SUM(k.account_count) AS account_count",
                "SUM(k.potential) AS potential",
            )
            .from_("tp_book AS k")
            .join("tp_periods AS p", on="k.closed_m IS NULL OR k.closed_m >= p.start_m")
            .group_by("k.cell", "p.period")
            .subquery("x")
        )
        .join("tp_cells AS c", on="c.cell = x.cell"),
    )
    b.add(
        "tp_static_groups",
        group_rows(b, "tp_static_cells", ("period", "account_count", "potential")),
    )
    b.add(
        "tp_static",
        sqlglot.select(
            "dimension",
            "key",
            "period",
            "SUM(account_count) AS account_count",
            "SUM(potential) AS potential",
        )
        .from_("tp_static_groups")
        .group_by("dimension", "key", "period"),
    )
    spans = [(month_index(p.start), month_index(min(p.end, b.as_of))) for p in b.periods]
    spans = [
        (lo, hi)
        for (lo, hi), p in zip(spans, b.periods, strict=True)
        if min(p.end, b.as_of) >= p.start
    ]
    parts: list[exp.Query] = []
    if any(lo == hi for lo, hi in spans):
        # a one-month period's revenue per account is its (account, month) row: no group-by
        parts.append(
            sqlglot.select(
                "am.cell",
                "p.period",
                "SUM(LEAST(am.potential * p.period_years, am.early + am.late)) AS bought",
            )
            .from_("tp_am AS am")
            .join("tp_periods AS p", on="p.start_m = am.m")
            .where(
                "p.cut_m = p.start_m AND p.cut >= p.period_start AND am.potential IS NOT NULL"
                " AND (am.closed_m IS NULL OR am.closed_m >= p.start_m)"
            )
            .group_by("am.cell", "p.period")
        )
    if any(lo < hi for lo, hi in spans):
        b.add("tp_months", sqlglot.select("m").distinct().from_("tp_rev"))
        b.add(
            "tp_period_months",
            sqlglot.select("p.period", "t.m")
            .from_("tp_months AS t")
            .join("tp_periods AS p", on="t.m >= p.start_m AND t.m <= p.cut_m")
            .where("p.cut_m > p.start_m"),
        )
        b.add(
            "tp_acc_period",
            sqlglot.select("am.acc", "pm.period", "SUM(am.early + am.late) AS revenue")
            .from_("tp_am AS am")
            .join("tp_period_months AS pm", on="pm.m = am.m")
            .where("am.potential IS NOT NULL")
            .group_by("am.acc", "pm.period"),
        )
        parts.append(
            sqlglot.select(
                "a.cell",
                "r.period",
                "SUM(LEAST(a.potential * p.period_years, r.revenue)) AS bought",
            )
            .from_("tp_acc_period AS r")
            .join("tp_acc AS a", on="a.acc = r.acc")
            .join("tp_periods AS p", on="p.period = r.period")
            .where("a.closed_m IS NULL OR a.closed_m >= p.start_m")
            .group_by("a.cell", "r.period")
        )
    if not parts:
        b.add(
            "tp_bought",
            empty(
                {"dimension": "VARCHAR", "key": "VARCHAR", "period": "VARCHAR", "bought": "DOUBLE"}
            ),
        )
        return
    b.add(
        "tp_bought_cells",
        sqlglot.select(
            "c.territory_id", "c.segment", "c.industry", "c.holder_id", "x.period", "x.bought"
        )
        .from_(union(parts).subquery("x"))
        .join("tp_cells AS c", on="c.cell = x.cell"),
    )
    b.add("tp_bought_groups", group_rows(b, "tp_bought_cells", ("period", "bought")))
    b.add(
        "tp_bought",
        sqlglot.select("dimension", "key", "period", "SUM(bought) AS bought")
        .from_("tp_bought_groups")
        .group_by("dimension", "key", "period"),
    )


def keys(b: SqlContext) -> None:
    """Every group to report; a missing segment or industry is a group of its own."""
    nodes = {
        "territory": ("territory_id", "is_leaf"),
        "region": ("territory_id", "NOT is_leaf"),
        "rep": ("owner_id", "is_leaf"),
    }
    parts: list[exp.Query] = []
    for dim in b.dims:
        if dim in nodes:
            column, where = nodes[dim]
            parts.append(
                sqlglot.select(exp.alias_(text(dim), "dimension"), f"{column} AS key")
                .from_("tp_nodes")
                .where(f"{where} AND {column} IS NOT NULL")
            )
        else:
            key = exp.func("COALESCE", exp.column(dim), text(missing_group(dim)))
            parts.append(
                sqlglot.select(exp.alias_(text(dim), "dimension"), exp.alias_(key, "key")).from_(
                    "tp_acc"
                )
            )
    if "rep" in b.dims:  # the reps holding accounts in territories they share
        parts.append(
            sqlglot.select("'rep' AS dimension", "holder_id AS key")
            .from_("tp_acc")
            .where("holder_id IS NOT NULL")
        )
    parts.append(sqlglot.select("dimension", "key").from_("tp_gm"))
    b.add("tp_keys", union(parts, distinct=True))


def final(b: SqlContext) -> exp.Select:
    measures = [
        *(f"COALESCE(f.{m}, 0.0) AS {m}" for m in (*FLOWS, *LEAD_FLOWS)),
        # unknown, not 0, where the sales history starts after the prior-year window does
        "CASE WHEN p.start_m - 12 >= h.first_m THEN COALESCE(f.revenue_prior_year, 0.0) END "
        "AS revenue_prior_year",
        "COALESCE(s.open_pipeline, 0.0) AS open_pipeline",
        "COALESCE(s.active_accounts, 0.0) AS active_accounts",
        "COALESCE(c.account_count, 0.0) AS account_count",
        "c.potential * p.period_years AS potential",
        "COALESCE(w.bought, 0.0) AS bought",
        "t.amount AS target",
        "t.due AS target_due",
        "x.amount AS acquisition_cost",
    ]
    b.add("tp_history", sqlglot.select("MIN(m) AS first_m").from_("tp_sales"))
    inner = (
        sqlglot.select(
            "k.dimension",
            "k.key",
            "p.period",
            "p.grain",
            "p.period_start",
            "p.period_end",
            "p.elapsed_share",
            "p.grain_order",
            *measures,
        )
        .from_("tp_keys AS k")
        .join("tp_periods AS p", on=exp.true())
        .join("tp_history AS h", on=exp.true())
        .join(
            "tp_flows AS f",
            on="f.dimension = k.dimension AND f.key = k.key AND f.period = p.period",
            join_type="LEFT",
        )
        .join(
            "tp_stocks AS s",
            on="s.dimension = k.dimension AND s.key = k.key AND s.period = p.period",
            join_type="LEFT",
        )
        .join(
            "tp_static AS c",
            on="c.dimension = k.dimension AND c.key = k.key AND c.period = p.period",
            join_type="LEFT",
        )
        .join(
            "tp_bought AS w",
            on="w.dimension = k.dimension AND w.key = k.key AND w.period = p.period",
            join_type="LEFT",
        )
        .join(
            "tp_targets AS t",
            on="t.dimension = k.dimension AND t.key = k.key AND t.period = p.period",
            join_type="LEFT",
        )
        .join(
            "tp_costs AS x",
            on="x.dimension = k.dimension AND x.key = k.key AND x.period = p.period",
            join_type="LEFT",
        )
    )
    b.add("tp_joined", inner)

    def ratio(num: str, den: str) -> str:
        return f"CASE WHEN {den} > 1e-6 THEN {num} / {den} END"

    attainment = ratio("revenue", "target")
    formulas = {
        "revenue": "revenue",
        "revenue_prior_year": "revenue_prior_year",
        "revenue_growth": f"{ratio('revenue', 'revenue_prior_year')} - 1.0",
        "target": "target",
        "attainment": attainment,
        "elapsed_share": "elapsed_share",
        "pace_to_target": f"CASE WHEN ({attainment}) IS NOT NULL THEN "
        f"{ratio('revenue', 'target_due')} END",
        "open_pipeline": "open_pipeline",
        "pipeline_coverage": ratio("open_pipeline", "(target - revenue)"),
        "win_rate": ratio("opps_won", "opps_closed"),
        "lead_conversion_rate": ratio("leads_converted", "leads"),
        "lead_win_rate": ratio("leads_won", "leads"),
        "new_customers": "new_customers",
        "acquisition_cost": "acquisition_cost",
        "customer_acquisition_cost": ratio("acquisition_cost", "new_customers"),
        "average_deal_size": ratio("won_amount", "opps_won"),
        "sales_cycle_days": ratio("cycle_days", "opps_won"),
        "new_business_won": "new_won",
        "existing_business_won": "existing_won",
        "account_count": "account_count",
        "revenue_per_account": ratio("revenue", "account_count"),
        "potential": "potential",
        "penetration": ratio("revenue", "potential"),
        "whitespace": "potential - bought",
        "inactive_accounts": "account_count - active_accounts",
    }
    assert tuple(formulas) == KPI_NAMES, "every KPI of the registry has a SQL formula"
    dim_order = exp.Case()
    for i, d in enumerate(DIMENSIONS):
        dim_order = dim_order.when(
            exp.EQ(this=exp.column("dimension"), expression=text(d)), integer(i)
        )
    return (
        sqlglot.select(
            "dimension",
            "key",
            "period",
            "grain",
            "period_start",
            "period_end",
            *(
                exp.alias_(exp.cast(sqlglot.parse_one(f, read=READ), "DOUBLE"), name)
                for name, f in formulas.items()
            ),
        )
        .from_("tp_joined")
        .order_by(dim_order, "key", "grain_order", "period_start", "period")
    )
