"""``terraplan route --file Lead.csv --out routed.csv``: every lead of a CRM export with its
territory and owner, read as ``import leads`` reads it (messy states and ZIPs, a Canadian
lead, a deleted one), a shared territory's leads handed out in turn."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tests.cli.conftest import RunCli

RULES = """catch_all: pool
territories:
  - {id: west, name: West, type: geo}
  - {id: east, name: East, type: geo}
  - {id: pool, name: Unassigned, type: catch_all}
rules:
  - {id: w, territory: west, when: {field: state, op: in, value: [CA, WA]}}
  - {id: e, territory: east, when: {field: state, op: in, value: [NY, MA]}}
"""
REPS = "Id,Name\n0051,Ava West\n0052,Ben West\n0053,Dan East\n0054,Hal Pool\n"
LEADS = (
    "Id,Company,PostalCode,State,Country,Industry,CreatedDate,IsDeleted\n"
    "00Q1,Acme,94107-1234,,United States,Software,2026-03-02T10:00:00.000+0000,false\n"
    "00Q2,Beta,,california,USA,,2026-03-03T10:00:00.000+0000,false\n"
    "00Q3,Gamma,2134,,,,2026-03-04T10:00:00.000+0000,false\n"
    "00Q4,Maple,M5V 2T6,ON,Canada,,2026-03-05T10:00:00.000+0000,false\n"
    "00Q5,asdf,98101,WA,US,,2026-03-06T10:00:00.000+0000,true\n"
    "00Q6,Delta,98101,Wash.,US,,2026-03-07T10:00:00.000+0000,false\n"
)


def _plan(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(RULES, encoding="utf-8")
    (tmp_path / "User.csv").write_text(REPS, encoding="utf-8")
    (tmp_path / "Lead.csv").write_text(LEADS, encoding="utf-8")
    territories = ["--territory", "west=West", "--territory", "east=East"]
    for args in (
        ("import", "reps", "User.csv"),
        ("plans", "new", "FY", *territories, "--territory", "pool=Unassigned:catch_all"),
        ("rules", "save", "rules.yaml", "--plan", "P001"),
        ("plans", "owners", "P001", "west", "Ava West,Ben West"),
        ("plans", "owners", "P001", "east", "Dan East"),
        ("plans", "owners", "P001", "pool", "Hal Pool"),
    ):
        done = run_cli(*args)
        assert done.returncode == 0, (args, done.stdout, done.stderr)


def test_a_lead_file_is_written_with_each_leads_territory_and_owner(
    run_cli: RunCli, tmp_path: Path
) -> None:
    _plan(run_cli, tmp_path)
    routed = run_cli("route", "--file", "Lead.csv", "--out", "routed.csv", "--plan", "P001")
    assert routed.returncode == 0, routed.stderr
    with (tmp_path / "routed.csv").open(encoding="utf-8") as handle:
        rows = {row["id"]: row for row in csv.DictReader(handle)}
    assert {k: (r["territory"], r["owner"]) for k, r in rows.items()} == {
        "00Q1": ("West", "Ava West"),  # ZIP+4 of San Francisco
        "00Q2": ("West", "Ben West"),  # the state's name, no ZIP: West's next turn
        "00Q3": ("East", "Dan East"),  # a ZIP that lost its leading zero (02134, MA)
        "00Q4": ("Unassigned", "Hal Pool"),  # Canada: no US state rule places it
        "00Q6": ("West", "Ava West"),  # "Wash." is WA
    }
    assert "outside the US" in rows["00Q4"]["explanation"]
    assert "00Q5" not in rows  # deleted in the CRM: not routed, and said
    said = " ".join(routed.stderr.split())
    assert "1 lead of the file is deleted in the CRM (IsDeleted true: 00Q5): not routed" in said
    assert "Wrote 5 leads to routed.csv" in routed.stdout


def test_the_summary_as_json_and_the_options_that_go_together(
    run_cli: RunCli, tmp_path: Path
) -> None:
    _plan(run_cli, tmp_path)
    routed = run_cli(
        "route", "--file", "Lead.csv", "--out", "r.xlsx", "--plan", "P001", "-f", "json"
    )
    assert routed.returncode == 0, routed.stderr
    summary = json.loads(routed.stdout)
    assert (summary["leads"], summary["unplaced"]) == (5, 0)
    assert {"territory": "West", "owner": "Ava West", "leads": 2} in summary["owners"]
    again = run_cli("route", "--file", "Lead.csv", "--out", "r.xlsx", "--plan", "P001")
    assert again.returncode == 5 and "--force" in again.stderr  # never overwritten silently
    mixed = run_cli("route", "--file", "Lead.csv", "--postal-code", "94107")
    assert mixed.returncode == 2 and "--file and --out go together" in mixed.stderr


def test_a_bad_row_routes_nothing_and_names_the_row(run_cli: RunCli, tmp_path: Path) -> None:
    _plan(run_cli, tmp_path)
    (tmp_path / "bad.csv").write_text(LEADS + "00Q7,Junk,ABCDE,,,,2026-03-08,false\n", "utf-8")
    routed = run_cli("route", "--file", "bad.csv", "--out", "routed.csv", "--plan", "P001")
    assert routed.returncode == 3, (routed.stdout, routed.stderr)
    said = " ".join(routed.stderr.split())
    assert "1 row of bad.csv cannot be read as leads, first: " in said and ":8" in said
    assert "nothing was routed" in said
    assert not (tmp_path / "routed.csv").exists()
