"""A SaaS CRM whose invoices start a year after its opportunities: a renewal billed for the
first time in the invoices is no new customer, and the note on the first year of the data
names the year the won deals start."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OPPORTUNITIES = (
    "Id,AccountId,Type,StageName,Amount,CloseDate,CreatedDate,IsClosed,IsWon\n"
    # a 2021 buyer: first in the export with a renewal, a 3-year deal billed in 2023
    "006A1,001A,Renewal,Closed Won,9000,2023-03-01,2022-03-01T10:00:00.000+0000,true,true\n"
    # a free renewal in 2024: invoiced for the first time in 2026
    "006B1,001B,Renewal,Closed Won,0,2024-05-01,2024-02-01T10:00:00.000+0000,true,true\n"
    "006C1,001C,New Business,Closed Won,500,2026-02-01,2025-11-01T10:00:00.000+0000,true,true\n"
)
INVOICES = (
    "Invoice Line ID,Account ID,Invoice Date,Amount\n"
    "L1,001A,2026-03-01,3000\nL2,001B,2026-05-01,1200\nL3,001C,2026-02-01,500\n"
    "L4,001C,2024-01-15,0\n"
)


def test_a_renewal_invoiced_first_in_the_year_is_no_new_customer(
    run_cli: Any, tmp_path: Path
) -> None:
    files = {
        "Account.csv": "Id,Name,BillingState\n001A,Acme,CA\n001B,Beta,CA\n001C,Core,CA\n",
        "Opportunity.csv": OPPORTUNITIES,
        "invoices.csv": INVOICES,
        "r.yaml": "territories:\n  - {id: w, name: West, type: geo}\n"
        "rules:\n  - {id: w, territory: w, when: {field: state, op: in, value: [CA]}}\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    for step in (
        ("import", "accounts", "Account.csv"),
        ("import", "opportunities", "Opportunity.csv"),
        ("import", "sales_lines", "invoices.csv"),
        ("plans", "new", "FY", "--territory", "w=West", "--plan-id", "P1"),
        ("rules", "save", "r.yaml", "--plan", "P1"),
        ("rules", "apply", "--plan", "P1"),
    ):
        done = run_cli(*step)
        assert done.returncode == 0, (step, done.stderr)
    args = ("kpis", "--plan", "P1", "--as-of", "2026-12-02", "--kpi", "new_customers")
    rows = json.loads(run_cli(*args, "--period", "2026", "-f", "json").stdout)
    assert [r["new_customers"] for r in rows] == [1]  # Core alone
    early = json.loads(run_cli(*args, "--period", "year", "-f", "json").stdout)
    # the export's Type says 001A and 001B renewed: customers before the data, never new
    # (read as new in their first year when the Type was not kept)
    assert {r["period"]: r["new_customers"] for r in early} == {
        "2022": 0, "2023": 0, "2024": 0, "2025": 0, "2026": 1
    }  # fmt: skip
    said = " ".join(run_cli(*args, "--period", "2023").stdout.split())
    assert (
        "Note: the sales history starts on 2024-01-15: new customers in 2023 count accounts "
        "whose first sale or won deal falls there (won deals are known from 2023-03-01), so "
        "an account that bought before that counts as new in its first year" in said
    )
    assert "new customers in" not in " ".join(run_cli(*args, "--period", "2025").stdout.split())
