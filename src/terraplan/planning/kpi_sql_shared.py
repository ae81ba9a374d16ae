"""CTEs of the KPI query for territories with several primary reps (``shared_owners``:
``territory_id, rep_id, share`` and ``rep_order``, the rep's place in the plan's order of the
territory's reps), as in-process (:mod:`terraplan.planning.kpi_groups`,
:func:`terraplan.planning.kpi_facts.lead_holders`, :func:`terraplan.planning.kpi_spread.split_shared`):

* ``tp_shared_w (territory_id, rep_id, weight)``: each rep's share of the territory's
  targets and costs (``share`` over the territory's sum of shares);
* ``tp_shared_turns (territory_id, rep_id, turn, n_reps)``: the order in which the
  territory's reps take its leads (round robin, as routing hands them out), from 0.

By rep, an account of such a territory counts for the rep who holds it (its ``owner_id``
when that is one of the territory's reps, else the territory's ``owner_id``); a lead for the
rep whose turn it was (the territory's leads in order of creation, then lead id); targets and
costs are split by the shares. Without the table every territory's figures go to its
``owner_id``."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from terraplan.planning.kpi_sql_base import READ, SqlContext


def shared_reps(b: SqlContext) -> None:
    """Add ``tp_shared_w`` and ``tp_shared_turns`` when a ``shared_owners`` table is given."""
    if not b.tables.has("shared_owners"):
        return
    b.add(
        "tp_shared_raw",
        sqlglot.select(
            exp.alias_(b.col("shared_owners", "territory_id", "s"), "territory_id"),
            exp.alias_(b.col("shared_owners", "rep_id", "s"), "rep_id"),
            exp.alias_(b.col("shared_owners", "share", "s", "DOUBLE"), "share"),
            exp.alias_(b.col("shared_owners", "rep_order", "s", "INT"), "rep_order"),
        )
        .from_(b.source("shared_owners", "s"))
        .where("s.territory_id IS NOT NULL AND s.rep_id IS NOT NULL"),
    )
    b.add(
        "tp_shared_w",
        sqlglot.select(
            "territory_id",
            "rep_id",
            exp.alias_(
                sqlglot.parse_one("share / SUM(share) OVER (PARTITION BY territory_id)", read=READ),
                "weight",
            ),
        ).from_("tp_shared_raw"),
    )
    # a rep named twice takes their turn at their first place; without ``rep_order`` the
    # reps take turns in the order of their ids
    reps = (
        sqlglot.select("territory_id", "rep_id", "MIN(rep_order) AS rep_order")
        .from_("tp_shared_raw")
        .group_by("territory_id", "rep_id")
    )
    b.add(
        "tp_shared_turns",
        sqlglot.select(
            "territory_id",
            "rep_id",
            exp.alias_(
                sqlglot.parse_one(
                    "ROW_NUMBER() OVER (PARTITION BY territory_id "
                    "ORDER BY rep_order NULLS LAST, rep_id) - 1",
                    read=READ,
                ),
                "turn",
            ),
            exp.alias_(
                sqlglot.parse_one("COUNT(*) OVER (PARTITION BY territory_id)", read=READ),
                "n_reps",
            ),
        ).from_(reps.subquery("r")),
    )


def held_accounts(b: SqlContext) -> None:
    """``tp_acc_held``: the accounts of ``tp_acc_base`` (without their ``owner_id``) with
    ``holder_id``: the account's owner when it is one of its territory's several primary
    reps, else null (the territory's owner)."""
    query = sqlglot.select(
        "b.account_id", "b.territory_id", "b.segment", "b.industry", "b.potential", "b.closed_m"
    ).from_("tp_acc_base AS b")
    if not b.tables.has("shared_owners"):
        b.add("tp_acc_held", query.select("CAST(NULL AS VARCHAR) AS holder_id"))
        return
    holders = (
        sqlglot.select("territory_id", "rep_id").distinct().from_("tp_shared_raw").subquery("h")
    )
    b.add(
        "tp_acc_held",
        query.select("h.rep_id AS holder_id").join(
            holders,
            on="h.territory_id = b.territory_id AND h.rep_id = b.owner_id",
            join_type="LEFT",
        ),
    )
