"""Comparing the plan a realignment archived with the one it activated: the archived plan's
territory with no primary rep shows the owner its accounts had then (recorded at its
activation), not the owner the later plan gave them. The audit's P001 East (its owner Dan Wu
had left, so it kept the CRM's owner) read as already Cara Diaz's: 308 owner changes instead
of 486, Cara missing from the reps gaining accounts and Dan Wu from those losing them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RULES = (
    "territories:\n  - {id: west, name: West, type: geo}\n  - {id: east, name: East, type: geo}\n"
    "rules:\n  - {id: w, territory: west, when: {field: state, op: in, value: [CA]}}\n"
    "  - {id: e, territory: east, when: {field: state, op: in, value: [NY]}}\n"
)


def test_an_archived_plan_keeps_the_owners_it_had(run_cli: Any, tmp_path: Path) -> None:
    files = {
        "User.csv": "Id,Name,IsActive\n005A,Ana Ruiz,true\n005C,Cara Diaz,true\n"
        "005D,Dan Wu,false\n",
        "Account.csv": "Id,Name,BillingState,OwnerId\n001W,Acme,CA,005A\n001E,Beta,NY,005D\n"
        "001F,Core,NY,005D\n",
        "r.yaml": RULES,
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    steps = [
        ("import", "reps", "User.csv"),
        ("import", "accounts", "Account.csv"),
        ("plans", "new", "H1", "--territory", "west=West", "--territory", "east=East"),
        ("rules", "save", "r.yaml", "--plan", "P001"),
        ("plans", "owners", "P001", "west", "Ana Ruiz"),  # East: no owner (Dan Wu left)
        ("plans", "status", "P001", "submit"),
        ("plans", "status", "P001", "approve"),
        ("plans", "activate", "P001", "--effective", "2026-01-01"),
        ("plans", "new", "H2", "--territory", "west=West", "--territory", "east=East"),
        ("rules", "save", "r.yaml", "--plan", "P002"),
        ("plans", "owners", "P002", "west", "Ana Ruiz"),
        ("plans", "owners", "P002", "east", "Cara Diaz"),
        ("plans", "status", "P002", "submit"),
        ("plans", "status", "P002", "approve"),
        ("plans", "activate", "P002", "--effective", "2026-07-01"),
    ]
    for step in steps:
        done = run_cli(*step)
        assert done.returncode == 0, (step, done.stderr)
    compared = json.loads(run_cli("plans", "compare", "P001", "P002", "-f", "json").stdout)
    assert compared["owner_changes"] == 2
    assert compared["reps_gaining_names"] == ["Cara Diaz"]
    assert compared["reps_losing_names"] == ["Dan Wu"]


def test_revenue_moved_is_the_last_12_months(run_cli: Any, tmp_path: Path) -> None:
    """Sales to 2 December 2026: the window is 2025-12-03 to 2026-12-02 (it was 2026-01-01 to
    2026-12-02, eleven months and two days, shown as '12 months to 2026-12-02')."""
    files = {
        "Account.csv": "Id,Name,BillingState\n001W,Acme,CA\n001E,Beta,NY\n",
        "invoices.csv": "Invoice Line ID,Account ID,Invoice Date,Amount\n"
        "L1,001E,2025-12-02,500\nL2,001E,2025-12-03,70\nL3,001E,2025-12-20,30\n"
        "L4,001E,2026-12-02,100\nL5,001W,2026-06-01,9\n",
        "r.yaml": RULES,
        "r2.yaml": RULES.replace("value: [NY]", "value: [NY, CA]").replace(
            "value: [CA]", "value: [TX]"
        ),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    for step in [
        ("import", "accounts", "Account.csv"),
        ("import", "sales_lines", "invoices.csv"),
        ("plans", "new", "A", "--territory", "west=West", "--territory", "east=East"),
        ("rules", "save", "r.yaml", "--plan", "P001"),
        ("rules", "apply", "--plan", "P001"),
        ("plans", "new", "B", "--territory", "west=West", "--territory", "east=East"),
        ("rules", "save", "r2.yaml", "--plan", "P002"),
    ]:
        done = run_cli(*step)
        assert done.returncode == 0, (step, done.stderr)
    compared = json.loads(run_cli("plans", "compare", "P001", "P002", "-f", "json").stdout)
    assert compared["revenue_window"] == "2025-12-03 to 2026-12-02"
    assert compared["revenue_moved"] == 9.0  # Acme moves West -> East
    east = next(t for t in compared["territories"] if t["territory"] == "east")
    assert east["revenue_base"] == 200.0  # 70 + 30 + 100; not the 500 of 2 December 2025
