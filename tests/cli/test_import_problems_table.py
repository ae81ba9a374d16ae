"""An import's problems grouped by column and reason at 80 columns: one bad column in many rows
reads as one line with its rows (it filled 300 lines of seven-line rows on a real export)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def test_problems_are_grouped_by_column_and_reason(run_cli: RunCli, tmp_path: Path) -> None:
    rows = ["Id,Name,BillingPostalCode,Potential"]
    rows += [f"A{i},Acme {i},94107,-{i + 1}" for i in range(6)]  # six negative potentials
    rows += ["B1,,94107,", "B2,Beta,94107,"]  # one name missing
    source = tmp_path / "Account.csv"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    done = run_cli("import", "accounts", str(source), "--on-error", "skip", env={"COLUMNS": "80"})
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Problems: 7 in 2 kinds; --format json lists every row" in " ".join(out.split())
    assert max(len(line) for line in out.splitlines()) <= 80
    words = " ".join(out.replace("│", " ").split())
    assert "2, 3, 4 and 3 more Potential -1, -2, ... must be >= 0" in words
    assert "8 Name is required" in words
