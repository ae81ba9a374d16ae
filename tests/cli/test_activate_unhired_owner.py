"""Next year's plan gives a territory to a rep hired in February and takes effect on 1
January: activation said nothing (the realignment audit's Omar Farouk, Territory 06), and the
month with no rep showed up only in the KPIs' notes after the fact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

RULES = (
    "territories:\n  - {id: west, name: West, type: geo}\n  - {id: east, name: East, type: geo}\n"
    "rules:\n  - {id: w, territory: west, when: {field: state, op: in, value: [CA]}}\n"
    "  - {id: e, territory: east, when: {field: state, op: in, value: [NY]}}\n"
)


def test_activation_names_an_owner_hired_after_the_plan_takes_effect(
    run_cli: Any, tmp_path: Path
) -> None:
    files = {
        "User.csv": "Id,Name,HireDate,IsActive\n005A,Ana Ruiz,3/15/2019,true\n"
        "005O,Omar Farouk,2027-02-01,true\n005B,Bo Li,2027-01-01,true\n",
        "Account.csv": "Id,Name,BillingState,OwnerId\n001W,Acme,California,005A\n"
        "001E,Beta,NY,005A\n",
        "r.yaml": RULES,
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    for step in [
        ("import", "reps", "User.csv"),
        ("import", "accounts", "Account.csv"),
        ("plans", "new", "FY27", "--territory", "west=West", "--territory", "east=East"),
        ("rules", "save", "r.yaml", "--plan", "P001"),
        ("plans", "owners", "P001", "west", "Bo Li"),  # starts on the plan's first day: fine
        ("plans", "owners", "P001", "east", "Omar Farouk"),
        ("plans", "status", "P001", "submit"),
        ("plans", "status", "P001", "approve"),
    ]:
        done = run_cli(*step)
        assert done.returncode == 0, (step, done.stderr)
    done = run_cli("plans", "activate", "P001", "--effective", "2027-01-01")
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stderr.split())
    assert (
        "Omar Farouk, owner of East, is hired on 2027-02-01, after plan P001 takes effect on "
        "2027-01-01: until then its accounts' sales are credited to no rep and its leads go "
        "to a rep not there yet"
    ) in said
    assert "Bo Li" not in said


def test_plans_show_marks_an_owner_who_left(run_cli: Any, tmp_path: Path) -> None:
    """The audit's P001 showed Jon Berg and Dev Patel, who left in the year (IsActive false
    in December's User file), as owners like any other: the table now marks them; JSON keeps
    the names as stored."""
    files = {
        "User.csv": "Id,Name,IsActive\n005A,Ana Ruiz,true\n005J,Jon Berg,true\n",
        "User_dec.csv": "Id,Name,IsActive\n005A,Ana Ruiz,true\n005J,Jon Berg,FALSE\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    for step in [
        ("import", "reps", "User.csv"),
        ("plans", "new", "FY26", "--territory", "west=West", "--territory", "east=East"),
        ("plans", "owners", "P001", "west", "Ana Ruiz"),
        ("plans", "owners", "P001", "east", "Jon Berg"),
        ("import", "reps", "User_dec.csv"),
    ]:
        done = run_cli(*step)
        assert done.returncode == 0, (step, done.stderr)
    table = run_cli("plans", "show", "P001").stdout
    assert "Jon Berg (inactive)" in table and "Ana Ruiz (inactive)" not in table
    shown = run_cli("plans", "show", "P001", "-f", "json").stdout
    assert "Jon Berg" in shown and "(inactive)" not in shown
