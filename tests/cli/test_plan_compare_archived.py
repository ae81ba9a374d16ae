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
