"""Readable tables (amounts, percentages, ordinals, exact sums) and documented exit codes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from terraplan.cli.console import compact_amount, percent
from terraplan.cli.demo import revenue_by_year
from terraplan.planning.match_explain import ordinal

RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (6_412_345.0, "6.4M"),
        (849_600, "850k"),
        (999_999, "1.0M"),
        (1_250_000_000, "1.2B"),
        (114_000_000, "114M"),
        (-12_345, "-12.3k"),
        (950.4, "950"),
        (0, "0"),
    ],
)
def test_amounts_read_like_people_write_them(value: float, shown: str) -> None:
    assert compact_amount(value) == shown


def test_ratios_are_percentages() -> None:
    assert [percent(v) for v in (0.0651, -0.142, 1.2, 0.0, None)] == [
        "6.5%",
        "-14.2%",
        "120%",
        "0.0%",
        "",
    ]


def test_ordinals() -> None:
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 41, 62, 100, 101, 111)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "23rd",
        "41st",
        "62nd",
        "100th",
        "101st",
        "111th",
    ]


def test_revenue_by_year_sums_exact_amounts() -> None:
    lines = [
        SimpleNamespace(date=date(2025, 3, 1), amount=0.6),
        SimpleNamespace(date=date(2025, 4, 1), amount=0.6),
        SimpleNamespace(date=date(2025, 5, 1), amount=1999.99),
        SimpleNamespace(date=date(2026, 1, 2), amount=-0.5),  # a credit note
        SimpleNamespace(date=date(2024, 1, 2), amount=10.25),
    ]
    assert revenue_by_year(lines) == pytest.approx({2024: 10.25, 2025: 2001.19, 2026: -0.5})
    assert list(revenue_by_year(lines)) == [2024, 2025, 2026]


def _error(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    assert "unexpected" not in result.stderr
    assert result.stderr.startswith("Error:"), result.stderr
    return " ".join(result.stderr.split())


def test_user_errors_have_documented_exit_codes(run_cli: RunCli, tmp_path: Path) -> None:
    binary = tmp_path / "rules.yaml"
    binary.write_bytes(b"\x00\xff\xfe\x89PNG\r\n\x1a\n\x00\x00")
    result = run_cli("rules", "check", str(binary))
    assert result.returncode == 3
    assert "rules.yaml: not a text rule file" in _error(result)

    result = run_cli("rules", "check", str(tmp_path / "missing.yaml"))
    assert result.returncode == 3
    assert "missing.yaml: cannot read the rule file" in _error(result)

    garbage = tmp_path / "garbage.yaml"
    garbage.write_text(": : [ not yaml", encoding="utf-8")
    result = run_cli("rules", "check", str(garbage))
    assert result.returncode == 3
    _error(result)

    existing = tmp_path / "report.html"
    existing.write_text("mine", encoding="utf-8")
    for args in (
        ("report", "--plan", "P001", "--out", str(existing)),
        ("kpis", "--plan", "P001", "--out", str(existing)),
    ):
        result = run_cli(*args)
        assert result.returncode == 5, args
        assert f"{existing} already exists" in _error(result)
    assert existing.read_text(encoding="utf-8") == "mine"

    folder = tmp_path / "demo-out"
    folder.mkdir()
    (folder / "P001.csv").write_text("old", encoding="utf-8")
    result = run_cli("demo", "--out", str(folder))
    assert result.returncode == 5
    assert "already holds 1 files (P001.csv)" in _error(result)
    assert (folder / "P001.csv").read_text(encoding="utf-8") == "old"

    result = run_cli("db", "upgrade", "no-such-revision")
    assert result.returncode == 2
    assert "schema revision 'no-such-revision'" in _error(result)

    result = run_cli("report", "--plan", "P404", "--out", str(tmp_path / "new.html"))
    assert result.returncode == 4
    assert "P404" in _error(result)
    assert not (tmp_path / "new.html").exists()


def test_a_warning_is_one_plain_note_however_often_it_arrives(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import logging

    from terraplan.cli.console import NoteHandler, note, show_warning

    fact = "unit 4711 alone is 1.55x an equal share (band +15%)"
    logger = logging.getLogger("terraplan.test_notes")
    logger.addHandler(NoteHandler())
    logger.propagate = False
    try:
        logger.warning("territory design diagnosis: %s; unit 4712 too", fact)
        show_warning(
            UserWarning(f"territory design: {fact}; unit 4712 too"), UserWarning, "x.py", 1
        )
        note(fact)  # the command's own report of one part
    finally:
        logger.handlers.clear()
    err = capsys.readouterr().err
    assert err.count("note:") == 1, err
    assert "x.py" not in err and "UserWarning" not in err and "WARNING" not in err
    assert f"note: {fact}; unit 4712 too" in " ".join(err.split())


def test_rules_check_names_the_gap_accounts(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "Account.csv").write_text(
        "Id,Name,BillingState\n001A1,Acme West,CA\n001A6,Zeta Dallas,TX\n", encoding="utf-8"
    )
    imported = run_cli("import", "accounts", "Account.csv")
    assert imported.returncode == 0, imported.stderr
    (tmp_path / "rules.yaml").write_text(
        "territories:\n  - {id: west, name: West, type: geo}\n"
        "rules:\n  - {id: w, territory: west, when: {field: state, op: in, value: [CA]}}\n",
        encoding="utf-8",
    )
    checked = run_cli("rules", "check", "rules.yaml")
    assert checked.returncode == 3  # a gap
    assert "gap accounts: Zeta Dallas (001A6)" in checked.stdout
    assert "gap ids" not in checked.stdout


def test_rules_check_prints_names_as_they_are_and_the_leads_audit(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """CRM names hold brackets and colons: printed as written (no crash on "[/]", no red
    text from "[bold red]", no emoji from ":key:"). The leads' conflicts are shown as the
    accounts' are, and a list cut to its first 20 says so."""
    rows = ["Id,Name,BillingState", '001A1,"Smith [/] Sons",TX', '001A2,"[bold red]Loud Corp",TX']
    rows += [f"001B{i},Texan {i},TX" for i in range(25)]
    (tmp_path / "Account.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert run_cli("import", "accounts", "Account.csv").returncode == 0
    (tmp_path / "Lead.csv").write_text(
        "Id,Company,State,NumberOfEmployees\n00Q1,Big :key: Lead,CA,5000\n", encoding="utf-8"
    )
    assert run_cli("import", "leads", "Lead.csv").returncode == 0
    (tmp_path / "rules.yaml").write_text(
        'territories:\n  - {id: west, name: "West [old]", type: segment}\n'
        "  - {id: big, name: Big, type: segment}\n"
        "rules:\n  - {id: w, territory: west, when: {field: state, op: in, value: [CA]}}\n"
        "  - {id: b, territory: big, when: {field: employees, op: ge, value: 1000}}\n",
        encoding="utf-8",
    )
    checked = run_cli("rules", "check", "rules.yaml")
    assert checked.returncode == 3 and checked.stdout, checked.stderr
    out = " ".join(checked.stdout.split())
    assert "gap accounts (the first 20 of 27): Smith [/] Sons (001A1), [bold red]Loud Corp" in out
    assert "West [old]" in out
    # a conflict names the territories that claim it, for leads as for accounts
    assert "conflict leads: Big :key: Lead (00Q1) [west vs big]" in out
    assert "Coverage of the stored leads (1 checked)" in out
    # every gap, not the first 20, in a file
    listed = run_cli("rules", "check", "rules.yaml", "--out", "gaps.csv")
    assert listed.returncode == 3, listed.stderr
    import csv

    with (tmp_path / "gaps.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    accounts = [r for r in rows if r["kind"] == "account"]
    assert len(accounts) == 27 and {r["problem"] for r in accounts} == {"gap"}
    assert {r["name"] for r in accounts} >= {"Smith [/] Sons", "[bold red]Loud Corp"}
    assert {r["goes_to"] for r in rows} == {"(no territory)"}
    # the leads' audit is written too, the clashing territories by name
    leads = [r for r in rows if r["kind"] == "lead"]
    assert [(r["id"], r["name"], r["problem"], r["clashing"]) for r in leads] == [
        ("00Q1", "Big :key: Lead", "conflict", "West [old], Big")
    ]
    assert "27 gap and conflict accounts and 1 leads" in listed.stderr
    again = run_cli("rules", "check", "rules.yaml", "--out", "gaps.csv")
    assert again.returncode != 3 and "--force" in again.stderr  # never overwritten silently


def test_a_commands_own_exit_code_reaches_the_shell(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(
        "territories:\n  - {id: west, name: West, type: geo}\n"
        "rules:\n  - {id: w, territory: west, when: {field: state, op: in, value: [CA]}}\n",
        encoding="utf-8",
    )
    init = run_cli("init")
    assert init.returncode == 0, init.stderr
    saved = run_cli("plans", "new", "FY", "--territory", "west=West", "--plan-id", "P1")
    assert saved.returncode == 0, saved.stderr
    stored = run_cli("rules", "save", "rules.yaml", "--plan", "P1")
    assert stored.returncode == 0, stored.stderr
    # no rule places a Texas lead: the route says why and exits 6 (it used to exit 0)
    routed = run_cli("route", "--state", "TX", "--plan", "P1")
    assert routed.returncode == 6, (routed.stdout, routed.stderr)
    assert "No territory" in routed.stdout


def test_compare_and_kpi_tables_speak_names_and_whole_counts(
    run_cli: RunCli, tmp_path: Path
) -> None:
    (tmp_path / "Account.csv").write_text(
        "Id,Name,BillingState,Potential\n001A1,Acme West,CA,100\n001A2,Beta East,NY,200\n",
        encoding="utf-8",
    )
    (tmp_path / "rules.yaml").write_text(
        "territories:\n  - {id: west, name: West Coast, type: geo}\n"
        "  - {id: east, name: East Coast, type: geo}\n"
        "rules:\n  - {id: w, territory: west, when: {field: state, op: in, value: [CA]}}\n"
        "  - {id: e, territory: east, when: {field: state, op: in, value: [NY]}}\n",
        encoding="utf-8",
    )
    steps = [
        ("import", "accounts", "Account.csv"),
        ("plans", "new", "FY", "--territory", "west=West Coast", "--territory", "east=East Coast",
         "--plan-id", "P1"),
        ("rules", "save", "rules.yaml", "--plan", "P1"),
        ("rules", "apply", "--plan", "P1"),
        ("plans", "copy", "P1", "--plan-id", "P2", "--name", "What if"),
        ("plans", "move", "P2", "--accounts", "001A1", "--to", "east"),
    ]  # fmt: skip
    for step in steps:
        done = run_cli(*step)
        assert done.returncode == 0, (step, done.stderr)
    compared = run_cli("plans", "compare", "P1", "P2", "--moved")
    assert compared.returncode == 0, compared.stderr
    moved = [line for line in compared.stdout.splitlines() if "Acme West" in line]
    assert moved and "West Coast" in moved[-1] and "East Coast" in moved[-1]
    assert "│ west" not in compared.stdout
    kpis = run_cli("kpis", "--plan", "P1", "--kpi", "account_count", "--as-of", "2025-12-31")
    assert kpis.returncode == 0, kpis.stderr
    counts = [line for line in kpis.stdout.splitlines() if "West Coast" in line]
    assert counts and counts[0].rstrip(" │").endswith(" 1") and "1.00" not in counts[0]
    assert "as_of" not in kpis.stdout.splitlines()[2]

    # files speak names too, the ids kept beside them for joins
    moved_csv = run_cli("plans", "compare", "P1", "P2", "--out", "moved.csv")
    assert moved_csv.returncode == 0, moved_csv.stderr
    (row,) = list(csv.DictReader(io.StringIO((tmp_path / "moved.csv").read_text("utf-8"))))
    assert (row["account"], row["from"], row["to"]) == ("Acme West", "West Coast", "East Coast")
    assert (row["account id"], row["from id"], row["to id"]) == ("001A1", "west", "east")
    as_csv = run_cli("kpis", "--plan", "P1", "--as-of", "2025-12-31", "-f", "csv")
    assert as_csv.returncode == 0, as_csv.stderr
    names = {r["key"]: r["name"] for r in csv.DictReader(io.StringIO(as_csv.stdout))}
    assert names == {"west": "West Coast", "east": "East Coast"}
    needs = run_cli(
        "capacity", "--plan", "P1", "--by", "territory", "--workload-model", "visits=12",
        "-f", "csv",
    )  # fmt: skip
    assert needs.returncode == 0, needs.stderr
    groups = {r["territory"]: r["id"] for r in csv.DictReader(io.StringIO(needs.stdout))}
    assert groups == {"East Coast": "east", "West Coast": "west", "TOTAL": ""}
    table = run_cli(
        "capacity", "--plan", "P1", "--by", "territory", "--workload-model", "visits=12"
    )
    assert table.returncode == 0, table.stderr
    assert "West Coast" in table.stdout and "│ west" not in table.stdout
    # Both capacity tables read whole at 80 columns: no cut number or name.
    assert "…" not in table.stdout


def test_dates_and_long_words_are_never_cut_at_80_columns(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`plans list` cut the end date of an archived plan to "2026-12-…" (the one thing looked
    for there) and plan names to "territori…"."""
    from terraplan.cli.console import render_rows

    monkeypatch.setenv("COLUMNS", "80")
    rows = [
        {
            "plan": "P001",
            "name": "Counties design, 40 territories",
            "status": "archived",
            "scope": "(whole market)",
            "version": 6,
            "from": date(2026, 1, 1),
            "to": date(2026, 12, 31),
        }
    ]
    render_rows(rows, title="Plans")
    out = capsys.readouterr().out
    assert "…" not in out
    assert "2026-12-31" in out and "2026-01-01" in out
    assert max(len(line) for line in out.splitlines()) <= 80
    # a word is never folded in two while the table has room ("Internationa" / "l")
    wide = [
        {"territory": "International", "revenue": 1.5e6, "growth": "+3.1%", "attainment": "99%",
         "pipeline": "1.2M", "win rate": "31%", "note": "a catch-all of accounts abroad"}
    ]  # fmt: skip
    render_rows(wide, title="KPIs")
    words = capsys.readouterr().out.replace("│", " ").split()
    assert "International" in words


def test_a_reader_that_stops_early_is_no_error(tmp_path: Path) -> None:
    """``terraplan ... | head`` closes the pipe before the output is written: Rich ended
    with exit code 1 (the code of a bug) and no message; it is a normal end (0)."""
    import os
    import sys

    command = Path(sys.executable).with_name("terraplan")
    env = {**os.environ, "TERRAPLAN_DATABASE_URL": f"sqlite:///{tmp_path / 't.db'}"}
    child = subprocess.Popen(
        [str(command), "kpis", "--help"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # before the program has started: its first write finds no reader
    with child.stderr:
        assert child.wait(timeout=60) == 0
        assert child.stderr.read() == b""


def test_plans_new_takes_a_territory_type_so_a_rules_first_plan_is_no_dead_end(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """A catch-all declared in the plan first, then in the rule set: the types agree (with
    only ID=NAME the plan's 'pool' was geo, and the rule set was refused with no way out)."""
    made = run_cli(
        "plans", "new", "FY27", "--plan-id", "P9", "--territory", "pool=Unassigned:catch_all",
        "--territory", "w=West: Coast",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    (tmp_path / "rules.yaml").write_text(
        "catch_all: pool\nterritories:\n  - {id: pool, name: Unassigned, type: catch_all}\n"
        '  - {id: w, name: "West: Coast", type: geo}\n'
        "rules:\n  - {id: r, territory: w, when: {field: state, op: in, value: [CA]}}\n",
        encoding="utf-8",
    )
    saved = run_cli("rules", "save", "rules.yaml", "--plan", "P9")
    assert saved.returncode == 0, saved.stderr
    shown = json.loads(run_cli("plans", "show", "P9", "-f", "json").stdout)
    assert [(t["territory"], t["name"], t["type"]) for t in shown["territories"]] == [
        ("pool", "Unassigned", "catch_all"),
        ("w", "West: Coast", "geo"),
    ]
    bad = run_cli("plans", "new", "X", "--territory", "t=:catch_all")
    assert bad.returncode != 0 and "ID=NAME:TYPE" in " ".join(bad.stderr.split())


@pytest.mark.parametrize(
    ("value", "tolerance", "within", "shown"),
    [
        (-0.0996, 0.10, True, "-10.0%"),  # inside, rounding to the edge reads fine
        (-0.1004, 0.10, False, "-10.04%"),  # outside: never "-10.0%" beside NO
        (0.10004, 0.10, False, "+10.004%"),
        (0.152, 0.15, False, "+15.2%"),
        (0.05, None, False, "+5.0%"),
    ],
)
def test_a_deviation_outside_its_band_never_reads_as_its_edge(
    value: float, tolerance: float | None, within: bool, shown: str
) -> None:
    from terraplan.cli.console import band_deviation

    assert band_deviation(value, tolerance, within) == shown
