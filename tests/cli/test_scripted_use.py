"""The command line as scripts, pipes and CI jobs use it: no terminal, output read by programs,
exit codes tested with ``set -e``."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from terraplan.cli.console import render_rows

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
    # what the encoding lacks prints as "?" (a long temporary path may wrap the line)
    assert "?quipe-??.csv" in out.replace("\n", "")
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


def test_a_table_wider_than_80_columns_is_fitted_not_cut(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Piped output is 80 columns wide. Rich shrank this table (the `priorities` one) below
    its columns' minimum widths, widened them back, and cut the result at the right edge:
    the last column lost its header and `916k` read `916`."""
    monkeypatch.setenv("COLUMNS", "80")
    rows = [
        {"rank": 1, "account": "Lighthouse Diagnostics Co.", "score": 0.351,
         "potential": 2.3e6, "whitespace": 2.3e6, "months_since_purchase": 0.23,
         "open_pipeline": 916_000.0},
        {"rank": 2, "account": "Meridian Labs Group International", "score": 0.59,
         "potential": 4.3e6, "whitespace": 4.3e6, "months_since_purchase": None,
         "open_pipeline": 0.0},
    ]  # fmt: skip
    render_rows(rows, amounts=["potential", "whitespace", "open_pipeline"])
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert all(line.endswith(("┓", "┃", "┩", "│", "┘")) for line in lines), lines
    assert lines[5].split("│")[-2].strip() == "916k"
    assert "pipeline" in lines[3] and "Diagnostics" in lines[6]  # no word cut


def test_headers_wrap_before_names(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo's top-territories table at 80 columns cut every name ("Territory" / "14" on
    two lines per row) while a header could have taken two lines once."""
    monkeypatch.setenv("COLUMNS", "80")
    rows = [
        {"territory": f"Territory {n}", "revenue": 8.9e6, "revenue_growth": -0.137,
         "open_pipeline": 4.7e6, "win_rate": 0.281, "penetration": 0.237}
        for n in (14, 40, 26)
    ]  # fmt: skip
    render_rows(
        rows,
        amounts=["revenue", "open_pipeline"],
        percents=["revenue_growth", "win_rate", "penetration"],
    )
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 80
    body = [line for line in lines if line.startswith("│")]
    assert len(body) == 3, lines  # one line per territory
    assert all("Territory " in line for line in body)
    assert "open pipeline" in "\n".join(lines)  # the room left goes to a header


def test_figures_written_as_text_line_up_on_the_right(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`capacity` formats its figures before the table ("1,330", "42.4M", "1.04"): they were
    left-aligned, so digits of different lengths did not line up. Codes such as ZIPs stay
    left-aligned."""
    monkeypatch.setenv("COLUMNS", "80")
    rows = [
        {"territory": "Territory 01", "hours": "1,330", "potential": "42.4M", "zip": "94107"},
        {"territory": "Territory 02", "hours": "987", "potential": "8.1M", "zip": "07030"},
    ]
    render_rows(rows)
    body = [line for line in capsys.readouterr().out.splitlines() if line.startswith("│")]
    cells = [[cell for cell in line.split("│")[1:-1]] for line in body]
    assert cells[1][1].endswith("987 ") and cells[1][1].startswith("   ")
    assert cells[1][2].endswith(" 8.1M ")
    assert cells[1][3].startswith(" 07030")


def test_a_column_of_fractions_has_one_number_of_decimals(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`match` showed costs as 0.566 above 3.29: three significant digits below 1, two
    decimals above, so the column neither lined up nor read alike."""
    monkeypatch.setenv("COLUMNS", "80")
    render_rows([{"rep": "Chloe", "cost": 0.5661}, {"rep": "Karen", "cost": 3.2861}])
    out = capsys.readouterr().out
    assert "0.57" in out and "3.29" in out and "0.566" not in out
    render_rows([{"rep": "Chloe", "cost": 1.5}, {"rep": "Karen", "cost": 12.25}])
    assert "1.50" in capsys.readouterr().out  # columns of one kind keep their format


def test_a_table_that_cannot_fit_is_printed_whole(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "30")
    render_rows([{f"column {n}": 1_000_000 + n for n in range(8)}])
    out = capsys.readouterr().out
    assert "1,000,007" in out  # the terminal wraps the lines; nothing is cut off


class _Clock:
    """``time.monotonic`` for the progress module: seconds that pass when the test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def test_long_work_says_its_steps_on_stderr_when_no_terminal_watches(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The progress bar is drawn on a terminal only: a CI log or cron mail saw nothing of a
    design running for minutes. Now a long step is said in plain lines on stderr."""
    from terraplan.cli import progress

    clock = _Clock()
    monkeypatch.setattr(progress, "time", clock)
    with progress.progress_bar() as report:
        report("read file", 0, None)  # quick: nothing said
        report("design territories", 0, 100)
        clock.now += 12
        report("design territories", 40, 100)
        clock.now += 10
        report("design territories", 60, 100)  # said 10 s ago: not yet again
        clock.now += 25
        report("design territories", 90, 100)
        clock.now += 3
        report("design territories", 100, 100)
        report("write plan", 0, 1)
        clock.now += 15
        report("write plan", 0, 1)
        report("write accounts", 0, 100)  # no report while it runs: said when it ends
        clock.now += 20
        report("write accounts", 100, 100)
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "design territories: running for 12 s (40 of 100)",
        "design territories: running for 47 s (90 of 100)",
        "design territories: done in 50.0 s",
        "write plan: running for 15 s (0 of 1)",
        "write plan: done in 15.0 s",
        "write accounts: done in 20.0 s",
    ]


def test_a_step_that_fails_is_not_said_to_be_done(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from terraplan.cli import progress

    clock = _Clock()
    monkeypatch.setattr(progress, "time", clock)
    with pytest.raises(RuntimeError), progress.progress_bar() as report:
        report("write accounts", 0, 10)
        clock.now += 11
        report("write accounts", 5, 10)
        raise RuntimeError("disk full")
    assert capsys.readouterr().err.splitlines() == ["write accounts: running for 11 s (5 of 10)"]


def test_quick_work_and_json_keep_stderr_for_notes_and_errors(
    run_cli: RunCli, tmp_path: Path
) -> None:
    (tmp_path / "accounts.csv").write_text(
        "id,name,state,postal_code\nA1,Acme,CA,94107\nA2,Bolt,NY,10001\n", encoding="utf-8"
    )
    done = run_cli("import", "accounts", "accounts.csv")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    as_json = run_cli("import", "accounts", "accounts.csv", "-f", "json")
    assert json.loads(as_json.stdout)["accepted"] == 2


def test_every_option_says_what_it_is_for() -> None:
    """`route --help` listed seven options (`--postal-code <str>`, ...) with no word of help,
    `alerts` two thresholds, `priorities` its `--top`."""
    from typer.main import get_command

    from terraplan.cli.main import _register, app

    _register()

    def commands(command: Any, path: list[str]) -> Iterator[tuple[str, Any]]:
        for name, sub in getattr(command, "commands", {}).items():
            yield from commands(sub, [*path, name])
        if not hasattr(command, "commands"):
            yield " ".join(path), command

    silent = {
        name: [p.opts[0] for p in command.params if p.param_type_name == "option" and not p.help]
        for name, command in commands(get_command(app), [])
    }
    assert {name: options for name, options in silent.items() if options} == {}


def test_out_is_written_whatever_the_format_and_stdout_keeps_only_the_rows(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """`capacity -f json --out FILE` (match and targets too) printed the JSON, exited 0 and
    never wrote FILE; with `-f csv` the "Wrote ..." line ended the CSV on stdout as a row."""
    from tests.conftest import seed_region_plan

    from terraplan.storage import migrate
    from terraplan.storage.database import Database

    db = Database(f"sqlite:///{tmp_path}/cli.db")
    migrate.upgrade(db)
    seed_region_plan(db, n_accounts=200, seed=5)
    db.dispose()
    for command in (["capacity"], ["match"], ["targets", "--growth", "8%"]):
        as_json = run_cli(*command, "--plan", "P1", "-f", "json", "--out", "rows.csv", "--force")
        assert as_json.returncode == 0, as_json.stderr
        json.loads(as_json.stdout)
        assert (tmp_path / "rows.csv").is_file(), command
        assert "Wrote" in as_json.stderr
        (tmp_path / "rows.csv").unlink()
    # kpis (and kpis --balance) wrote the file and said "Wrote ..." on stdout instead of JSON
    for extra in ([], ["--balance"]):
        kpis = run_cli("kpis", "--plan", "P1", *extra, "-f", "json", "--out", "k.csv", "--force")
        assert kpis.returncode == 0, kpis.stderr
        printed = json.loads(kpis.stdout)
        assert printed and "Wrote" in kpis.stderr, extra
        assert (tmp_path / "k.csv").is_file()
    as_csv = run_cli("capacity", "--plan", "P1", "-f", "csv", "--out", "rows.csv")
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[-1][0] == "TOTAL" and len({len(row) for row in rows}) == 1
    assert (tmp_path / "rows.csv").read_text(encoding="utf-8").startswith(",".join(rows[0]))


def test_a_file_that_is_no_database_is_a_database_failure_not_a_bug(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """A URL naming some other file (a typo, a damaged copy) ended with exit 1, the code of
    a bug, and "unexpected DatabaseError ... (Background on this error at: https://...)"."""
    (tmp_path / "notes.txt").write_text("not a database\n" * 100, encoding="utf-8")
    done = run_cli("status", database_url=f"sqlite:///{tmp_path}/notes.txt")
    assert done.returncode == 8, done.stderr
    assert done.stdout == ""
    said = " ".join(done.stderr.split())
    # the error names the database, so a typo in the URL shows
    assert said.startswith(f"Error: database sqlite:///{tmp_path}/notes.txt is not usable: ")
    assert "file is not a database (not a SQLite database file, or a damaged one)" in said
    assert "unexpected" not in said and "sqlalche.me" not in said
