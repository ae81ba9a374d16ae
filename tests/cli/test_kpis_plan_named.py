"""With next year's plan activated ahead (on 1 January), `terraplan kpis` without --plan uses
this year's plan, in force until 31 December; its title said only "alignment from the plan's
latest rule run", so a leader could not tell which of the two plans the figures were for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

RULES = (
    "territories:\n  - {id: west, name: West, type: geo}\n  - {id: east, name: East, type: geo}\n"
    "rules:\n  - {id: w, territory: west, when: {field: state, op: in, value: [CA]}}\n"
    "  - {id: e, territory: east, when: {field: state, op: in, value: [NY]}}\n"
)


def test_the_kpi_title_names_the_plan_in_force(run_cli: Any, tmp_path: Path) -> None:
    files = {
        "User.csv": "Id,Name\n005A,Ana Ruiz\n005C,Cara Diaz\n",
        "Account.csv": "Id,Name,BillingState,OwnerId\n001W,Acme,CA,005A\n001E,Beta,NY,005C\n",
        "lines.csv": 'Line ID,Account ID,Date,Amount\nL1,001W,2026-03-02,"1,200"\n'
        "L2,001E,2026-11-30,80\n",
        "r.yaml": RULES,
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    for step in [
        ("import", "reps", "User.csv"),
        ("import", "accounts", "Account.csv"),
        ("import", "sales_lines", "lines.csv"),
        ("plans", "new", "FY26", "--territory", "west=West", "--territory", "east=East"),
        ("rules", "save", "r.yaml", "--plan", "P001"),
        ("plans", "owners", "P001", "west", "Ana Ruiz"),
        ("plans", "owners", "P001", "east", "Cara Diaz"),
        ("plans", "status", "P001", "submit"),
        ("plans", "status", "P001", "approve"),
        ("plans", "activate", "P001", "--effective", "2026-01-01"),
        ("plans", "copy", "P001", "--plan-id", "FY27", "--name", "FY27"),
        ("plans", "owners", "FY27", "west", "Cara Diaz"),
        ("plans", "status", "FY27", "submit"),
        ("plans", "status", "FY27", "approve"),
        ("plans", "activate", "FY27", "--effective", "2027-01-01"),
    ]:
        done = run_cli(*step)
        assert done.returncode == 0, (step, done.stderr)
    table = run_cli("kpis", "--by", "territory", "--period", "2026", env={"COLUMNS": "120"})
    assert table.returncode == 0, table.stderr
    assert "(plan P001, as of 2026-11-30," in table.stdout
    ahead = run_cli("kpis", "--plan", "FY27", "--period", "2026", env={"COLUMNS": "120"})
    assert "(plan FY27, as of 2026-11-30," in ahead.stdout


def test_status_gives_each_plans_days_in_force(run_cli: Any, tmp_path: Path) -> None:
    """On 7 December, with next year's plan activated for 1 January, `status` listed this
    year's plan as 'archived' and next year's as 'active', no dates: as if the realignment
    were live already. The plans table now says the days each is in force."""
    import json

    (tmp_path / "Account.csv").write_text(
        "Id,Name,BillingState\n001W,Acme,CA\n001E,Beta,NY\n", encoding="utf-8"
    )
    (tmp_path / "r.yaml").write_text(RULES, encoding="utf-8")
    for step in [
        ("import", "accounts", "Account.csv"),
        ("plans", "new", "FY26", "--territory", "west=West", "--territory", "east=East"),
        ("rules", "save", "r.yaml", "--plan", "P001"),
        ("plans", "status", "P001", "submit"),
        ("plans", "status", "P001", "approve"),
        ("plans", "activate", "P001", "--effective", "2026-01-01"),
        ("plans", "copy", "P001", "--plan-id", "FY27", "--name", "FY27"),
        ("plans", "status", "FY27", "submit"),
        ("plans", "status", "FY27", "approve"),
        ("plans", "activate", "FY27", "--effective", "2099-01-01"),
    ]:
        done = run_cli(*step)
        assert done.returncode == 0, (step, done.stderr)
    table = run_cli("status").stdout
    assert "2026-01-01 to 2098-12-31" in table and "from 2099-01-01" in table
    plans = json.loads(run_cli("status", "-f", "json").stdout)["plans"]
    assert [(p["id"], p["status"], p["in_force"]) for p in plans] == [
        ("P001", "archived", "2026-01-01 to 2098-12-31"),
        ("FY27", "active", "from 2099-01-01"),
    ]
