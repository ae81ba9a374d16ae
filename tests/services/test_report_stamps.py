"""Nightly deltas exported from a Salesforce report: local times such as ``11/3/2026 9:42 AM``.

A report writes ``LastModifiedDate`` in the running user's time zone, without zone, in their
locale's form (``11/3/2026 9:42 AM``, ``11/3/2026 21:42``, ``2026-11-03 9:42 AM``; a British
user ``03/11/2026 21:42``). Such a file was refused as a whole. It is now read: slashed times in
the mapping file's ``dates:`` order, and in its ``time_zone`` when one is declared (else as
written, with a note), and its rows compared with the stored times as any delta's."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from terraplan.errors import DataError
from terraplan.services.imports import import_file
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

HEAD = "Id,Name,BillingState,BillingPostalCode,LastModifiedDate"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _stored(db: Database) -> dict[str, tuple[str, datetime | None]]:
    from sqlalchemy import text

    with UnitOfWork(db) as uow:
        rows = uow.connection.execute(text("SELECT id, name, crm_modified_at FROM accounts"))
        return {
            i: (n, m if isinstance(m, datetime) or m is None else datetime.fromisoformat(m))
            for i, n, m in rows
        }


def test_a_reports_local_times_are_read_and_order_the_deltas(db: Database, tmp_path: Path) -> None:
    monday = (
        f"{HEAD}\n"
        "001Hu00000AAAA1IAA,Sierra Dental,NV,89501,11/3/2026 9:42 AM\n"
        "001Hu00000AAAA2IAA,Reno Feed,NV,89502,11/3/2026 21:42\n"
        "001Hu00000AAAA3IAA,Tahoe Grain,NV,89503,2026-11-03 9:42 PM\n"
    )
    first = import_file(db, _write(tmp_path, "mon.csv", monday), "accounts")
    assert first.written == 3
    assert {k: v[1] for k, v in _stored(db).items()} == {
        "001Hu00000AAAA1IAA": datetime(2026, 11, 3, 9, 42),
        "001Hu00000AAAA2IAA": datetime(2026, 11, 3, 21, 42),
        "001Hu00000AAAA3IAA": datetime(2026, 11, 3, 21, 42),
    }
    local = [w for w in first.report.warnings if "local times" in w]
    assert len(local) == 1 and "'LastModifiedDate'" in local[0] and "read as UTC" in local[0]
    # the same report run again later: 9:41 AM is older, 9:43 PM newer
    later = (
        f"{HEAD}\n"
        "001Hu00000AAAA1IAA,Sierra Dental (old),NV,89501,11/3/2026 9:41 AM\n"
        "001Hu00000AAAA2IAA,Reno Feed & Seed,NV,89502,11/3/2026 9:43 PM\n"
    )
    again = import_file(db, _write(tmp_path, "tue.csv", later), "accounts")
    assert again.written == 1 and again.report.details["unchanged_ids"] == ["001Hu00000AAAA1IAA"]
    names = {k: v[0] for k, v in _stored(db).items()}
    assert names["001Hu00000AAAA1IAA"] == "Sierra Dental"
    assert names["001Hu00000AAAA2IAA"] == "Reno Feed & Seed"


def test_a_declared_time_zone_and_day_first_order_are_followed(
    db: Database, tmp_path: Path
) -> None:
    """A New York report, day first by the mapping file: 03/11/2026 is 3 November, and
    9:42 PM there (EST, UTC-5) is 02:42 the next day in UTC — after an API delta's 02:00Z."""
    mapping = _write(tmp_path, "ny.yaml", "dates: day first\ntime_zone: America/New_York\n")
    api = f"{HEAD}\n001Hu00000AAAA1IAA,Sierra Dental,NV,89501,2026-11-04T02:00:00.000Z\n"
    import_file(db, _write(tmp_path, "api.csv", api), "accounts")
    report = f"{HEAD}\n001Hu00000AAAA1IAA,Sierra Dental Renamed,NV,89501,03/11/2026 21:42\n"
    done = import_file(db, _write(tmp_path, "rep.csv", report), "accounts", mapping=mapping)
    assert done.written == 1
    assert not [w for w in done.report.warnings if "local times" in w]
    assert _stored(db)["001Hu00000AAAA1IAA"] == (
        "Sierra Dental Renamed",
        datetime(2026, 11, 4, 2, 42),
    )
    # a month-first time in a file declared day first names its row and the declaration
    wrong = f"{HEAD}\n001Hu00000AAAA1IAA,X,NV,89501,11/30/2026 9:42 AM\n"
    with pytest.raises(DataError) as caught:
        import_file(db, _write(tmp_path, "wrong.csv", wrong), "accounts", mapping=mapping)
    message = str(caught.value)
    assert "row 2 column 'LastModifiedDate' value '11/30/2026 9:42 AM'" in message
    assert "declares dates: day first" in message


def test_a_column_showing_the_day_first_reads_day_first(db: Database, tmp_path: Path) -> None:
    british = (
        f"{HEAD}\n"
        "001Hu00000AAAA1IAA,Sierra Dental,NV,89501,25/11/2026 09:42\n"
        "001Hu00000AAAA2IAA,Reno Feed,NV,89502,03/11/2026 21:42\n"
    )
    import_file(db, _write(tmp_path, "uk.csv", british), "accounts")
    stamps = {k: v[1] for k, v in _stored(db).items()}
    assert stamps["001Hu00000AAAA2IAA"] == datetime(2026, 11, 3, 21, 42)


@pytest.mark.parametrize("value", ["11/3/2026 13:30 PM", "2/30/2026 9:00 AM", "2026-11-03 0:15 AM"])
def test_a_time_that_is_no_time_is_refused(db: Database, tmp_path: Path, value: str) -> None:
    bad = f"{HEAD}\n001Hu00000AAAA1IAA,Sierra Dental,NV,89501,{value}\n"
    with pytest.raises(DataError, match="not a date and time"):
        import_file(db, _write(tmp_path, "bad.csv", bad), "accounts")
