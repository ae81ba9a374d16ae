"""CTEs of the KPI query that spread targets and acquisition costs over the periods.

Each amount is set on a period of its own; it is spread evenly over its days, then summed
per territory, region and rep (a region or rep without amounts of its own sums its leaf
territories'). Revenue targets count each day once, from the finest target covering it
(:mod:`terraplan.planning.kpi_sql_targets`); by rep, they count only the days from the rep's
hire date (the ``reps`` table's ``hire_date``). The in-process counterpart is
:mod:`terraplan.planning.kpi_spread`.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from terraplan.planning.kpi_sql_base import READ, SqlContext, empty, integer, union
from terraplan.planning.kpi_sql_targets import day_number, target_segments


def _target_rows(source: str, columns: list[str], p_end: str, start: str) -> exp.Select:
    """Revenue targets' segments (``source``: ``d_start``, ``d_end``, ``amount`` and
    ``columns``) x periods, with their overlap in days with the period (``overlap``) and with
    its days gone (``overlap_due``, up to the cut date: what pace compares with), counted from
    the segment's column ``start`` (its first day, or a rep's hire day)."""
    lo = exp.func("GREATEST", exp.column(start, table="t"), day_number("p.period_start"))

    def days(end: str) -> exp.Expr:
        hi = exp.func("LEAST", exp.column("d_end", table="t"), day_number(end))
        return exp.cast(
            exp.Add(this=exp.Sub(this=hi, expression=lo), expression=integer(1)), "DOUBLE"
        )

    return (
        sqlglot.select(
            *(f"t.{c}" for c in columns),
            "p.period",
            exp.alias_(days(p_end), "overlap"),
            exp.alias_(days("p.cut"), "overlap_due"),
            "CAST(t.d_end - t.d_start + 1 AS DOUBLE) AS span_days",
            "t.amount",
        )
        .from_(f"{source} AS t")
        .join("tp_periods AS p", on=exp.true())
    )  # fmt: skip


def _rep_segments(b: SqlContext, cte: str, fine: str) -> str:
    """Add the CTEs of the targets' segments per rep; return the name of the last one, with
    ``key`` (the rep), ``direct`` (1: a target of the rep's own, 0: of the territory they
    own today), ``d_start``, ``d_end``, ``d_from`` (the first day counted: the segment's, or
    the rep's hire day when later) and ``amount``. As in-process
    (:func:`terraplan.planning.kpi_spread.hire_dates`): no target before a rep's hire."""
    hired = b.tables.has("reps") and "hire_date" not in b.tables.missing.get("reps", ())
    if hired:
        b.add(
            f"{cte}_hires",
            sqlglot.select(
                exp.alias_(b.col("reps", "id", "r"), "rep_id"),
                exp.alias_(exp.func("MIN", day_number("CAST(r.hire_date AS DATE)")), "d_hire"),
            )
            .from_(b.source("reps", "r"))
            .where("r.id IS NOT NULL AND r.hire_date IS NOT NULL")
            .group_by(b.col("reps", "id", "r")),
        )

    split = b.tables.has("shared_owners")

    def part(key: str, direct: int, where: str, nodes: bool) -> exp.Select:
        start = "GREATEST(t.d_start, COALESCE(h.d_hire, t.d_start))" if hired else "t.d_start"
        amount = "t.amount * COALESCE(w.weight, 1.0)" if nodes and split else "t.amount"
        q = sqlglot.select(
            f"{key} AS key", f"{direct} AS direct", "t.d_start", "t.d_end",
            f"{start} AS d_from", f"{amount} AS amount",
        ).from_(f"{fine} AS t")  # fmt: skip
        if nodes:
            q = q.join("tp_nodes AS g", on="g.territory_id = t.territory_id")
            if split:  # a territory's several primary reps split it by their shares
                q = q.join(
                    "tp_shared_w AS w", on="w.territory_id = t.territory_id", join_type="LEFT"
                )
        if hired:
            q = q.join(f"{cte}_hires AS h", on=f"h.rep_id = {key}", join_type="LEFT")
        return q.where(where)

    owner = "COALESCE(w.rep_id, g.owner_id)" if split else "g.owner_id"

    name = f"{cte}_rep_seg"
    b.add(
        name,
        union(
            [
                part("t.rep_id", 1, "t.rep_id IS NOT NULL", nodes=False),
                part(
                    owner, 0,
                    "t.territory_id IS NOT NULL AND COALESCE(g.is_leaf, FALSE) "
                    f"AND {owner} IS NOT NULL",
                    nodes=True,
                ),
            ]
        ),
    )  # fmt: skip
    return name


def _cost_rows(b: SqlContext, name: str, p_end: str) -> exp.Select:
    """Costs (or any dated amounts) x periods, with their overlap in days."""
    lo = "GREATEST(CAST(t.period_start AS DATE), p.period_start)"
    hi = f"LEAST(CAST(t.period_end AS DATE), {p_end})"
    overlap = exp.Add(
        this=exp.DateDiff(
            this=sqlglot.parse_one(hi, read=READ),
            expression=sqlglot.parse_one(lo, read=READ),
            unit=exp.var("DAY"),
        ),
        expression=integer(1),
    )
    length = exp.Add(
        this=exp.DateDiff(
            this=sqlglot.parse_one("CAST(t.period_end AS DATE)", read=READ),
            expression=sqlglot.parse_one("CAST(t.period_start AS DATE)", read=READ),
            unit=exp.var("DAY"),
        ),
        expression=integer(1),
    )
    return (
        sqlglot.select(
            exp.alias_(b.col(name, "territory_id", "t"), "territory_id"),
            exp.alias_(exp.cast(exp.null(), "VARCHAR"), "rep_id"),
            "p.period",
            exp.alias_(exp.cast(overlap, "DOUBLE"), "overlap"),
            exp.alias_(exp.cast(length, "DOUBLE"), "span_days"),
            "CAST(t.amount AS DOUBLE) AS amount",
        )
        .from_(b.source(name, "t"))
        .join("tp_periods AS p", on=exp.true())
    )


def spread(b: SqlContext, name: str, cte: str, *, whole_period: bool) -> None:
    """Targets or costs per (dimension, key, period), spread evenly over their days; a
    region or rep without amounts of its own sums its leaf territories'. Targets also carry
    ``due``: the same spread over the period's days gone (pace compares revenue with it)."""
    values = ["amount", "due"] if name == "targets" else ["amount"]
    no_rows = {"dimension": "VARCHAR", "key": "VARCHAR", "period": "VARCHAR"}
    no_rows |= {v: "DOUBLE" for v in values}
    wanted = [d for d in b.dims if d in ("territory", "region", "rep")]
    if not b.tables.has(name) or not wanted:
        b.add(cte, empty(no_rows))
        return
    p_end = "p.period_end" if whole_period else "p.cut"
    fine = target_segments(b, cte) if name == "targets" else ""
    if name == "targets":
        q = _target_rows(fine, ["territory_id", "rep_id"], p_end, "d_start")
    else:
        q = _cost_rows(b, name, p_end)
    b.add(f"{cte}_raw", q)
    spread_values = ["amount * overlap / span_days AS amount"]
    if "due" in values:
        spread_values.append(
            "CASE WHEN overlap_due > 0 THEN amount * overlap_due / span_days ELSE 0.0 END AS due"
        )
    b.add(
        f"{cte}_spread",
        sqlglot.select("territory_id", "rep_id", "period", *spread_values)
        .from_(f"{cte}_raw")
        .where("overlap > 0"),
    )
    # by rep, targets count from the rep's hire date: spread per rep, not per territory
    by_hire = name == "targets" and "rep" in wanted
    if by_hire:
        rep_seg = _rep_segments(b, cte, fine)
        b.add(f"{cte}_rep_raw", _target_rows(rep_seg, ["key", "direct"], p_end, "d_from"))
        b.add(
            f"{cte}_rep_spread",
            sqlglot.select("key", "direct", "period", *spread_values)
            .from_(f"{cte}_rep_raw")
            .where("overlap > 0"),
        )
    b.add(
        f"{cte}_terr",
        sqlglot.select(
            "s.territory_id", "s.period", *(f"SUM(s.{v}) AS {v}" for v in values), "n.is_leaf"
        )
        .from_(f"{cte}_spread AS s")
        .join("tp_nodes AS n", on="n.territory_id = s.territory_id", join_type="LEFT")
        .where("s.territory_id IS NOT NULL")
        .group_by("s.territory_id", "s.period", "n.is_leaf"),
    )
    parts: list[exp.Query] = []
    leaf = "COALESCE(r.is_leaf, FALSE)"
    r_values = [f"r.{v}" for v in values]
    if "territory" in wanted:
        parts.append(
            sqlglot.select(
                "'territory' AS dimension", "r.territory_id AS key", "r.period", *r_values,
                "1 AS direct",
            )
            .from_(f"{cte}_terr AS r")
            .where(leaf)
        )  # fmt: skip
    if "region" in wanted:
        parts.append(
            sqlglot.select(
                "'region' AS dimension", "r.territory_id AS key", "r.period", *r_values,
                "1 AS direct",
            )
            .from_(f"{cte}_terr AS r")
            .where(f"NOT {leaf}")
        )  # fmt: skip
        parts.append(
            sqlglot.select(
                "'region' AS dimension", "g.ancestor_id AS key", "r.period", *r_values,
                "0 AS direct",
            )
            .from_(f"{cte}_terr AS r")
            .join("tp_anc AS g", on="g.territory_id = r.territory_id")
            .where(leaf)
        )  # fmt: skip
    if by_hire:
        parts.append(
            sqlglot.select(
                "'rep' AS dimension", "s.key", "s.period", *(f"s.{v}" for v in values),
                "s.direct",
            ).from_(f"{cte}_rep_spread AS s")
        )  # fmt: skip
    elif "rep" in wanted:
        parts.append(
            sqlglot.select(
                "'rep' AS dimension", "s.rep_id AS key", "s.period",
                *(f"s.{v}" for v in values), "1 AS direct",
            )
            .from_(f"{cte}_spread AS s")
            .where("s.rep_id IS NOT NULL")
        )  # fmt: skip
        if b.tables.has("shared_owners"):  # split by the shares of several primary reps
            owner = "COALESCE(w.rep_id, g.owner_id)"
            split = [f"r.{v} * COALESCE(w.weight, 1.0) AS {v}" for v in values]
            rep_rows = (
                sqlglot.select("'rep' AS dimension", f"{owner} AS key", "r.period", *split)
                .from_(f"{cte}_terr AS r")
                .join("tp_shared_w AS w", on="w.territory_id = r.territory_id", join_type="LEFT")
            )
        else:
            owner = "g.owner_id"
            rep_rows = sqlglot.select(
                "'rep' AS dimension", f"{owner} AS key", "r.period", *r_values
            ).from_(f"{cte}_terr AS r")
        parts.append(
            rep_rows.select("0 AS direct")
            .join("tp_nodes AS g", on="g.territory_id = r.territory_id")
            .where(f"{leaf} AND {owner} IS NOT NULL")
        )
    b.add(f"{cte}_parts", union(parts))
    # A rep with targets of their own in any period is never given their territories'
    # instead (as in-process: a rep hired mid-year took over the first half of their
    # predecessor's territory, counted twice).
    own = "o.key IS NOT NULL"
    if "rep" in wanted:
        b.add(
            f"{cte}_own",
            sqlglot.select("'rep' AS dimension", "rep_id AS key")
            .distinct()
            .from_(f"{cte}_raw")
            .where("rep_id IS NOT NULL"),
        )
        joined = (
            sqlglot.select("q.*", f"CASE WHEN {own} THEN 1 ELSE 0 END AS own")
            .from_(f"{cte}_parts AS q")
            .join(
                f"{cte}_own AS o",
                on="o.dimension = q.dimension AND o.key = q.key",
                join_type="LEFT",
            )
        )
    else:
        joined = sqlglot.select("q.*", "0 AS own").from_(f"{cte}_parts AS q")
    b.add(f"{cte}_owned", joined)
    b.add(
        cte,
        sqlglot.select(
            "dimension",
            "key",
            "period",
            *(
                f"CASE WHEN MAX(own) = 1 THEN SUM(CASE WHEN direct = 1 THEN {v} END) "
                f"ELSE COALESCE(SUM(CASE WHEN direct = 1 THEN {v} END), "
                f"SUM(CASE WHEN direct = 0 THEN {v} END)) END AS {v}"
                for v in values
            ),
        )
        .from_(f"{cte}_owned")
        .group_by("dimension", "key", "period"),
    )
