"""The KPI query's lead rows (``tp_lead_rows``): each lead created by the as-of day in its own
territory, segment and industry, converted as of that day, as in-process
(:func:`terraplan.planning.kpi_facts.lead_rows`)."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from terraplan.planning.kpi_sql_base import READ, SqlContext, date_literal, month_of, number


def leads(b: SqlContext) -> None:
    """``tp_lead_rows``: one row per lead created by the as-of day. A lead is converted unless
    its opportunity is stored with a later creation day (it converted after the as-of day), as
    in-process; one whose opportunity is not stored keeps counting."""
    if not b.tables.has("leads"):
        return
    opportunities = b.tables.has("opportunities")
    if opportunities:
        b.add(
            "tp_opp_later",
            sqlglot.select(exp.alias_(b.col("opportunities", "id", "o"), "opp_id"))
            .distinct()
            .from_(b.source("opportunities", "o"))
            .where(exp.GT(this=exp.column("created_date", "o"), expression=date_literal(b.as_of))),
        )
    converted: exp.Expr = b.col("leads", "converted_opportunity_id", "d").is_(exp.null()).not_()
    if opportunities:
        converted = exp.and_(converted, exp.column("opp_id", "lt").is_(exp.null()))
    q = sqlglot.select(
        exp.alias_(sqlglot.parse_one(month_of("d.created_date"), read=READ), "m"),
        exp.alias_(b.col("leads", "territory_id", "d"), "territory_id"),
        exp.alias_(b.col("leads", "segment", "d"), "segment"),
        exp.alias_(b.col("leads", "industry", "d"), "industry"),
        "1.0 AS leads",
        exp.alias_(
            exp.Case().when(converted, number(1)).else_(number(0)),
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
        ).join(
            "tp_opp_later AS lt",
            on=exp.EQ(
                this=exp.column("opp_id", "lt"),
                expression=b.col("leads", "converted_opportunity_id", "d"),
            ),
            join_type="LEFT",
        )
    q = q.where(exp.LTE(this=exp.column("created_date", "d"), expression=date_literal(b.as_of)))
    b.add("tp_lead_rows", q)
