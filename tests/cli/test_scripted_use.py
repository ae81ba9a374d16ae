"""The command line as scripts, pipes and CI jobs use it: no terminal, output read by programs,
exit codes tested with ``set -e``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def test_an_output_encoding_without_the_names_letters_does_not_fail_the_command(
    tmp_path: Path,
) -> None:
    """A Latin-1 or ASCII output (PYTHONIOENCODING, a locale, a Windows code page) used to end
    an import that had already written its rows with exit 1 and a UnicodeEncodeError."""
    source = tmp_path / "équipe-日本.csv"
    source.write_text(
        "id,name,role,region\nR1,Renée Müller 山田,account_executive,West\n", encoding="utf-8"
    )
    env = {
        **os.environ,
        "PYTHONIOENCODING": "ascii",
        "TERRAPLAN_DATABASE_URL": f"sqlite:///{tmp_path}/t.db",
    }
    done = subprocess.run(
        [sys.executable, "-m", "terraplan", "import", "reps", str(source)],
        capture_output=True,
        env=env,
        check=False,
        timeout=300,
    )
    out, err = done.stdout.decode("ascii"), done.stderr.decode("ascii")
    assert done.returncode == 0, err
    assert "Imported 1 rep" in out
    assert "?quipe-??.csv" in out  # what the encoding lacks prints as "?"
    assert "Error" not in err and "Traceback" not in err


def _west_plan(run_cli: RunCli, tmp_path: Path) -> None:
    """Plan P1 whose one rule places Californian records in West."""
    (tmp_path / "rules.yaml").write_text(
        "territories:\n  - {id: west, name: West, type: geo}\n"
        "rules:\n  - {id: w, territory: west, when: {field: state, op: in, value: [CA]}}\n",
        encoding="utf-8",
    )
    for args in (
        ("plans", "new", "FY", "--territory", "west=West", "--plan-id", "P1"),
        ("rules", "save", "rules.yaml", "--plan", "P1"),
    ):
        done = run_cli(*args)
        assert done.returncode == 0, done.stderr


def test_a_lead_no_rule_places_exits_6_in_json_too(run_cli: RunCli, tmp_path: Path) -> None:
    """`route -f json` exited 0 on a gap, where the table exits 6 (README: so scripts can tell)."""
    _west_plan(run_cli, tmp_path)
    placed = run_cli("route", "--state", "CA", "--plan", "P1", "-f", "json")
    assert placed.returncode == 0, placed.stderr
    assert json.loads(placed.stdout)["territory_id"] == "west"
    routed = run_cli("route", "--state", "TX", "--plan", "P1", "-f", "json")
    assert routed.returncode == 6, routed.stderr
    answer = json.loads(routed.stdout)  # the answer is still there for whoever reads it
    assert answer["gap"] is True and answer["territory_id"] is None


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["route", "--state", "CA"],
        ["design", "--territories", "3"],
        ["import", "accounts", "accounts.csv"],
        ["rules", "check", "rules.yaml"],
        ["crm", "diff", "sf-export", "--plan", "P1"],
        ["plans", "notes", "P1", "T1"],
    ],
)
def test_csv_is_refused_where_the_answer_is_not_rows(run_cli: RunCli, command: list[str]) -> None:
    """These commands took `-f csv` and printed their table, which a CSV reader takes for data."""
    done = run_cli(*command, "-f", "csv")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""
    assert "'csv' is not one of 'table', 'json'" in done.stderr
