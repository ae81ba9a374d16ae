"""CTEs of the KPI query that read the user's tables: accounts, the hierarchy, sales lines,
opportunities, leads, and one event row per account and month."""

from __future__ import annotations

from collections.abc import Sequence

import sqlglot
from sqlglot import exp

from terraplan.planning.kpi_periods import shift_year
from terraplan.planning.kpi_sql_base import (
    EVENT_MEASURES,
    MAX_DEPTH,
    READ,
    SqlContext,
    date_literal,
    empty,
    integer,
    month_of,
    number,
    text,
    union,
)


def accounts(b: SqlContext) -> None:
    t = b.tables
    if t.has("accounts"):
        raw = sqlglot.select(
            exp.alias_(b.col("accounts", "id", "a"), "account_id"),
            exp.alias_(b.col("accounts", "segment", "a"), "segment"),
            exp.alias_(b.col("accounts", "industry", "a"), "industry"),
            exp.alias_(b.col("accounts", "potential", "a", "DOUBLE"), "potential"),
        ).from_(b.source("accounts", "a"))
        b.add("tp_acc_raw", raw)
    if t.has("alignment"):
        b.add(
            "tp_ali",
            sqlglot.select(
                exp.alias_(b.col("alignment", "account_id", "l"), "account_id"),
                exp.alias_(b.col("alignment", "territory_id", "l"), "territory_id"),
            ).from_(b.source("alignment", "l")),
        )
    if t.has("accounts") and t.has("alignment"):
        acc = (
            sqlglot.select(
                "COALESCE(a.account_id, l.account_id) AS account_id",
                "l.territory_id",
                "a.segment",
                "a.industry",
                "a.potential",
            )
            .from_("tp_acc_raw AS a")
            .join("tp_ali AS l", on="a.account_id = l.account_id", join_type="FULL OUTER")
        )
    elif t.has("accounts"):
        acc = sqlglot.select(
            "account_id",
            "CAST(NULL AS VARCHAR) AS territory_id",
            "segment",
            "industry",
            "potential",
        ).from_("tp_acc_raw")
    else:
        acc = sqlglot.select(
            "account_id",
            "territory_id",
            "CAST(NULL AS VARCHAR) AS segment",
            "CAST(NULL AS VARCHAR) AS industry",
            "CAST(NULL AS DOUBLE) AS potential",
        ).from_("tp_ali")
    b.add("tp_acc", acc)


def hierarchy(b: SqlContext) -> None:
    """``tp_nodes (territory_id, parent_id, owner_id, is_leaf)`` and ``tp_anc``."""
    parts: list[exp.Query] = []
    if b.tables.has("territories"):
        parts.append(
            sqlglot.select(
                exp.alias_(b.col("territories", "id", "t"), "territory_id"),
                exp.alias_(b.col("territories", "parent_id", "t"), "parent_id"),
                exp.alias_(b.col("territories", "owner_id", "t"), "owner_id"),
            ).from_(b.source("territories", "t"))
        )
    if b.tables.has("alignment"):
        extra = (
            sqlglot.select(
                "l.territory_id",
                "CAST(NULL AS VARCHAR) AS parent_id",
                "CAST(NULL AS VARCHAR) AS owner_id",
            )
            .distinct()
            .from_("tp_ali AS l")
            .where("l.territory_id IS NOT NULL")
        )
        if parts:
            extra = extra.join(
                "tp_terr0 AS k", on="k.territory_id = l.territory_id", join_type="LEFT"
            ).where("k.territory_id IS NULL")
        if parts:
            b.add("tp_terr0", parts[0])
            parts = [sqlglot.select("*").from_("tp_terr0"), extra]
        else:
            parts = [extra]
    if not parts:
        terr: exp.Query = empty(
            {"territory_id": "VARCHAR", "parent_id": "VARCHAR", "owner_id": "VARCHAR"}
        )
    else:
        terr = union(parts)
    b.add("tp_terr", terr)
    b.add(
        "tp_parents",
        sqlglot.select("parent_id").distinct().from_("tp_terr").where("parent_id IS NOT NULL"),
    )
    b.add(
        "tp_nodes",
        sqlglot.select(
            "t.territory_id", "t.parent_id", "t.owner_id", "p.parent_id IS NULL AS is_leaf"
        )
        .from_("tp_terr AS t")
        .join("tp_parents AS p", on="p.parent_id = t.territory_id", join_type="LEFT"),
    )
    levels = []
    for depth in range(1, MAX_DEPTH + 1):
        q = sqlglot.select(
            "n0.territory_id",
            exp.alias_(exp.column("parent_id", f"n{depth - 1}"), "ancestor_id"),
        ).from_("tp_nodes AS n0")
        for k in range(1, depth):
            q = q.join(
                exp.to_table("tp_nodes").as_(f"n{k}"),
                on=exp.EQ(
                    this=exp.column("territory_id", f"n{k}"),
                    expression=exp.column("parent_id", f"n{k - 1}"),
                ),
            )
        levels.append(
            q.where("n0.is_leaf").where(
                exp.column("parent_id", f"n{depth - 1}").is_(exp.null()).not_()
            )
        )
    b.add("tp_anc", union(levels, distinct=True))


def group_rows(b: SqlContext, relation: str, carry: Sequence[str]) -> exp.Query:
    """Rows of ``relation`` (territory_id, segment, industry, *carry) once per group they
    belong to: ``dimension, key, *carry``."""
    parts: list[exp.Query] = []
    for dim in b.dims:
        cols = [exp.column(c, "r") for c in carry]
        if dim == "territory":
            q = (
                sqlglot.select(exp.alias_(text(dim), "dimension"), "r.territory_id AS key", *cols)
                .from_(f"{relation} AS r")
                .where("r.territory_id IS NOT NULL")
            )
        elif dim == "region":
            q = (
                sqlglot.select(exp.alias_(text(dim), "dimension"), "g.ancestor_id AS key", *cols)
                .from_(f"{relation} AS r")
                .join("tp_anc AS g", on="g.territory_id = r.territory_id")
            )
        elif dim == "rep":
            q = (
                sqlglot.select(exp.alias_(text(dim), "dimension"), "g.owner_id AS key", *cols)
                .from_(f"{relation} AS r")
                .join("tp_nodes AS g", on="g.territory_id = r.territory_id")
                .where("g.is_leaf AND g.owner_id IS NOT NULL")
            )
        else:
            q = (
                sqlglot.select(
                    exp.alias_(text(dim), "dimension"),
                    exp.alias_(exp.column(dim, "r"), "key"),
                    *cols,
                )
                .from_(f"{relation} AS r")
                .where(exp.column(dim, "r").is_(exp.null()).not_())
            )
        parts.append(q)
    return union(parts)


def account_groups(b: SqlContext) -> None:
    b.add("tp_acc_groups", group_rows(b, "tp_acc", ("account_id",)))


def sales(b: SqlContext) -> None:
    late_from = shift_year(b.as_of, -1)
    grouped = (
        sqlglot.select(
            "s.account_id",
            exp.alias_(sqlglot.parse_one(month_of("s.date"), read=READ), "m"),
            exp.alias_(
                exp.GT(this=exp.column("date", "s"), expression=date_literal(late_from)), "late"
            ),
            "SUM(CAST(s.amount AS DOUBLE)) AS revenue",
        )
        .from_(b.source("sales_lines", "s"))
        .where(exp.LTE(this=exp.column("date", "s"), expression=date_literal(b.as_of)))
        .group_by("1", "2", "3")
    )
    b.add("tp_sales", grouped)
    b.add(
        "tp_am",
        sqlglot.select("a.account_id", "s.m", "s.late", "s.revenue")
        .from_("tp_sales AS s")
        .join("tp_acc AS a", on="a.account_id = CAST(s.account_id AS VARCHAR)"),
    )


def opportunities(b: SqlContext) -> None:
    if not b.tables.has("opportunities"):
        return
    closed_on = "COALESCE(o.close_date, o.created_date)"
    if "close_date" in b.tables.missing.get("opportunities", ()):
        closed_on = "o.created_date"
    b.add(
        "tp_opp",
        sqlglot.select(
            exp.alias_(b.col("opportunities", "id", "o"), "opp_id"),
            "a.account_id",
            exp.alias_(sqlglot.parse_one(month_of("o.created_date"), read=READ), "cm"),
            exp.alias_(sqlglot.parse_one(month_of(closed_on), read=READ), "xm"),
            "CAST(o.amount AS DOUBLE) AS amount",
            exp.alias_(
                exp.and_(
                    "COALESCE(o.is_closed, FALSE)",
                    exp.LTE(
                        this=sqlglot.parse_one(closed_on, read=READ),
                        expression=date_literal(b.as_of),
                    ),
                ),
                "closed",
            ),
            "COALESCE(o.is_won, FALSE) AS won",
            exp.alias_(
                exp.and_(
                    "COALESCE(o.is_won, FALSE)",
                    exp.LTE(
                        this=sqlglot.parse_one(closed_on, read=READ),
                        expression=date_literal(b.as_of),
                    ),
                ),
                "won_by_as_of",
            ),
            exp.alias_(
                exp.cast(
                    exp.DateDiff(
                        this=sqlglot.parse_one(closed_on, read=READ),
                        expression=exp.column("created_date", "o"),
                        unit=exp.var("DAY"),
                    ),
                    "DOUBLE",
                ),
                "days",
            ),
        )
        .from_(b.source("opportunities", "o"))
        .join("tp_acc AS a", on="a.account_id = CAST(o.account_id AS VARCHAR)", join_type="LEFT")
        .where(exp.LTE(this=exp.column("created_date", "o"), expression=date_literal(b.as_of))),
    )


def events(b: SqlContext) -> None:
    """``tp_events (account_id, m, late, <event measures>)``: one row per account event."""

    def row(source: str, m: str, late: str, **values: str) -> exp.Select:
        cols = [
            exp.alias_(sqlglot.parse_one(values.get(name, "0.0"), read=READ), name)
            for name in EVENT_MEASURES
        ]
        return sqlglot.select(
            "account_id",
            exp.alias_(sqlglot.parse_one(m, read=READ), "m"),
            exp.alias_(sqlglot.parse_one(late, read=READ), "late"),
            *cols,
        ).from_(source)

    b.add(
        "tp_new",
        sqlglot.select("account_id", "MIN(m) AS m")
        .from_("tp_am")
        .where("revenue > 0")
        .group_by("account_id"),
    )
    activity: list[exp.Query] = [
        sqlglot.select("account_id", "m").from_("tp_am").where("revenue > 0")
    ]
    parts: list[exp.Query] = [
        row("tp_am", "m", "late", revenue="revenue"),
        row("tp_new", "m", "FALSE", new_customers="1.0"),
    ]
    if b.tables.has("opportunities"):
        b.add("tp_opp_known", sqlglot.select("*").from_("tp_opp").where("account_id IS NOT NULL"))
        parts.append(row("tp_opp_known", "cm", "FALSE", pipeline_delta="amount"))
        parts.append(
            row(
                "tp_opp_known",
                "xm",
                "FALSE",
                pipeline_delta="-amount",
                opps_closed="1.0",
                opps_won="CASE WHEN won THEN 1.0 ELSE 0.0 END",
                won_amount="CASE WHEN won THEN amount ELSE 0.0 END",
                cycle_days="CASE WHEN won THEN days ELSE 0.0 END",
            ).where("closed")
        )
        activity.append(sqlglot.select("account_id", "cm AS m").from_("tp_opp_known"))
    b.add("tp_act", union(activity, distinct=True))
    # an account is active in month t when it has an event in t - N + 1 .. t: each event
    # starts a run that the next event (or N months) ends; +1 at its start, -1 after its end
    n = b.n
    b.add(
        "tp_act_runs",
        sqlglot.select(
            "account_id",
            "m",
            exp.alias_(
                exp.replace_placeholders(
                    sqlglot.parse_one(
                        "LEAST(m + :n, COALESCE(LEAD(m) OVER (PARTITION BY account_id ORDER BY m),"
                        " m + :n))",
                        read=READ,
                    ),
                    n=integer(n),
                ),
                "ends",
            ),
        ).from_("tp_act"),
    )
    parts.append(row("tp_act_runs", "m", "FALSE", active_delta="1.0"))
    parts.append(row("tp_act_runs", "ends", "FALSE", active_delta="-1.0"))
    b.add("tp_events", union(parts))


def leads(b: SqlContext) -> None:
    if not b.tables.has("leads"):
        return
    q = sqlglot.select(
        exp.alias_(sqlglot.parse_one(month_of("d.created_date"), read=READ), "m"),
        exp.alias_(
            exp.func(
                "COALESCE",
                b.col("leads", "territory_id", "d"),
                exp.column("territory_id", "a"),
            ),
            "territory_id",
        ),
        exp.alias_(
            exp.func("COALESCE", b.col("leads", "segment", "d"), exp.column("segment", "a")),
            "segment",
        ),
        exp.alias_(
            exp.func("COALESCE", b.col("leads", "industry", "d"), exp.column("industry", "a")),
            "industry",
        ),
        "1.0 AS leads",
        exp.alias_(
            exp.Case()
            .when(
                b.col("leads", "converted_opportunity_id", "d").is_(exp.null()).not_(),
                number(1),
            )
            .else_(number(0)),
            "leads_converted",
        ),
        exp.alias_(
            sqlglot.parse_one("CASE WHEN o.won_by_as_of THEN 1.0 ELSE 0.0 END", read=READ)
            if b.tables.has("opportunities")
            else number(0),
            "leads_won",
        ),
    ).from_(b.source("leads", "d"))
    if b.tables.has("opportunities"):
        q = q.join(
            "tp_opp AS o",
            on=exp.EQ(
                this=exp.column("opp_id", "o"),
                expression=b.col("leads", "converted_opportunity_id", "d"),
            ),
            join_type="LEFT",
        ).join("tp_acc AS a", on="a.account_id = o.account_id", join_type="LEFT")
    else:
        q = q.join("tp_acc AS a", on=exp.false(), join_type="LEFT")
    q = q.where(exp.LTE(this=exp.column("created_date", "d"), expression=date_literal(b.as_of)))
    b.add("tp_lead_rows", q)
