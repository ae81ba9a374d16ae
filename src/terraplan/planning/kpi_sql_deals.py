"""KPI SQL: the opportunity's type and credits (see :mod:`terraplan.planning.kpi_facts`).

A won opportunity of a negative amount (``credit``: a credit memo, a downgrade) nets the
revenue and the won amounts by type, and is no deal: no win, no pipeline, no new customer,
no activity. ``new_deal`` / ``existing_deal`` read ``deal_type`` against the labels of
:mod:`terraplan.domain.deal_types`, as the import stores them.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from terraplan.domain.deal_types import EXISTING_BUSINESS, NEW_BUSINESS
from terraplan.planning.kpi_sql_base import SqlContext, text

#: A won deal closed by the as-of date that is not a credit (the rows of ``tp_opp``).
WON_DEAL = "won_by_as_of AND NOT credit"


def deal_columns(b: SqlContext) -> tuple[exp.Expr, ...]:
    """``credit``, ``new_deal`` and ``existing_deal`` of an opportunity ``o``."""
    return (
        sqlglot.parse_one(
            "COALESCE(COALESCE(o.is_won, FALSE) AND CAST(o.amount AS DOUBLE) < 0, FALSE)"
        ).as_("credit"),
        exp.alias_(_in_types(b, NEW_BUSINESS), "new_deal"),
        exp.alias_(_in_types(b, EXISTING_BUSINESS), "existing_deal"),
    )


def _in_types(b: SqlContext, labels: tuple[str, ...]) -> exp.Expr:
    """The opportunity's ``deal_type`` is one of ``labels`` (False without one)."""
    if "deal_type" in b.tables.missing.get("opportunities", ()):
        return exp.false()
    column = exp.column("deal_type", "o")
    return exp.func(
        "COALESCE", exp.In(this=column, expressions=[text(x) for x in labels]), exp.false()
    )


def renewals_left_out(b: SqlContext, first: exp.Select) -> exp.Select:
    """``first`` (``acc, m``: each account's first month as a customer) without the accounts
    that won a renewal or expansion before, or in, that month with no new business won in
    it: they were customers before the history starts, never new (as in-process)."""
    b.add("tp_first", first)
    b.add(
        "tp_renewed",
        sqlglot.select(
            "acc",
            "MIN(CASE WHEN existing_deal THEN xm END) AS renewed",
            "MIN(CASE WHEN new_deal THEN xm END) AS newbiz",
        )
        .from_("tp_opp_known")
        .where(WON_DEAL)
        .group_by("acc"),
    )
    return (
        sqlglot.select("f.acc", "f.m")
        .from_("tp_first AS f")
        .join("tp_renewed AS r", on="r.acc = f.acc", join_type="LEFT")
        .where("r.renewed IS NULL OR r.renewed > f.m OR COALESCE(r.newbiz = f.m, FALSE)")
    )
