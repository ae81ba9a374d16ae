"""CTEs of the KPI query that credit reps with the owner of the day.

Without an ``ownership`` table, KPIs by rep sum the leaf territories each rep owns
(``territories.owner_id``: today's owner). With one (``account_id, owner_id, valid_from,
valid_to``: who owned an account on which days, ``valid_to`` null = still), each sales line is
credited to the rep who owned its account on the line's date, and each opportunity to the rep
who owned the account on the day it was opened; a date before an account's first ownership
row goes to that row's owner, other dates no ownership row covers (and accounts with none) keep
today's owner. This is :mod:`terraplan.planning.kpi_credit` (the in-process path) in SQL:

* ``tp_changed``: the accounts some ownership row gives to another rep than today's owner;
* their sales lines, summed per (account, day) (a second read of the sales lines, joined
  on the lines' own account ids so that the engine narrows it to those accounts' lines
  without a cast per line), and their opportunities;
* the owner of each such day: the ownership row with the latest ``valid_from`` on or before
  it, when its ``valid_to`` has not passed; before the account's first row (``tp_first_own``),
  the owner of that first row (the day is looked up on the first row's start);
* ``tp_credit (key, m, <measures>)``: for every line or opportunity whose owner of the day is
  not today's owner, its measures added to that owner and taken from today's owner, per rep
  and month. :func:`terraplan.planning.kpi_sql_rollups.group_months` adds these rows to the
  rep groups. New customers, active accounts, account counts and potential stay with today's
  owner, as in-process.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from terraplan.planning.kpi_periods import year_earlier
from terraplan.planning.kpi_sql_base import READ, SqlContext, date_literal, month_of, union
from terraplan.planning.kpi_sql_facts import measure_row, opportunity_rows

MOVED = "owner IS DISTINCT FROM today"


def corrections(b: SqlContext) -> None:
    """Add ``tp_credit`` when an ownership table is given and reps are reported."""
    if not b.credits:
        return
    b.add(
        "tp_own",
        sqlglot.select(
            exp.alias_(b.col("ownership", "account_id", "o"), "account_id"),
            exp.alias_(b.col("ownership", "owner_id", "o"), "owner_id"),
            exp.alias_(b.col("ownership", "valid_from", "o", "DATE"), "valid_from"),
            exp.alias_(b.col("ownership", "valid_to", "o", "DATE"), "valid_to"),
        ).from_(b.source("ownership", "o")),
    )
    b.add(
        "tp_today",
        # in a territory with several primary reps, the rep holding the account
        sqlglot.select("a.account_id", "COALESCE(a.holder_id, n.owner_id) AS today")
        .from_("tp_acc AS a")
        .join(
            "tp_nodes AS n",
            on="n.territory_id = a.territory_id AND n.is_leaf",
            join_type="LEFT",
        ),
    )
    b.add(
        "tp_changed",
        sqlglot.select("t.account_id", "t.today")
        .distinct()
        .from_("tp_today AS t")
        .join("tp_own AS o", on="o.account_id = t.account_id")
        .where("o.owner_id IS DISTINCT FROM t.today"),
    )
    # the changed accounts' ids as the sales lines write them (from the grouped lines), so
    # that the second read of the lines compares ids as they are, with no cast per line
    b.add(
        "tp_changed_ids",
        sqlglot.select("am.source_id", "c.account_id", "c.today")
        .distinct()
        .from_("tp_am AS am")
        .join("tp_acc AS a", on="a.acc = am.acc")
        .join("tp_changed AS c", on="c.account_id = a.account_id"),
    )
    day = exp.column("date", "s")
    b.add(
        "tp_moved_lines",
        sqlglot.select(
            "c.account_id",
            "c.today",
            exp.alias_(day, "day"),
            "SUM(CAST(s.amount AS DOUBLE)) AS amount",
        )
        .from_(b.source("sales_lines", "s"))
        .join("tp_changed_ids AS c", on="c.source_id = s.account_id")
        .where(exp.LTE(this=day.copy(), expression=date_literal(b.as_of)))
        .group_by("1", "2", "3"),
    )
    days: list[exp.Query] = [sqlglot.select("account_id", "day").from_("tp_moved_lines")]
    with_opps = b.tables.has("opportunities")
    if with_opps:
        b.add(
            "tp_moved_opps",
            sqlglot.select(
                "c.account_id",
                "c.today",
                "o.created_date AS day",
                "o.cm",
                "o.xm",
                "o.amount",
                "o.closed",
                "o.undated",
                "o.won",
                "o.days",
                "o.credit",
                "o.new_deal",
                "o.existing_deal",
            )
            .from_("tp_opp AS o")
            .join("tp_changed AS c", on="c.account_id = o.account_id"),
        )
        days.append(sqlglot.select("account_id", "day").from_("tp_moved_opps"))
    b.add("tp_credit_days", union(days, distinct=True))
    b.add(
        "tp_first_own",
        sqlglot.select("account_id", "MIN(valid_from) AS first_from")
        .from_("tp_own")
        .group_by("account_id"),
    )
    # owner ids in byte order, as in-process (see ``kpi_sql.binary_ids``)
    latest_first = 'ORDER BY o.valid_from DESC, o.owner_id COLLATE "C"'
    # a day before the account's first ownership row is looked up on that row's start
    looked_up = "CASE WHEN d.day < f.first_from THEN f.first_from ELSE d.day END"
    b.add(
        "tp_day_spans",
        sqlglot.select(
            "d.account_id",
            "d.day",
            "f.first_from",
            "o.owner_id",
            "o.valid_to",
            exp.alias_(
                sqlglot.parse_one(
                    f"ROW_NUMBER() OVER (PARTITION BY d.account_id, d.day {latest_first})",
                    read=READ,
                ),
                "pos",
            ),
        )
        .from_("tp_credit_days AS d")
        .join("tp_first_own AS f", on="f.account_id = d.account_id")
        .join(
            "tp_own AS o",
            on=f"o.account_id = d.account_id AND o.valid_from <= {looked_up}",
        ),
    )
    b.add(
        "tp_day_owner",
        sqlglot.select(
            "account_id",
            "day",
            "owner_id",
            "day < first_from OR valid_to IS NULL OR day <= valid_to AS covered",
        )
        .from_("tp_day_spans")
        .where("pos = 1"),
    )
    owner = "CASE WHEN COALESCE(x.covered, FALSE) THEN x.owner_id ELSE l.today END AS owner"
    owner_join = "x.account_id = l.account_id AND x.day = l.day"
    late = exp.GT(this=exp.column("day", "l"), expression=date_literal(year_earlier(b.as_of)))
    b.add(
        "tp_credit_lines",
        sqlglot.select(
            "l.today",
            owner,
            exp.alias_(sqlglot.parse_one(month_of("l.day"), read=READ), "m"),
            exp.alias_(exp.Case().when(late, exp.Literal.number("0.0")).else_("l.amount"), "early"),
            exp.alias_(
                exp.Case().when(late.copy(), "l.amount").else_(exp.Literal.number("0.0")), "late"
            ),
        )
        .from_("tp_moved_lines AS l")
        .join("tp_day_owner AS x", on=owner_join, join_type="LEFT"),
    )
    gain = f"owner IS NOT NULL AND {MOVED}"
    lose = f"today IS NOT NULL AND {MOVED}"
    parts: list[exp.Query] = [
        measure_row(
            "tp_credit_lines",
            "m",
            key="owner",
            key_alias="key",
            revenue_early="early",
            revenue_late="late",
        ).where(gain),
        measure_row(
            "tp_credit_lines",
            "m",
            key="today",
            key_alias="key",
            revenue_early="-early",
            revenue_late="-late",
        ).where(lose),
    ]
    if with_opps:
        b.add(
            "tp_credit_opps",
            sqlglot.select("l.*", owner)
            .from_("tp_moved_opps AS l")
            .join("tp_day_owner AS x", on=owner_join, join_type="LEFT"),
        )
        parts.extend(
            q.where(gain) for q in opportunity_rows("tp_credit_opps", key="owner", key_alias="key")
        )
        parts.extend(
            q.where(lose)
            for q in opportunity_rows("tp_credit_opps", key="today", key_alias="key", sign="-")
        )
    b.add("tp_credit", union(parts))
