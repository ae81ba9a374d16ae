"""Import messages say one in the singular: a table imported in batches adds singular and
plural warnings up into one, and the command line says "1 row read", "1 bad row skipped"."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl
from sqlalchemy import text

from terraplan.domain.salesforce_ids import suffix
from terraplan.io.locations import NO_HOME_BASE
from terraplan.io.table_source import parse_source
from terraplan.services.imports import import_file
from terraplan.services.source_imports import _plural, import_source
from terraplan.storage.database import Database

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def test_batches_counting_one_each_add_up_in_the_plural(db: Database, tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("Id,Name\nA1,Acme\n", encoding="utf-8")
    import_file(db, accounts, "accounts", geocoder=None)
    folder = tmp_path / "opportunities"
    folder.mkdir()
    pl.DataFrame(
        {
            "Id": ["O1", "O2", "O3"],
            "AccountId": ["A1", "A1", "A1"],
            "CreatedDate": ["2025-01-02"] * 3,
            "Amount": ["10", "20", "30"],
            "Stage": ["Abandoned", "Negotiation", "Negotiation"],
        }
    ).write_parquet(folder / "part.parquet")
    source = parse_source(str(folder))
    assert source is not None
    outcome = import_source(db, source, "opportunities", batch_rows=1)
    opened = [w for w in outcome.report.warnings if "read as open from the stage" in w]
    assert len(opened) == 1, outcome.report.warnings
    assert opened[0].startswith("3 opportunities read as open from the stage (e.g. ")


def test_the_plural_of_a_warning_counting_one() -> None:
    assert _plural("opportunity read as open") == "opportunities read as open"
    assert _plural("account names an owner") == "accounts name an owner"
    assert _plural("row has a date after today") == "rows have a date after today"
    assert _plural("reps (e.g. R1) have no home") == "reps (e.g. R1) have no home"


def test_the_command_line_says_one_row_and_one_bad_row(
    terraplan_cli: RunCli, tmp_path: Path
) -> None:
    source = tmp_path / "accounts.csv"
    source.write_text("Id,Name,Potential\nA1,Acme,5\nA2,Beta,x\n", encoding="utf-8")
    skipped = terraplan_cli("import", "accounts", str(source), "--on-error", "skip")
    assert skipped.returncode == 0, skipped.stderr
    assert "1 bad row skipped" in skipped.stdout and "1 bad rows" not in skipped.stdout
    one = tmp_path / "one.csv"
    one.write_text("Id,Name\nA3,Gamma\n", encoding="utf-8")
    single = terraplan_cli("import", "accounts", str(one))
    assert single.returncode == 0, single.stderr
    assert "1 row read" in single.stdout and "1 rows read" not in single.stdout


def test_a_team_list_re_imports_through_the_command_line(
    terraplan_cli: RunCli, tmp_path: Path
) -> None:
    users = tmp_path / "users.csv"
    users.write_text("Id,Name,Title,IsActive\nREP-001,Chloe Archer,AE,true\n", encoding="utf-8")
    assert terraplan_cli("import", "reps", str(users)).returncode == 0
    team = tmp_path / "team.csv"
    team.write_text(
        "Id,Name,Title,PostalCode,Department\nREP-001,Chloe Archer,Account Executive,90011,West\n",
        encoding="utf-8",
    )
    again = terraplan_cli("import", "reps", str(team))
    assert again.returncode == 0, again.stderr
    assert "constraint" not in again.stderr
    assert "(0 new, 1 updated)" in again.stdout


def test_opportunity_notes_count_the_rows_imported(db: Database, tmp_path: Path) -> None:
    # A Salesforce opportunity report with Stage but no Closed/Won columns; three rows are
    # refused by later checks (an account not stored, closing before it was created, an
    # amount that is no number), and imported with --on-error skip. The notes must count
    # the 20 rows written, not the 23 read: "20 read as won" for 18 won deals written
    # overstated the win count the user checks against the CRM.
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("Account ID,Account Name\n001A,Acme\n001B,Beta\n", encoding="utf-8")
    import_file(db, accounts, "accounts", geocoder=None)
    lines = ["Opportunity ID,Account ID,Stage,Amount,Created Date,Close Date"]
    lines += [f'006{i:02d},001A,Closed Won,"1,000",2024-01-05,2024-03-01' for i in range(18)]
    lines += [
        "00618,001Z,Closed Won,,2024-01-05,2024-03-01",
        "00619,001B,Closed Won,500,2024-05-05,2024-03-01",
        "00620,001B,Closed Lost,,2024-05-05,2052-03-01",
        "00621,001B,Prospecting,,2024-05-05,2024-09-01",
        "00622,001B,Abandoned,n/a,2024-05-05,2052-09-01",
        "00623,001B,closed won,,2052-05-05,2052-09-01",
    ]
    source = tmp_path / "opportunities.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outcome = import_file(db, source, "opportunities", geocoder=None, on_error="skip")
    report = outcome.report
    assert (report.rows_read, report.accepted, outcome.written) == (24, 21, 21)
    assert [(i.row, i.field) for i in report.issues] == [
        (20, "account_id"),
        (21, "close_date"),
        (24, "amount"),
    ]
    warnings = [w.split(":")[0].split(" (e.g.")[0] for w in report.warnings]
    assert warnings == [
        "3 opportunities have no amount",
        "20 opportunities read as closed from the stage",
        "19 opportunities read as won from the stage",
        "1 opportunity read as lost from the stage",
        "1 opportunity read as open from the stage",
        "2 rows have a date after today, " + str(date.today()),
    ]
    # the example a note gives is a row that was imported
    ahead = next(w for w in report.warnings if "after today" in w)
    assert "(e.g. row 22, column 'Close Date': '2052-03-01')" in ahead
    with db.connect() as connection:
        won = connection.execute(
            text("SELECT count(*) FROM opportunities WHERE is_won")
        ).scalar_one()
    assert won == 19


def test_reference_and_spelling_notes_count_the_rows_imported(db: Database, tmp_path: Path) -> None:
    # A CRM account export naming owners every way a CRM does (by name, by the 18-character
    # form of a stored 15-character id, by an id no stored rep has, by a name two reps share)
    # and spelling a stored segment otherwise; in each group one row is refused by another
    # check (no name, a negative potential) and skipped. Each note counts the
    # rows written: "2 rows name the owner by name" for 1 written overstated the fix.
    ann, bob = "005A00000012345", "005A00000067890"
    reps = tmp_path / "reps.csv"
    reps.write_text(
        "Id,Name,Home Latitude,Home Longitude\n"
        f"{ann},Ann Lee,40,-74\n{bob},Bob Stone,40,-74\nR3,Sam Park,40,-74\nR4,Sam Park,40,-74\n",
        encoding="utf-8",
    )
    assert import_file(db, reps, "reps", geocoder=None).report.ok
    stored = tmp_path / "stored.csv"
    stored.write_text("Id,Name,Segment\nA0,Old,Enterprise\n", encoding="utf-8")
    assert import_file(db, stored, "accounts", geocoder=None).report.ok
    bob18 = bob + suffix(bob)
    lines = [
        "Id,Name,OwnerId,Potential,Segment",
        "A1,Acme,Ann Lee,,ENTERPRISE",
        "A2,,ann lee,,ENTERPRISE",  # no name
        f"A3,Beta,{bob18},,",
        f"A4,Gamma,{bob18},-5,ENTERPRISE",  # a negative potential
        "A5,Delta,005Z00000099999,,",
        "A6,Eps,005Z00000088888,-5,",
        "A7,Zeta,Sam Park,,",
        "A8,,sam park,,",
    ]
    source = tmp_path / "accounts.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outcome = import_file(db, source, "accounts", geocoder=None, on_error="skip")
    report = outcome.report
    assert (report.rows_read, report.accepted, outcome.written) == (8, 4, 4)
    assert sorted((i.row, i.field) for i in report.errors) == [
        (3, "name"),
        (5, "potential"),
        (7, "potential"),
        (9, "name"),
    ]
    counted = [w for w in report.warnings if w[0].isdigit() or w.startswith("segment:")]
    assert [w.split(" (")[0].split(": kept")[0] for w in counted] == [
        "1 row names the rep by its 18-character Salesforce id",
        "1 row names the owner by a name several reps share",
        "1 row names the owner by name",
        "1 account names an owner that is not among the 4 stored reps",
        "segment: 1 row written as the stored records spell the value",
    ]
    # the examples are rows that were written
    assert f"(e.g. {bob18} -> {bob})" in counted[0]
    assert "(e.g. Sam Park: reps R3, R4)" in counted[1]
    assert f"(e.g. Ann Lee -> {ann})" in counted[2]
    assert "1 distinct owner, e.g. 005Z00000099999" in counted[3]
    assert "('ENTERPRISE' -> 'Enterprise')" in counted[4]


def test_homeless_reps_count_the_reps_imported(db: Database, tmp_path: Path) -> None:
    # three reps without a home base; one names a manager that exists nowhere, one repeats
    # an id: both are refused after geocoding, and the note counts the one rep written
    source = tmp_path / "reps.csv"
    source.write_text(
        "Id,Name,Manager Id,Home Postal Code\nR1,Ann,,\nR2,Bob,M9,\nR3,Cy,,60601\nR1,Ann again,,\n",
        encoding="utf-8",
    )
    outcome = import_file(db, source, "reps", geocoder=None, on_error="skip")
    assert (outcome.report.accepted, outcome.written) == (2, 2)
    homeless = [w for w in outcome.report.warnings if "no home base" in w]
    assert homeless == [
        f"rep R1 has no home base (no known home ZIP or coordinates): {NO_HOME_BASE}"
    ]
