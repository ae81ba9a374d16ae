"""`plans copy` carries its source's targets (README "Scenarios": a scenario activated in its
source's place keeps the quotas); the copy says so once, with what it carried and how to set
them again, since edits of the copy leave them on their territory and rep ids."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

RunCli = Callable[..., subprocess.CompletedProcess[str]]

USERS = "Id,Name,Title,PostalCode,IsActive\n005A,Ana Ruiz,Account Executive,94105,true\n"
# a quota sheet kept by hand: reps by name, thousands separators, a second half-year
QUOTAS = (
    "Plan,Territory,Quota Owner,Period Start,Period End,Quota\n"
    'P001,W,,2027-01-01,2027-06-30,"1,200,000"\n'
    'P001,E,,2027-01-01,2027-06-30,"900,000"\n'
    'P001,,ana ruiz,2027-01-01,2027-06-30,"1,200,000"\n'
    'P001,W,,2027-07-01,2027-12-31,"1,300,000"\n'
)


def _words(text: str) -> str:
    return " ".join(text.split())


def test_a_copy_says_which_targets_it_keeps(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "User.csv").write_text(USERS, encoding="utf-8")
    (tmp_path / "quotas.csv").write_text(QUOTAS, encoding="utf-8")
    assert run_cli("import", "reps", "User.csv").returncode == 0
    made = run_cli("plans", "new", "FY27", "--territory", "W=West", "--territory", "E=East")
    assert made.returncode == 0, made.stderr
    assert run_cli("import", "targets", "quotas.csv").returncode == 0
    copied = run_cli("plans", "copy", "P001", "--name", "FY27 what-if")
    assert copied.returncode == 0, copied.stderr
    assert "Plan P002 (FY27 what-if, whole market) is a draft copy of P001." in copied.stdout
    said = _words(copied.stderr)
    assert said.count("note:") == 1
    assert (
        "note: P002 keeps the 3 territory targets and 1 rep quota (2027-01-01 to 2027-12-31)"
        " of P001, so that activated in its place it keeps the quotas: they stay with their"
        " territory and rep ids as P002 is edited; after moving units, accounts or owners,"
        " set them again (terraplan targets --plan P002, or import quotas naming plan P002)"
    ) in said
    # a plan without targets copies without a note
    assert run_cli("plans", "new", "Blank", "--territory", "X=Somewhere").returncode == 0
    blank = run_cli("plans", "copy", "P003")
    assert blank.returncode == 0 and "note:" not in blank.stderr
