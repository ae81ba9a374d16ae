"""Targets in the KPI query: each day counted once, from the finest target covering it.

The same segments as :func:`terraplan.planning.target_days.finest_target_segments`, in SQL:
per subject (territory, rep) the dates are cut at every target's start and at the day after
its end; each segment takes the shortest target covering it (then the earlier start, then
the larger amount) and that target's amount prorated by days. Dates become day numbers
(days since 1970-01-01), so the query needs no date arithmetic beyond a day difference,
which every dialect has.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from terraplan.planning.kpi_sql_base import READ, SqlContext, union


def day_number(date_sql: str) -> exp.Expr:
    """``date_sql`` (a DATE expression, DuckDB syntax) as days since 1970-01-01."""
    return exp.DateDiff(
        this=sqlglot.parse_one(date_sql, read=READ),
        expression=sqlglot.parse_one("CAST('1970-01-01' AS DATE)", read=READ),
        unit=exp.var("DAY"),
    )


def target_segments(b: SqlContext, prefix: str) -> str:
    """Add the CTEs of the revenue targets' segments; return the name of the last one, with
    ``territory_id``, ``rep_id``, ``d_start``, ``d_end`` (inclusive day numbers) and
    ``amount``."""
    keyed = (
        sqlglot.select(
            exp.alias_(b.col("targets", "territory_id", "t"), "territory_id"),
            exp.alias_(b.col("targets", "rep_id", "t"), "rep_id"),
            exp.alias_(exp.func("COALESCE", b.col("targets", "territory_id", "t"), exp.Literal.string("")), "k_t"),
            exp.alias_(exp.func("COALESCE", b.col("targets", "rep_id", "t"), exp.Literal.string("")), "k_r"),
            exp.alias_(day_number("CAST(t.period_start AS DATE)"), "d_s"),
            exp.alias_(exp.Add(this=day_number("CAST(t.period_end AS DATE)"), expression=exp.Literal.number(1)), "d_e"),
            "CAST(t.amount AS DOUBLE) AS amount",
        )
        .from_(b.source("targets", "t"))
        .where("CAST(t.period_end AS DATE) >= CAST(t.period_start AS DATE)")
    )  # fmt: skip
    if "metric" not in b.tables.missing.get("targets", ()):
        keyed = keyed.where("t.metric IS NULL OR t.metric = 'revenue'")
    b.add(f"{prefix}_keyed", keyed)
    b.add(
        f"{prefix}_cuts",
        union(
            [
                sqlglot.select("k_t", "k_r", "d_s AS a").from_(f"{prefix}_keyed"),
                sqlglot.select("k_t", "k_r", "d_e AS a").from_(f"{prefix}_keyed"),
            ],
            distinct=True,
        ),
    )
    b.add(
        f"{prefix}_pieces",
        sqlglot.select(
            "k_t", "k_r", "a", "LEAD(a) OVER (PARTITION BY k_t, k_r ORDER BY a) AS b"
        ).from_(f"{prefix}_cuts"),
    )
    b.add(
        f"{prefix}_ranked",
        sqlglot.select(
            "k.territory_id",
            "k.rep_id",
            "s.a",
            "s.b",
            "k.amount * (s.b - s.a) / (k.d_e - k.d_s) AS amount",
            "ROW_NUMBER() OVER (PARTITION BY s.k_t, s.k_r, s.a "
            "ORDER BY k.d_e - k.d_s, k.d_s, k.amount DESC) AS rn",
        )
        .from_(f"{prefix}_pieces AS s")
        .join(
            f"{prefix}_keyed AS k",
            on="k.k_t = s.k_t AND k.k_r = s.k_r AND k.d_s <= s.a AND s.a < k.d_e",
        )
        .where("s.b IS NOT NULL"),
    )
    name = f"{prefix}_fine"
    b.add(
        name,
        sqlglot.select(
            "territory_id", "rep_id", "a AS d_start", "b - 1 AS d_end", "amount"
        )
        .from_(f"{prefix}_ranked")
        .where("rn = 1"),
    )  # fmt: skip
    return name
