"""A record's own id in the other Salesforce form names the stored record.

Salesforce reports give ids in 15 characters, the API and Data Loader in 18. A file giving a
stored record's id in the other form used to add a second record (exit 0, no warning), so
every total counted it twice; it now updates the stored one and keeps its id.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import text

from terraplan.domain.salesforce_ids import suffix
from terraplan.errors import DataError
from terraplan.io.table_source import parse_source
from terraplan.services.imports import import_file
from terraplan.services.source_imports import import_source
from terraplan.storage.database import Database

ACME, GLOBEX = "001Jh61FDii0GbD", "001f1hd4aei9ebJ"
ANN, BOB = "005aEc0BC6hDbiB", "0059gGBCddCHChd"


def long(short_id: str) -> str:
    return short_id + suffix(short_id)


def _write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _rows(db: Database, sql: str) -> list[tuple[object, ...]]:
    with db.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def test_accounts_stored_in_18_then_given_in_15_are_updated(db: Database, tmp_path: Path) -> None:
    # A report export (15 characters) after a Data Loader one (18): the same 2 accounts.
    first = [
        "Account ID,Account Name,Annual Revenue,Industry",
        f"{long(ACME)},Acme,400000,Manufacturing",
        f"{long(GLOBEX)},Globex,4500000,Technology",
    ]
    import_file(db, _write(tmp_path, "accounts18.csv", first), "accounts", geocoder=None)
    again = [
        "Account ID,Account Name,Annual Revenue,Industry",
        f"{ACME},Acme Corp,400000,Manufacturing",
        f"{GLOBEX},Globex,4500000,Technology",
    ]
    outcome = import_file(db, _write(tmp_path, "accounts15.csv", again), "accounts", geocoder=None)
    assert (outcome.written, outcome.new) == (2, 0)
    assert _rows(db, "SELECT id, name FROM accounts ORDER BY name") == [
        (long(ACME), "Acme Corp"),
        (long(GLOBEX), "Globex"),
    ]
    assert _rows(db, "SELECT SUM(annual_revenue) FROM accounts") == [(4_900_000,)]
    assert (
        f"2 rows name the account by its 15-character Salesforce id in Account ID (e.g. {ACME}"
        f" -> {long(ACME)}): matched to the stored 18-character id, an update rather than a"
        " new account"
    ) in outcome.report.warnings
    # a later reference in the 15-character form names the stored account too
    opps = [
        "Opportunity ID,Account ID,Created Date,Close Date,Amount,Stage",
        f"{long('006FAacCfIg0GHg')},{ACME},2025-12-03,2025-12-20,100,Closed Won",
    ]
    import_file(db, _write(tmp_path, "opps.csv", opps), "opportunities")
    assert _rows(db, "SELECT account_id FROM opportunities") == [(long(ACME),)]


def test_reps_stored_in_15_then_given_in_18_are_updated(db: Database, tmp_path: Path) -> None:
    first = ["User ID,Full Name", f"{ANN},Ann Lee", f"{BOB},Bob Ortiz"]
    import_file(db, _write(tmp_path, "reps15.csv", first), "reps", geocoder=None)
    again = ["User ID,Full Name,Title", f"{long(ANN)},Ann Lee,AE", f"{long(BOB)},Bob Ortiz,AE"]
    outcome = import_file(db, _write(tmp_path, "reps18.csv", again), "reps", geocoder=None)
    assert (outcome.written, outcome.new) == (2, 0)
    assert _rows(db, "SELECT id FROM reps ORDER BY id") == sorted([(ANN,), (BOB,)])
    assert any(
        w.startswith("2 rows name the rep by its 18-character Salesforce id in User ID")
        and w.endswith("matched to the stored 15-character id, an update rather than a new rep")
        for w in outcome.report.warnings
    ), outcome.report.warnings
    # names stay unique: an owner column naming Ann Lee resolves to one rep
    accounts = ["Account ID,Account Name,Account Owner", f"{ACME},Acme,Ann Lee"]
    import_file(db, _write(tmp_path, "accounts.csv", accounts), "accounts", geocoder=None)
    assert _rows(db, "SELECT owner_id FROM accounts") == [(ANN,)]


def test_opportunities_and_sales_lines_are_not_counted_twice(db: Database, tmp_path: Path) -> None:
    accounts = ["Account ID,Account Name", f"{long(ACME)},Acme"]
    import_file(db, _write(tmp_path, "accounts.csv", accounts), "accounts", geocoder=None)
    opp, line = "006FAacCfIg0GHg", "00k7cf84A2b8BFD"
    for opp_id in (long(opp), opp):
        opps = [
            "Opportunity ID,Account ID,Created Date,Close Date,Amount,Stage",
            f"{opp_id},{long(ACME)},2025-12-03,2025-12-20,41073.22,Closed Won",
        ]
        import_file(db, _write(tmp_path, "opps.csv", opps), "opportunities")
    for line_id in (long(line), line, long(line)):
        lines = [
            "Line Item ID,Account ID,Invoice Date,Total Price",
            f"{line_id},{long(ACME)},2026-05-15,1000",
        ]
        import_file(db, _write(tmp_path, "lines.csv", lines), "sales_lines")
    assert _rows(db, "SELECT id, amount FROM opportunities") == [(long(opp), 41073.22)]
    assert _rows(db, "SELECT id, amount FROM sales_lines") == [(long(line), 1000.0)]


@pytest.mark.parametrize("stored", [False, True], ids=["new", "stored"])
def test_both_forms_in_one_file_are_duplicates(db: Database, tmp_path: Path, stored: bool) -> None:
    if stored:
        seed = ["Account ID,Account Name", f"{long(ACME)},Acme"]
        import_file(db, _write(tmp_path, "seed.csv", seed), "accounts", geocoder=None)
    lines = [
        "Account ID,Account Name",
        f"{ACME},Acme",
        f"{GLOBEX},Globex",
        f"{long(ACME)},Acme again",
    ]
    path = _write(tmp_path, "accounts.csv", lines)
    with pytest.raises(DataError, match="1 of 3 rows"):
        import_file(db, path, "accounts", geocoder=None)
    outcome = import_file(db, path, "accounts", geocoder=None, on_error="skip")
    [error] = outcome.report.errors
    assert (error.row, error.field, error.value) == (4, "id", long(ACME))
    assert error.reason == (
        f"duplicate id (first at row 2 as {ACME}: one Salesforce record in its 15- and"
        " 18-character forms)"
    )
    assert _rows(db, "SELECT id, name FROM accounts ORDER BY name") == [
        (long(ACME) if stored else ACME, "Acme"),
        (GLOBEX, "Globex"),
    ]


def test_ids_of_other_systems_are_taken_as_written(db: Database, tmp_path: Path) -> None:
    # 18 characters whose last three are not the Salesforce suffix of the first 15 (another
    # CRM's id), and 15 characters that are no Salesforce id (a hyphen)
    other = "CUST00000000001XYZ"
    assert suffix(other[:15]) != "XYZ"
    seed = ["Id,Name", f"{other},Stored", "ACCT-0000000001,Hyphen"]
    import_file(db, _write(tmp_path, "seed.csv", seed), "accounts", geocoder=None)
    again = ["Id,Name", f"{other[:15]},Cut", "ACCT-0000000001AAA,Longer", "ACCT-0000000001AAB,Two"]
    outcome = import_file(db, _write(tmp_path, "again.csv", again), "accounts", geocoder=None)
    assert outcome.report.ok and outcome.new == 3
    assert not [w for w in outcome.report.warnings if "Salesforce" in w]
    assert _rows(db, "SELECT COUNT(*) FROM accounts") == [(5,)]


def test_ids_differing_in_case_stay_two_records(db: Database, tmp_path: Path) -> None:
    # 15-character Salesforce ids are case-sensitive: AbCdE and abcde are two accounts
    upper, lower = "001A000001AbCdE", "001a000001abcde"
    seed = ["Id,Name", f"{long(upper)},Upper"]
    import_file(db, _write(tmp_path, "seed.csv", seed), "accounts", geocoder=None)
    again = ["Id,Name", f"{lower},Lower", f"{long(lower)[:15].upper()},Shout"]
    outcome = import_file(db, _write(tmp_path, "again.csv", again), "accounts", geocoder=None)
    assert outcome.report.ok and outcome.new == 2, outcome.report.errors
    assert not [w for w in outcome.report.warnings if "Salesforce" in w]
    assert sorted(_rows(db, "SELECT id FROM accounts")) == sorted(
        [(long(upper),), (lower,), (lower.upper(),)]
    )


def test_a_refused_row_in_the_other_form_does_not_close_its_account(
    db: Database, tmp_path: Path
) -> None:
    # a full export (close_missing) in 15 characters: the refused row still names its stored
    # account, which is not "missing" from the export
    seed = ["Id,Name", f"{long(ACME)},Acme", f"{long(GLOBEX)},Globex"]
    import_file(db, _write(tmp_path, "seed.csv", seed), "accounts", geocoder=None)
    export = ["Id,Name", f"{ACME},Acme", f"{GLOBEX},"]  # no name: refused
    outcome = import_file(
        db,
        _write(tmp_path, "export.csv", export),
        "accounts",
        geocoder=None,
        on_error="skip",
        close_missing=True,
    )
    assert (outcome.written, outcome.new, outcome.closed) == (1, 0, 0)
    assert _rows(db, "SELECT COUNT(*) FROM accounts WHERE closed_on IS NOT NULL") == [(0,)]


def test_a_source_in_batches_reads_both_forms_as_one_record(db: Database, tmp_path: Path) -> None:
    seed = ["Id,Name", f"{long(ACME)},Acme"]
    import_file(db, _write(tmp_path, "seed.csv", seed), "accounts", geocoder=None)
    folder = tmp_path / "accounts"
    folder.mkdir()
    pl.DataFrame(
        {"Id": [ACME, GLOBEX, long(GLOBEX)], "Name": ["Acme Corp", "Globex", "Globex again"]}
    ).write_parquet(folder / "part.parquet")
    source = parse_source(str(folder))
    assert source is not None
    outcome = import_source(db, source, "accounts", batch_rows=1, on_error="skip")
    assert [(i.row, i.reason) for i in outcome.report.errors] == [
        (3, "duplicate id (first at row 2)")
    ]
    assert _rows(db, "SELECT id, name FROM accounts ORDER BY name") == [
        (long(ACME), "Acme Corp"),
        (GLOBEX, "Globex"),
    ]
