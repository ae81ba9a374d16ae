"""A Parquet folder holding two nights' deltas (or a table read in batches) with the same
record in both: with a modification-time column the later row updates the earlier one, as
two edits in one file do; without one, the duplicate says how to import such files."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from terraplan.errors import DataError
from terraplan.io.table_source import parse_source
from terraplan.services.imports import import_file
from terraplan.services.source_imports import import_source
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

ACCOUNTS = "Id,Name,BillingPostalCode,IsDeleted\nA1,Acme,94107,false\nA2,Beta,10001,false\n"


def _deals(rows: list[tuple[str, str, float, str | None]], *, stamp: bool = True) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "Id": [r[0] for r in rows],
            "AccountId": ["A1"] * len(rows),
            "StageName": [r[1] for r in rows],
            "Amount": [r[2] for r in rows],
            "CreatedDate": ["2026-10-01"] * len(rows),
            "CloseDate": ["2026-11-30"] * len(rows),
            "LastModifiedDate": [r[3] for r in rows],
        }
    )
    return frame if stamp else frame.drop("LastModifiedDate")


def _folder(tmp_path: Path, *nights: pl.DataFrame) -> Path:
    folder = tmp_path / "lake"
    folder.mkdir()
    for number, night in enumerate(nights):
        night.write_parquet(folder / f"delta_2026-12-0{number + 1}.parquet")
    return folder


@pytest.fixture
def accounts(db: Database, tmp_path: Path) -> Database:
    (tmp_path / "Account.csv").write_text(ACCOUNTS, encoding="utf-8")
    import_file(db, tmp_path / "Account.csv", "accounts")
    return db


def test_a_record_in_two_nights_takes_the_later_edit(accounts: Database, tmp_path: Path) -> None:
    monday = _deals(
        [
            ("006A", "Negotiation", 1000.0, "2026-12-01T02:00:00.000Z"),
            ("006B", "Proposal", 200.0, "2026-12-01T02:00:00.000Z"),
        ]
    )
    tuesday = _deals(
        [
            ("006A", "Closed Won", 1250.0, "2026-12-02T02:00:00.000Z"),  # won on Tuesday
            ("006C", "Proposal", 300.0, "2026-12-02T02:00:00.000Z"),
        ]
    )
    source = parse_source(str(_folder(tmp_path, monday, tuesday)))
    assert source is not None
    outcome = import_source(accounts, source, "opportunities", batch_rows=2)
    report = outcome.report
    assert (report.rows_read, report.accepted, report.rejected) == (4, 3, 0)
    assert outcome.written == 3
    with UnitOfWork(accounts) as uow:
        stored = {o.id: (o.stage, o.amount, o.is_won) for o in uow.opportunities.list()}
    assert stored == {
        "006A": ("Closed Won", 1250.0, True),
        "006B": ("Proposal", 200.0, False),
        "006C": ("Proposal", 300.0, False),
    }
    assert (
        "1 row is an earlier edit of a record the file holds again with a later"
        " LastModifiedDate (e.g. 006A), left out: the latest row of each is imported"
        in outcome.notes
    )
    assert report.details["unchanged_ids"] == ["006A"]


def test_an_older_row_in_a_later_file_puts_no_older_value_back(
    accounts: Database, tmp_path: Path
) -> None:
    first = _deals([("006A", "Closed Won", 1250.0, "2026-12-02T02:00:00.000Z")])
    second = _deals([("006A", "Negotiation", 1000.0, "2026-12-01T02:00:00.000Z")])
    source = parse_source(str(_folder(tmp_path, first, second)))
    assert source is not None
    outcome = import_source(accounts, source, "opportunities")
    assert (outcome.report.accepted, outcome.report.rejected, outcome.written) == (1, 0, 1)
    with UnitOfWork(accounts) as uow:
        assert uow.opportunities.get("006A").stage == "Closed Won"


def test_without_a_time_column_the_duplicate_says_how_to_import(
    accounts: Database, tmp_path: Path
) -> None:
    monday = _deals([("006A", "Negotiation", 1000.0, None)], stamp=False)
    tuesday = _deals([("006A", "Closed Won", 1250.0, None)], stamp=False)
    folder = _folder(tmp_path, monday, tuesday)
    source = parse_source(str(folder))
    assert source is not None
    with pytest.raises(DataError) as caught:
        import_source(accounts, source, "opportunities")
    issues = caught.value.details["report"]["issues"]
    assert [i["reason"] for i in issues] == [
        f"duplicate id (first at {folder / 'delta_2026-12-01.parquet'} row 1; without a"
        " LastModifiedDate or SystemModstamp column the later edit cannot be told: import the"
        " files one at a time, in the order they were taken)"
    ]


def test_warnings_count_each_record_once_as_stored(accounts: Database, tmp_path: Path) -> None:
    # Monday's rows of 006A and 006B are superseded by Tuesday's: the stage warnings count
    # the records imported (3), not the 5 rows read
    monday = _deals(
        [
            ("006A", "Negotiation", 1000.0, "2026-12-01T02:00:00.000Z"),
            ("006B", "Closed Won", 200.0, "2026-12-01T02:00:00.000Z"),
        ]
    )
    tuesday = _deals(
        [
            ("006A", "Closed Won", 1250.0, "2026-12-02T02:00:00.000Z"),
            ("006B", "Closed Won", 220.0, "2026-12-02T02:00:00.000Z"),
            ("006C", "Closed Lost", 300.0, "2026-12-02T02:00:00.000Z"),
            ("006D", "closed won", 400.0, "2026-12-02T02:00:00.000Z"),
        ]
    )
    source = parse_source(str(_folder(tmp_path, monday, tuesday)))
    assert source is not None
    outcome = import_source(accounts, source, "opportunities", batch_rows=2)
    report = outcome.report
    assert (report.rows_read, report.accepted, report.rejected, outcome.written) == (6, 4, 0, 4)
    stage_warnings = [w for w in report.warnings if "from the stage" in w]
    assert stage_warnings[0].startswith("4 opportunities read as closed from the stage")
    # the examples sum over Tuesday's two batches too
    assert stage_warnings[1:] == [
        "3 opportunities read as won from the stage (e.g. 'Closed Won': 2, 'closed won': 1)",
        "1 opportunity read as lost from the stage (e.g. 'Closed Lost': 1)",
    ]
    assert not [w for w in report.warnings if "read as open" in w]
    assert sorted(report.details["unchanged_ids"]) == ["006A", "006B"]
    with UnitOfWork(accounts) as uow:
        stored = {o.id: (o.amount, o.is_won) for o in uow.opportunities.list()}
    assert stored == {
        "006A": (1250.0, True),
        "006B": (220.0, True),
        "006C": (300.0, False),
        "006D": (400.0, True),
    }
