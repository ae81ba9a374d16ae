"""The accounts a realignment gives another rep without moving them (a departed rep's
territory handed to a new hire) are listed by `plans compare`: the realignment audit's
FY27 plan changed 484 owners, yet `--out moved.csv` held only the 49 accounts changing
territory, so the 435 accounts of the territories given new reps were in no list."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

RULES = (
    "territories:\n  - {id: west, name: West, type: geo}\n  - {id: east, name: East, type: geo}\n"
    "rules:\n  - {id: w, territory: west, when: {field: state, op: in, value: [CA]}}\n"
    "  - {id: e, territory: east, when: {field: state, op: in, value: [NY, NJ]}}\n"
)


def _plans(run_cli: Any, tmp_path: Path) -> None:
    files = {
        "User.csv": "Id,Name,IsActive\n005A,Ana Ruiz,true\n005C,Cara Diaz,true\n005D,Dan Wu,true\n",
        "Account.csv": "Id,Name,BillingState,OwnerId,Potential__c\n001W,Acme,CA,005A,10\n"
        '001E,Beta,NY,005D,"3,000"\n001F,Core,NY,005D,200\n001J,Jet,NJ,005D,40\n',
        "r.yaml": RULES,
        # next year: NJ goes West (Jet changes territory) and East gets Cara Diaz
        "r2.yaml": RULES.replace("value: [CA]", "value: [CA, NJ]").replace(
            "value: [NY, NJ]", "value: [NY]"
        ),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    for step in [
        ("import", "reps", "User.csv"),
        ("import", "accounts", "Account.csv"),
        ("plans", "new", "FY26", "--territory", "west=West", "--territory", "east=East"),
        ("rules", "save", "r.yaml", "--plan", "P001"),
        ("plans", "owners", "P001", "west", "Ana Ruiz"),
        ("plans", "owners", "P001", "east", "Dan Wu"),
        ("plans", "status", "P001", "submit"),
        ("plans", "status", "P001", "approve"),
        ("plans", "activate", "P001", "--effective", "2026-01-01"),
        ("plans", "copy", "P001", "--plan-id", "P002", "--name", "FY27"),
        ("rules", "save", "r2.yaml", "--plan", "P002"),
        ("plans", "owners", "P002", "east", "Cara Diaz"),
    ]:
        done = run_cli(*step)
        assert done.returncode == 0, (step, done.stderr)


def test_the_moved_file_lists_owner_changes_within_a_territory(
    run_cli: Any, tmp_path: Path
) -> None:
    _plans(run_cli, tmp_path)
    out = tmp_path / "moved.csv"
    done = run_cli("plans", "compare", "P001", "P002", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "1 changing territory, 2 changing owner only" in done.stdout
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    # Jet moves East -> West (Dan Wu -> Ana Ruiz); Beta and Core stay East, Dan Wu -> Cara Diaz
    assert [(r["account"], r["from"], r["to"], r["old owner"], r["new owner"]) for r in rows] == [
        ("Jet", "East", "West", "Dan Wu", "Ana Ruiz"),
        ("Beta", "East", "East", "Dan Wu", "Cara Diaz"),
        ("Core", "East", "East", "Dan Wu", "Cara Diaz"),
    ]
    table = run_cli("plans", "compare", "P001", "P002", "--moved")
    assert "Accounts changing owner in their territory" in table.stdout
    compared = json.loads(run_cli("plans", "compare", "P001", "P002", "-f", "json").stdout)
    assert compared["owner_changes"] == 3
    assert compared["accounts_moved"] == 1
    assert [m["account_id"] for m in compared["reassigned"]] == ["001E", "001F"]
    assert compared["reassigned"][0]["new_owner_name"] == "Cara Diaz"
