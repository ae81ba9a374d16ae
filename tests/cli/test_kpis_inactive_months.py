"""kpis --inactive-months: a SaaS customer billed once a year is not inactive six months after
its invoice (the audit's Central read 52 of 145 accounts inactive, 18 of them paying
customers); the KPI's look-back was a library parameter only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def test_annual_billing_needs_a_longer_look_back(run_cli: Any, tmp_path: Path) -> None:
    files = {
        "Account.csv": "Id,Name,BillingState\n001A,Acme,CA\n001B,Beta,CA\n",
        "invoices.csv": "Invoice Line ID,Account ID,Invoice Date,Amount\n"
        "L1,001A,2026-02-10,12000\nL2,001B,2026-11-05,900\n",
        "r.yaml": "territories:\n  - {id: w, name: West, type: geo}\n"
        "rules:\n  - {id: w, territory: w, when: {field: state, op: in, value: [CA]}}\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    for step in (
        ("import", "accounts", "Account.csv"),
        ("import", "sales_lines", "invoices.csv"),
        ("plans", "new", "FY", "--territory", "w=West", "--plan-id", "P1"),
        ("rules", "save", "r.yaml", "--plan", "P1"),
        ("rules", "apply", "--plan", "P1"),
    ):
        done = run_cli(*step)
        assert done.returncode == 0, (step, done.stderr)
    args = ("kpis", "--plan", "P1", "--period", "2026", "--as-of", "2026-12-02", "-f", "json")

    def inactive(*more: str) -> int:
        done = run_cli(*args, *more)
        assert done.returncode == 0, done.stderr
        (row,) = json.loads(done.stdout)
        return int(row["inactive_accounts"])

    assert inactive() == 1  # Acme, invoiced in February: nothing since June
    assert inactive("--inactive-months", "12") == 0
    refused = run_cli(*args, "--inactive-months", "0")
    assert refused.returncode == 2
