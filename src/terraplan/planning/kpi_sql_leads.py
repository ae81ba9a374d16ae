"""The KPI query's lead rows (``tp_lead_rows``): each lead created by the as-of day in its own
territory, segment and industry, converted as of that day, and in a territory with several
primary reps the rep whose turn it was (``holder_id``), as in-process
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
    if not b.tables.has("shared_owners"):
        b.add("tp_lead_rows", q.select("CAST(NULL AS VARCHAR) AS holder_id"))
        return
    # a territory with several primary reps hands its leads out in turn (round robin), in
    # order of creation, then lead id: the lead's place in that order (counted from 0)
    # ids in the order of their bytes, as in-process (``COLLATE "C"``: PostgreSQL would
    # order them in the database's collation, 00Qa before 00QB; see ``binary_ids``)
    lead_id = exp.Collate(
        this=b.col("leads", "id", "d"), expression=exp.to_identifier("C", quoted=True)
    )
    place = exp.Sub(
        this=exp.Window(
            this=exp.RowNumber(),
            partition_by=[b.col("leads", "territory_id", "d")],
            order=exp.Order(
                expressions=[
                    exp.Ordered(this=exp.column("created_date", "d"), nulls_first=False),
                    exp.Ordered(this=lead_id, nulls_first=False),
                ]
            ),
        ),
        expression=exp.Literal.number(1),
    )
    b.add("tp_lead_seq", q.select(exp.alias_(place, "place")))
    turns = "tp_shared_turns"
    b.add(
        "tp_lead_rows",
        sqlglot.select(
            "q.m",
            "q.territory_id",
            "q.segment",
            "q.industry",
            "q.leads",
            "q.leads_converted",
            "q.leads_won",
            "t.rep_id AS holder_id",
        )
        .from_("tp_lead_seq AS q")
        .join(
            f"{turns} AS t",
            # place modulo n_reps, without ``%`` (a placeholder to PostgreSQL's drivers)
            on="t.territory_id = q.territory_id "
            "AND t.turn = q.place - t.n_reps * FLOOR(q.place / t.n_reps)",
            join_type="LEFT",
        ),
    )
