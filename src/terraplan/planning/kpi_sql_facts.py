"""CTEs of the KPI query that read the user's tables: accounts, the hierarchy, sales lines,
opportunities, and every measure per cell and month (leads: :mod:`kpi_sql_leads`).

As in-process (:mod:`terraplan.planning.kpi_facts`), the per-account work runs on integer
keys: an account code ``acc``, a *cell* (the account's territory x segment x industry
combination) and a month number ``m``. Sales lines are grouped once by (account, month); all
later steps read those rows (one per account and month) or smaller ones, and everything is
summed per (cell, month) before it is spread over the dimensions."""

from __future__ import annotations

from collections.abc import Sequence

import sqlglot
from sqlglot import exp

from terraplan.planning.kpi_periods import year_earlier
from terraplan.planning.kpi_registry import missing_group
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
from terraplan.planning.kpi_sql_deals import WON_DEAL, deal_columns, renewals_left_out
from terraplan.planning.kpi_sql_shared import held_accounts


def accounts(b: SqlContext) -> None:
    t = b.tables
    if t.has("accounts"):
        raw = sqlglot.select(
            exp.alias_(b.col("accounts", "id", "a"), "account_id"),
            exp.alias_(b.col("accounts", "segment", "a"), "segment"),
            exp.alias_(b.col("accounts", "industry", "a"), "industry"),
            exp.alias_(b.col("accounts", "potential", "a", "DOUBLE"), "potential"),
            exp.alias_(b.col("accounts", "owner_id", "a"), "owner_id"),
            # the month the account closed in (null while open): see ``closed_m`` below
            exp.alias_(
                sqlglot.parse_one(
                    month_of(b.col("accounts", "closed_on", "a", "DATE").sql(dialect=READ)),
                    read=READ,
                ),
                "closed_m",
            ),
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
                "a.closed_m",
                "a.owner_id",
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
            "closed_m",
            "owner_id",
        ).from_("tp_acc_raw")
    else:
        acc = sqlglot.select(
            "account_id",
            "territory_id",
            "CAST(NULL AS VARCHAR) AS segment",
            "CAST(NULL AS VARCHAR) AS industry",
            "CAST(NULL AS DOUBLE) AS potential",
            "CAST(NULL AS INT) AS closed_m",
            "CAST(NULL AS VARCHAR) AS owner_id",
        ).from_("tp_ali")
    # integer keys for the per-account work: ``acc`` per account row, ``cell`` per
    # (territory, segment, industry, holder) combination (the holder: the rep holding the
    # account in a territory with several primary reps, see :mod:`kpi_sql_shared`)
    b.add("tp_acc_base", acc)
    held_accounts(b)
    b.add(
        "tp_acc",
        sqlglot.select(
            "account_id",
            "territory_id",
            "segment",
            "industry",
            "potential",
            "closed_m",
            "holder_id",
            exp.alias_(
                sqlglot.parse_one("ROW_NUMBER() OVER (ORDER BY account_id)", read=READ), "acc"
            ),
            exp.alias_(
                sqlglot.parse_one(
                    "DENSE_RANK() OVER (ORDER BY territory_id, segment, industry, holder_id)",
                    read=READ,
                ),
                "cell",
            ),
        ).from_("tp_acc_held"),
    )


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


def group_rows(
    b: SqlContext, relation: str, carry: Sequence[str], *, skip_missing: bool = False
) -> exp.Query:
    """Rows of ``relation`` (territory_id, segment, industry, holder_id, *carry) once per
    group they belong to: ``dimension, key, *carry`` (by rep: the holder, else the leaf
    territory's owner). ``skip_missing``: a row without a segment or
    industry is in no group of it (leads), else in ``(no segment)``."""
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
                sqlglot.select(
                    exp.alias_(text(dim), "dimension"),
                    "COALESCE(r.holder_id, g.owner_id) AS key",
                    *cols,
                )
                .from_(f"{relation} AS r")
                .join("tp_nodes AS g", on="g.territory_id = r.territory_id")
                .where("g.is_leaf AND COALESCE(r.holder_id, g.owner_id) IS NOT NULL")
            )
        elif skip_missing:
            q = (
                sqlglot.select(exp.alias_(text(dim), "dimension"), f"r.{dim} AS key", *cols)
                .from_(f"{relation} AS r")
                .where(f"r.{dim} IS NOT NULL")
            )
        else:  # a missing segment or industry is a group of its own, as in-process
            key = exp.func("COALESCE", exp.column(dim, "r"), text(missing_group(dim)))
            q = sqlglot.select(
                exp.alias_(text(dim), "dimension"), exp.alias_(key, "key"), *cols
            ).from_(f"{relation} AS r")
        parts.append(q)
    return union(parts)


def cells(b: SqlContext) -> None:
    """``tp_cells (cell, territory_id, segment, industry, holder_id)``."""
    b.add(
        "tp_cells",
        sqlglot.select("cell", "territory_id", "segment", "industry", "holder_id")
        .distinct()
        .from_("tp_acc"),
    )


def sales(b: SqlContext) -> None:
    """``tp_am (acc, cell, potential, m, early, late, sold)``: sales per account and month.

    The only step that reads every sales line, once: a group-by on the line's own account id
    and month number (no join, no cast per line), the lines dated after ``as_of - 1 year``
    summed apart (``late``). ``sold``: the account bought that month (a positive sum on either
    side of that date, as in-process). The account join runs on the grouped rows."""
    late_from = date_literal(year_earlier(b.as_of))
    day = exp.column("date", "s")
    amount = exp.cast(exp.column("amount", "s"), "DOUBLE")
    is_late = exp.GT(this=day, expression=late_from)
    zero = number(0)
    grouped = (
        sqlglot.select(
            "s.account_id",
            exp.alias_(sqlglot.parse_one(month_of("s.date", cast=False), read=READ), "m"),
            exp.alias_(exp.Sum(this=exp.Case().when(is_late, zero).else_(amount.copy())), "early"),
            exp.alias_(
                exp.Sum(this=exp.Case().when(is_late.copy(), amount.copy()).else_(zero.copy())),
                "late",
            ),
        )
        .from_(b.source("sales_lines", "s"))
        .where(exp.LTE(this=day.copy(), expression=date_literal(b.as_of)))
        .group_by("1", "2")
    )
    b.add("tp_sales", grouped)
    columns = [
        "a.acc",
        "a.cell",
        "a.potential",
        "a.closed_m",
        "CAST(s.m AS INT) AS m",
        "s.early",
        "s.late",
        "s.early > 0 OR s.late > 0 AS sold",
    ]
    if b.credits:  # the lines' own account ids, to find a re-owned account's lines uncast
        columns.append("s.account_id AS source_id")
    b.add(
        "tp_am",
        sqlglot.select(*columns)
        .from_("tp_sales AS s")
        .join("tp_acc AS a", on="a.account_id = CAST(s.account_id AS VARCHAR)"),
    )


def opportunities(b: SqlContext) -> None:
    if not b.tables.has("opportunities"):
        return
    # a closed opportunity counts on its close date; one stored without a close date (none
    # can be imported now) is in no KPI of closed deals and in no pipeline (``undated``), as
    # in-process and in the revenue history: never a win in one KPI and not in another
    closed_on = "o.close_date"
    if "close_date" in b.tables.missing.get("opportunities", ()):
        closed_on = "CAST(NULL AS DATE)"
    is_closed = "COALESCE(o.is_closed, FALSE)"
    b.add(
        "tp_opp",
        sqlglot.select(
            exp.alias_(b.col("opportunities", "id", "o"), "opp_id"),
            "a.account_id",
            "a.acc",
            "a.cell",
            exp.alias_(exp.cast(exp.column("created_date", "o"), "DATE"), "created_date"),
            exp.alias_(sqlglot.parse_one(month_of("o.created_date"), read=READ), "cm"),
            exp.alias_(sqlglot.parse_one(month_of(closed_on), read=READ), "xm"),
            "CAST(o.amount AS DOUBLE) AS amount",
            exp.alias_(_closed_by(is_closed, closed_on, b), "closed"),
            exp.alias_(
                exp.and_(
                    is_closed,
                    exp.Is(this=sqlglot.parse_one(closed_on, read=READ), expression=exp.null()),
                ),
                "undated",
            ),
            "COALESCE(o.is_won, FALSE) AS won",
            exp.alias_(_closed_by("COALESCE(o.is_won, FALSE)", closed_on, b), "won_by_as_of"),
            *deal_columns(b),
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
    b.add("tp_opp_known", sqlglot.select("*").from_("tp_opp").where("acc IS NOT NULL"))


def _closed_by(flag: str, closed_on: str, b: SqlContext) -> exp.Expr:
    """``flag`` and closed on or before the as-of date (False without a close date)."""
    on_time = exp.LTE(
        this=sqlglot.parse_one(closed_on, read=READ), expression=date_literal(b.as_of)
    )
    return exp.func("COALESCE", exp.and_(flag, on_time), exp.false())


def measure_row(
    source: str, m: str, *, key: str = "cell", key_alias: str = "cell", **values: str
) -> exp.Select:
    """``key AS key_alias, m`` and every measure of :data:`EVENT_MEASURES` (0.0 unless
    given) from ``source`` (a table, or joined tables)."""

    def named(sql: str, name: str) -> exp.Expr:
        value = sqlglot.parse_one(sql, read=READ)
        return value if sql == name else exp.alias_(value, name)

    return sqlglot.select(
        named(key, key_alias),
        named(m, "m"),
        *(named(values.get(name, "0.0"), name) for name in EVENT_MEASURES),
    ).from_(source)


def opportunity_rows(
    source: str, *, key: str = "cell", key_alias: str = "cell", sign: str = ""
) -> list[exp.Select]:
    """Rows of the opportunities of ``source`` opened (pipeline in, month ``cm``) and closed
    (pipeline out and wins, month ``xm``); ``sign`` "-" negates every measure. A closed
    opportunity without a close date (``undated``) is neither; a credit (won, negative)
    only nets the won amounts by type."""
    typed = measure_row(
        source,
        "xm",
        key=key,
        key_alias=key_alias,
        new_won=f"{sign}CASE WHEN new_deal THEN amount ELSE 0.0 END",
        existing_won=f"{sign}CASE WHEN existing_deal THEN amount ELSE 0.0 END",
    ).where("closed AND won")
    opened = measure_row(
        source, "cm", key=key, key_alias=key_alias, pipeline_delta=f"{sign}amount"
    ).where("NOT undated AND NOT credit")
    closed = measure_row(
        source,
        "xm",
        key=key,
        key_alias=key_alias,
        pipeline_delta="amount" if sign else "-amount",
        opps_closed=f"{sign}1.0",
        opps_won=f"{sign}CASE WHEN won THEN 1.0 ELSE 0.0 END",
        won_amount=f"{sign}CASE WHEN won THEN amount ELSE 0.0 END",
        cycle_days=f"{sign}CASE WHEN won THEN days ELSE 0.0 END",
    ).where("closed AND NOT credit")
    return [opened, closed, typed]


def events(b: SqlContext) -> None:
    """``tp_cm (cell, m, <event measures>)``: every measure per cell and month, and
    ``tp_cm_named`` with the cells' territory, segment and industry."""
    b.add(
        "tp_rev",
        sqlglot.select("cell", "m", "SUM(early) AS revenue_early", "SUM(late) AS revenue_late")
        .from_("tp_am")
        .group_by("cell", "m"),
    )
    # a customer from the first month of positive net sales or, when earlier, of a won deal
    # (a renewal of a deal billed before the sales history starts): new once, as in-process
    became: exp.Query = sqlglot.select("acc", "m").from_("tp_am").where("sold")
    if b.tables.has("opportunities"):
        won = sqlglot.select("acc", "xm AS m").from_("tp_opp_known").where(WON_DEAL)
        became = exp.union(became, won, distinct=False)
    first = sqlglot.select("acc", "MIN(m) AS m").from_(became.subquery("b")).group_by("acc")
    if b.tables.has("opportunities"):
        first = renewals_left_out(b, first)
    b.add("tp_new", first)
    parts: list[exp.Query] = [
        measure_row("tp_rev", "m", revenue_early="revenue_early", revenue_late="revenue_late"),
        measure_row(
            "tp_new AS n JOIN tp_acc AS a ON a.acc = n.acc",
            "n.m",
            key="a.cell",
            new_customers="1.0",
        ),
    ]
    # a closed account is out of the book from the month it closed (``closed_m``): its later
    # events start no stretch of activity and a stretch running then ends there
    activity: list[exp.Query] = [
        sqlglot.select("acc", "cell", "m", "closed_m")
        .from_("tp_am")
        .where("sold AND (closed_m IS NULL OR m < closed_m)")
    ]
    if b.tables.has("opportunities"):
        parts.extend(opportunity_rows("tp_opp_known"))
        activity.append(
            sqlglot.select("o.acc", "o.cell", "o.cm AS m", "a.closed_m")
            .from_("tp_opp_known AS o")
            .join("tp_acc AS a", on="a.acc = o.acc")
            .where("(a.closed_m IS NULL OR o.cm < a.closed_m) AND NOT o.credit")
        )
    b.add("tp_act", union(activity))
    # an account is active in month t when it has an event in t - N + 1 .. t: the union of
    # [m, m + N) over its events. Only where that union starts (+1) and ends (-1) is a row:
    # an event starts a stretch when the previous one is N or more months earlier, and ends
    # it (at m + N) when the next is N or more months later. An account's events that fall in
    # one month (a sale and an opportunity) are one event: the first of them ends nothing,
    # the second starts nothing.
    n = integer(b.n)
    window = "OVER (PARTITION BY acc ORDER BY m)"
    b.add(
        "tp_act_runs",
        sqlglot.select(
            "cell",
            "m",
            "closed_m",
            exp.alias_(sqlglot.parse_one(f"LAG(m) {window}", read=READ), "prev_m"),
            exp.alias_(sqlglot.parse_one(f"LEAD(m) {window}", read=READ), "next_m"),
        ).from_("tp_act"),
    )
    parts.append(
        measure_row("tp_act_runs", "m", active_delta="1.0").where(
            exp.or_("prev_m IS NULL", exp.GTE(this=sqlglot.parse_one("m - prev_m"), expression=n))
        )
    )
    parts.append(
        measure_row(
            "tp_act_runs",
            f"LEAST(m + {b.n}, COALESCE(closed_m, m + {b.n}))",
            active_delta="-1.0",
        ).where(
            exp.or_(
                "next_m IS NULL",
                exp.GTE(this=sqlglot.parse_one("next_m - m"), expression=n.copy()),
            )
        )
    )
    b.add("tp_events", union(parts))
    b.add(
        "tp_cm",
        sqlglot.select("cell", "m", *(f"SUM({m}) AS {m}" for m in EVENT_MEASURES))
        .from_("tp_events")
        .group_by("cell", "m"),
    )
    b.add(
        "tp_cm_named",
        sqlglot.select(
            "c.territory_id",
            "c.segment",
            "c.industry",
            "c.holder_id",
            "x.m",
            *(f"x.{m}" for m in EVENT_MEASURES),
        )
        .from_("tp_cm AS x")
        .join("tp_cells AS c", on="c.cell = x.cell"),
    )
