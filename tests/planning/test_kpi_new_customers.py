"""New customers: an account is acquired once, in its first month of positive net sales or,
when earlier, the month it won a deal, so a renewal is never an acquisition (a SaaS CRM whose
invoices start after its opportunities: a 2023 renewal of a 2021 buyer, a prepaid 3-year
deal, a free renewal)."""

from __future__ import annotations

from datetime import date

import polars as pl

from terraplan.domain import (
    Account,
    AlignmentEntry,
    Opportunity,
    Plan,
    RecordKind,
    SalesLine,
    Territory,
    TerritoryOwner,
)
from terraplan.planning.kpi_inputs import KpiInputs
from terraplan.planning.kpis import compute_kpis

AS_OF = date(2026, 12, 2)


def won(oid: str, account: str, closed: date, amount: float) -> Opportunity:
    return Opportunity(
        oid, account, date(closed.year - 1, 12, 1), amount, "Closed Won",
        close_date=closed, is_closed=True, is_won=True,
    )  # fmt: skip


def saas_inputs() -> KpiInputs:
    ids = ["RENEWED", "FREE", "PREPAID", "NEW", "BOOKED_DEC", "LOST_FIRST", "WON_LATER"]
    plan = Plan(
        id="p",
        name="P",
        territories=(Territory("T", "T", owners=(TerritoryOwner("rep1"),)),),
        alignment=tuple(AlignmentEntry(RecordKind.ACCOUNT, a, "T") for a in ids),
    )
    sales = [  # invoices start in 2024; every account's first invoice is in 2026 but two
        SalesLine("s1", "RENEWED", date(2026, 3, 1), 900.0),
        SalesLine("s2", "FREE", date(2026, 5, 1), 120.0),
        SalesLine("s3", "PREPAID", date(2026, 4, 1), 3000.0),
        SalesLine("s4", "NEW", date(2026, 2, 1), 500.0),
        SalesLine("s5", "BOOKED_DEC", date(2026, 1, 5), 800.0),
        SalesLine("s6", "LOST_FIRST", date(2026, 6, 1), 400.0),
        SalesLine("s7", "LOST_FIRST", date(2026, 6, 9), -400.0),  # refunded in full
        SalesLine("s8", "LOST_FIRST", date(2026, 7, 1), 300.0),
        SalesLine("s9", "WON_LATER", date(2024, 2, 1), 50.0),
    ]
    opps = [
        won("o1", "RENEWED", date(2023, 3, 1), 900.0),  # a Renewal, first in the export
        won("o2", "FREE", date(2024, 5, 1), 0.0),  # a free renewal
        won("o3", "PREPAID", date(2023, 4, 1), 9000.0),  # 3 years billed before 2024
        won("o4", "NEW", date(2026, 2, 1), 500.0),
        won("o5", "BOOKED_DEC", date(2025, 12, 20), 800.0),  # invoiced in January
        Opportunity(
            "o6", "LOST_FIRST", date(2024, 1, 1), 700.0, "Closed Lost",
            close_date=date(2024, 3, 1), is_closed=True,
        ),
        won("o7", "WON_LATER", date(2026, 12, 20), 100.0),  # closes after the as-of date
    ]  # fmt: skip
    return KpiInputs.from_domain(
        sales_lines=sales,
        opportunities=opps,
        accounts=[Account(a, a.lower()) for a in ids],
        plan=plan,
    )


def new_by_period(periods: list[str]) -> dict[str, int]:
    frame = compute_kpis(saas_inputs(), as_of=AS_OF, periods=periods, dimensions=["territory"])
    rows = frame.filter(pl.col("key") == "T").select("period", "new_customers")
    return dict(rows.iter_rows())


def test_a_renewal_or_a_deal_billed_before_the_invoices_is_no_new_customer() -> None:
    got = new_by_period(["2023", "2024", "2025", "2026"])
    # 2023: RENEWED and PREPAID won deals; 2024: FREE's free renewal and WON_LATER's first
    # invoice; 2025: BOOKED_DEC, booked in December; 2026: NEW and LOST_FIRST (a lost deal
    # makes no customer; its first month of positive net sales is July)
    assert got == {"2023": 2, "2024": 2, "2025": 1, "2026": 2}


def test_the_month_of_acquisition_is_the_first_sale_or_won_deal() -> None:
    got = new_by_period(["2025-12", "2026-01", "2026-02", "2026-06", "2026-07"])
    assert got == {"2025-12": 1, "2026-01": 0, "2026-02": 1, "2026-06": 0, "2026-07": 1}
