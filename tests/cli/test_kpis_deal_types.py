"""A Salesforce export with the opportunity ``Type``, credit memos and downgrades booked as
won deals of a negative amount, a free renewal and a negative open deal: the import keeps the
credits (one note), refuses the open one naming its row, stores the types; ``kpis`` nets the
credits, leaves them out of the win rate, splits the won amounts by type and says how many
credits there are; the export carries the type."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

OPPORTUNITIES = (
    "Id,AccountId,Type,StageName,Amount,CreatedDate,CloseDate,IsClosed,IsWon\n"
    '006A1,001A,New Business,Closed Won,"12,000.00",2026-01-05T10:00:00.000+0000,2026-02-01,true,true\n'
    "006A2,001A,Upsell,Closed Won,3000,2026-04-01T10:00:00.000+0000,2026-05-01,true,true\n"
    "006B1,001B,Renewal,Closed Won,8000,2026-02-01T10:00:00.000+0000,2026-03-01,true,true\n"
    "006B2,001B,Existing Business,Closed Won,-2500.50,2026-03-20T10:00:00.000+0000,2026-04-02,true,true\n"
    "006C1,001C,,Closed Won,0,2026-05-01T10:00:00.000+0000,2026-06-01,true,true\n"
    "006C2,001C,New Business,Closed Lost,5000,2026-05-01T10:00:00.000+0000,2026-06-10,true,false\n"
    "006C3,001C,Renewal,Negotiation,-900,2026-09-01T10:00:00.000+0000,2027-01-10,false,false\n"
)


def test_credits_and_types_from_a_salesforce_export(run_cli: Any, tmp_path: Path) -> None:
    files = {
        "Account.csv": "Id,Name,BillingState\n001A,Acme,CA\n001B,Beta,CA\n001C,Core,CA\n",
        "Opportunity.csv": OPPORTUNITIES,
        "r.yaml": "territories:\n  - {id: w, name: West, type: geo}\n"
        "rules:\n  - {id: w, territory: w, when: {field: state, op: in, value: [CA]}}\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert run_cli("import", "accounts", "Account.csv").returncode == 0
    refused = run_cli("import", "opportunities", "Opportunity.csv")
    assert refused.returncode != 0
    said = " ".join(refused.stderr.split())
    assert "Opportunity.csv:8: column 'Amount' (amount) value '-900'" in said
    assert "only a won deal may be negative" in said
    done = run_cli("import", "opportunities", "Opportunity.csv", "--on-error", "skip")
    assert done.returncode == 0, done.stderr
    said = " ".join((done.stdout + done.stderr).split())
    assert (
        "1 won opportunity with a negative amount (credits, downgrades; -2,500.50 in all)" in said
    )
    assert "'Type' maps to no field" not in said
    for step in (
        ("plans", "new", "FY", "--territory", "w=West", "--plan-id", "P1"),
        ("rules", "save", "r.yaml", "--plan", "P1"),
        ("rules", "apply", "--plan", "P1"),
    ):
        assert run_cli(*step).returncode == 0, step
    args = ("kpis", "--plan", "P1", "--as-of", "2026-12-02", "--period", "2026")
    (row,) = json.loads(run_cli(*args, "-f", "json").stdout)
    assert row["revenue"] == 20_499.5  # 23,000 won less the 2,500.50 credit
    assert row["win_rate"] == 0.8  # 4 won of 5 closed deals: the credit is neither
    assert row["average_deal_size"] == 5_750.0  # 23,000 / 4, the free renewal included
    assert row["new_business_won"] == 12_000.0
    assert row["existing_business_won"] == 8_499.5  # 3,000 + 8,000 - 2,500.50
    assert row["new_customers"] == 2  # Acme (New Business) and Core (no type); Beta renewed
    assert row["open_pipeline"] == 0
    table = " ".join(run_cli(*args).stdout.split())
    assert table.count("won opportunity has a negative amount") == 1
    assert (
        "Note: 1 won opportunity has a negative amount (credits, downgrades: -2,500.50 in"
        " all): they reduce revenue and the won amounts by type" in table
    )
    assert run_cli("export", "opportunities", "out.csv").returncode == 0
    with (tmp_path / "out.csv").open(encoding="utf-8") as f:
        types = {r["id"]: r["deal_type"] for r in csv.DictReader(f)}
    assert types == {
        "006A1": "New Business", "006A2": "Upsell", "006B1": "Renewal",
        "006B2": "Existing Business", "006C1": "", "006C2": "New Business",
    }  # fmt: skip
