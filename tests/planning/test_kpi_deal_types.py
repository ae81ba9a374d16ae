"""Deal types and credits in the KPIs: a SaaS CRM's opportunities (no invoices: revenue is
the won deals) with Salesforce's ``Type``, credit memos and downgrades booked as won deals of
a negative amount, a free renewal (0) and an open deal. In-process and the DuckDB query give
the same figures."""

from __future__ import annotations

import math
from datetime import date, timedelta

import duckdb
import polars as pl

from terraplan.domain import (
    Account,
    AlignmentEntry,
    Opportunity,
    Plan,
    RecordKind,
    Territory,
    TerritoryOwner,
)
from terraplan.planning.kpi_inputs import KpiInputs
from terraplan.planning.kpi_sql import COLUMNS, TABLES, KpiTables, compile_kpi_sql
from terraplan.planning.kpis import compute_kpis, data_dates
from terraplan.planning.revenue import revenue_history

AS_OF = date(2026, 12, 2)


def deal(
    oid: str,
    account: str,
    closed: date,
    amount: float,
    deal_type: str | None,
    *,
    stage: str = "Closed Won",
    days: int = 30,
) -> Opportunity:
    won, is_closed = stage == "Closed Won", stage.startswith("Closed")
    return Opportunity(
        oid, account, closed - timedelta(days=days), amount, stage,
        close_date=closed, is_closed=is_closed, is_won=won, deal_type=deal_type,
    )  # fmt: skip


def saas_inputs() -> KpiInputs:
    opps = [
        deal("o1", "NEWCO", date(2026, 2, 10), 10_000.0, "New Business"),
        deal("o2", "NEWCO", date(2026, 6, 1), 2_000.0, "Upsell"),
        deal("o3", "OLDCO", date(2026, 3, 5), 8_000.0, "Renewal"),  # a customer before
        # a credit memo opened in March, won in April: no pipeline in March, no win
        deal("o4", "OLDCO", date(2026, 4, 1), -1_500.0, "Existing Business", days=12),
        deal("o5", "BLANK", date(2026, 5, 1), 500.0, None),  # no type: as before
        deal("o6", "FREE", date(2026, 7, 1), 0.0, "Renewal"),  # a free renewal: a win of 0
        deal("o7", "MIXED", date(2026, 8, 3), 5_000.0, "New Business"),
        deal("o8", "MIXED", date(2026, 8, 20), 1_000.0, "Add-On"),
        deal("o9", "LOSTCO", date(2026, 3, 1), 4_000.0, "New Business", stage="Closed Lost"),
        deal(
            "o10", "OPEN", date(2027, 1, 15), 3_000.0, "New Business", stage="Negotiation", days=60
        ),
    ]
    ids = ["NEWCO", "OLDCO", "BLANK", "FREE", "MIXED", "LOSTCO", "OPEN"]
    plan = Plan(
        id="p",
        name="P",
        territories=(Territory("T", "T", owners=(TerritoryOwner("rep1"),)),),
        alignment=tuple(AlignmentEntry(RecordKind.ACCOUNT, a, "T") for a in ids),
    )
    return KpiInputs.from_domain(
        sales_lines=revenue_history((), opps).lines,
        opportunities=opps,
        accounts=[Account(a, a.lower()) for a in ids],
        plan=plan,
    )


def kpis(periods: list[str]) -> pl.DataFrame:
    frame = compute_kpis(saas_inputs(), as_of=AS_OF, periods=periods, dimensions=["territory"])
    return frame.filter(pl.col("key") == "T")


def test_credits_net_revenue_but_are_no_won_deal() -> None:
    (row,) = kpis(["2026"]).iter_rows(named=True)
    assert row["revenue"] == 25_000.0  # 26,500 won, less the 1,500 credit
    assert row["win_rate"] == 7 / 8  # 7 won deals of 8 closed: the credit is neither
    assert math.isclose(row["average_deal_size"], 26_500.0 / 7)  # the free renewal counts
    assert row["sales_cycle_days"] == 30.0  # the credit's 12 days are no sales cycle
    assert row["open_pipeline"] == 3_000.0


def test_a_credit_open_at_a_month_end_is_no_negative_pipeline() -> None:
    march = kpis(["2026-03"]).row(0, named=True)
    assert march["open_pipeline"] == 0.0  # not -1,500


def test_won_amounts_split_by_type() -> None:
    (row,) = kpis(["2026"]).iter_rows(named=True)
    assert row["new_business_won"] == 15_000.0  # o1 + o7; the lost o9 is no win
    assert row["existing_business_won"] == 9_500.0  # 2,000 + 8,000 - 1,500 + 0 + 1,000
    april = kpis(["2026-04"]).row(0, named=True)
    assert (april["existing_business_won"], april["revenue"]) == (-1_500.0, -1_500.0)


def test_an_account_whose_first_win_is_a_renewal_is_no_new_customer() -> None:
    # NEWCO (New Business in February), BLANK (untyped, May), MIXED (New Business and an
    # Add-On in one month, August); OLDCO and FREE only renewed: customers before
    got = dict(kpis(["2026-02", "2026-03", "2026-05", "2026-07", "2026-08", "2026"]).select(
        "period", "new_customers"
    ).iter_rows())  # fmt: skip
    assert got == {"2026-02": 1, "2026-03": 0, "2026-05": 1, "2026-07": 0, "2026-08": 1, "2026": 3}


def test_the_duckdb_query_gives_the_same_figures() -> None:
    inputs = saas_inputs()
    periods = ["2026", "2026-03", "2026-04", "2026-08"]
    want = compute_kpis(inputs, as_of=AS_OF, periods=periods)
    first, _ = data_dates(inputs)
    data = {n: f.collect() for n in TABLES if (f := inputs.frame(n)) is not None}
    missing = {n: [c for c in COLUMNS[n][1] if c not in f.columns] for n, f in data.items()}
    sql = compile_kpi_sql(
        KpiTables({n: f"in_{n}" for n in data}, missing),
        as_of=AS_OF,
        periods=periods,
        first=first,
        dialect="duckdb",
    )
    with duckdb.connect() as conn:
        for name, frame in data.items():
            conn.register(f"in_{name}", frame.to_arrow())
        got = conn.sql(sql).pl()
    assert got.height == want.height
    for column in ("revenue", "win_rate", "new_customers", "open_pipeline", "new_business_won",
                   "existing_business_won", "average_deal_size"):  # fmt: skip
        pairs = zip(want[column].to_list(), got[column].to_list(), strict=True)
        assert all(
            (a is None and b is None) or math.isclose(a, float(b), abs_tol=1e-6) for a, b in pairs
        ), column
