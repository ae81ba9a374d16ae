"""``terraplan kpis`` on the cases a fresh-eyes audit found wrong: a rep with targets of their
own named in the note on mixed attainment, the same period last year of a complete period
ending on the as-of date, and potential with no account carrying one."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

RULES = (
    "territories:\n  - {id: E, name: East}\n"
    "rules:\n  - {id: e, territory: E, when: {field: state, op: in, value: [NY]}}\n"
)


def _run(run_cli: Any, *steps: tuple[str, ...]) -> None:
    for step in steps:
        done = run_cli(*step)
        assert done.returncode == 0, (step, done.stderr)


def _write(tmp_path: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")


def _east_plan(run_cli: Any, plan_id: str = "P001") -> None:
    _run(
        run_cli,
        ("plans", "new", "P", "--plan-id", plan_id, "--territory", "E=East"),
        ("rules", "save", "rules.yaml", "--plan", plan_id),
    )


def _said(done: Any) -> str:
    return " ".join((done.stdout + done.stderr).split())


def test_a_rep_with_a_quota_of_their_own_is_not_said_to_get_the_territory_target(
    run_cli: Any, tmp_path: Path
) -> None:
    """Yan owned East in 2025, Xia from 2026 with a quota of her own for 2026 Q1: by rep she
    gets no 2025 target (only her own), so no note says East's 2025 target goes to her."""
    _write(tmp_path, {
        "reps.csv": "id,name,hire_date,home_postal_code\n"
        "RY,Yan Old,2020-01-01,10001\nRX,Xia New,2020-01-01,10001\n",
        "accounts.csv": "id,name,postal_code,owner_id\nA1,Acme,10001,RY\n",
        "lines.csv": "id,account_id,date,amount\nL1,A1,2025-03-10,500\nL2,A1,2026-02-10,700\n",
        "rules.yaml": RULES,
        "targets.csv": "id,territory_id,rep_id,period_start,period_end,amount,plan_id\n"
        "T25,E,,2025-01-01,2025-12-31,1200,P002\nT26,E,,2026-01-01,2026-12-31,1200,P002\n"
        "QX,,RX,2026-01-01,2026-03-31,900,P002\n",
    })  # fmt: skip
    _run(run_cli, ("import", "reps", "reps.csv"), ("import", "accounts", "accounts.csv"),
         ("import", "sales_lines", "lines.csv"))  # fmt: skip
    _east_plan(run_cli)
    _run(
        run_cli,
        ("plans", "owners", "P001", "E", "RY"),
        ("rules", "apply", "--plan", "P001"),
        ("plans", "status", "P001", "submit"),
        ("plans", "status", "P001", "approve"),
        ("plans", "activate", "P001", "--effective", "2025-01-01"),
        ("plans", "copy", "P001", "--plan-id", "P002"),
        ("plans", "owners", "P002", "E", "RX"),
        ("plans", "status", "P002", "submit"),
        ("plans", "status", "P002", "approve"),
        ("plans", "activate", "P002", "--effective", "2026-01-01"),
        ("import", "targets", "targets.csv"),
    )
    args = ("kpis", "--by", "rep", "--kpi", "revenue", "--kpi", "target", "--as-of", "2026-06-30")
    done = run_cli(*args, "--period", "2025", "-f", "csv")
    assert done.returncode == 0, done.stderr
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(done.stdout))}
    assert rows["RX"]["target"] == "" and rows["RY"]["revenue"] == "500.0"
    assert "its target goes to" not in _said(done)
    quarter = run_cli(*args, "--period", "2026Q1", "-f", "csv")
    assert "its target goes to" not in _said(quarter)
