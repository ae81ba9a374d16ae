"""Nightly Salesforce deltas loaded late or twice: a row no newer than the stored record
(``LastModifiedDate`` / ``SystemModstamp``) is left out, a deletion is remembered, and a
file without a time column keeps the file-loaded-last-wins behaviour."""

from __future__ import annotations

from pathlib import Path

import pytest

from terraplan.errors import DataError
from terraplan.services.imports import import_file
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

HEAD = "Id,Name,AccountId,StageName,Amount,CreatedDate,CloseDate,IsClosed,IsWon,IsDeleted"
BASE = (
    f"{HEAD},LastModifiedDate\n"
    "006Hu00000OOOO1IAA,Deal 1,001Hu00000AAAA1IAA,Prospecting,1000,2026-10-01,,false,false,false,"
    "2026-11-01T02:00:00.000Z\n"
    "006Hu00000OOOO2IAA,Deal 2,001Hu00000AAAA1IAA,Prospecting,2000,2026-10-01,,false,false,false,"
    "2026-11-01T02:00:00.000Z\n"
)
#: Tuesday: deal 1 won, deal 2 raised (API form with +0000)
TUESDAY = (
    f"{HEAD},LastModifiedDate\n"
    "006Hu00000OOOO1IAA,Deal 1,001Hu00000AAAA1IAA,Closed Won,1000,2026-10-01,2026-11-03,true,true,false,"
    "2026-11-03T09:00:00.000+0000\n"
    "006Hu00000OOOO2IAA,Deal 2,001Hu00000AAAA1IAA,Negotiation,2500,2026-10-01,,false,false,false,"
    "2026-11-03T09:00:00.000+0000\n"
)
#: Wednesday: deal 1 reopened at a new amount, deal 2 deleted
WEDNESDAY = (
    f"{HEAD},SystemModstamp\n"
    "006Hu00000OOOO1IAA,Deal 1,001Hu00000AAAA1IAA,Negotiation,1800,2026-10-01,,false,false,false,"
    "2026-11-04T08:00:00Z\n"
    "006Hu00000OOOO2IAA,Deal 2,001Hu00000AAAA1IAA,Negotiation,2500,2026-10-01,,false,false,true,"
    "2026-11-04T08:00:00Z\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _account(db: Database, tmp_path: Path) -> None:
    accounts = "Id,Name,BillingPostalCode\n001Hu00000AAAA1IAA,Acme,94107\n"
    import_file(db, _write(tmp_path, "Account.csv", accounts), "accounts")


def _opps(db: Database) -> dict[str, tuple[str, float]]:
    with UnitOfWork(db) as uow:
        return {o.id: (o.stage, o.amount) for o in uow.records("opportunities").list()}


def test_an_older_delta_loaded_after_a_newer_one_changes_nothing(
    db: Database, tmp_path: Path
) -> None:
    import_file(db, _write(tmp_path, "base.csv", BASE), "opportunities")
    import_file(db, _write(tmp_path, "wed.csv", WEDNESDAY), "opportunities")
    late = import_file(db, _write(tmp_path, "tue.csv", TUESDAY), "opportunities")
    # Wednesday wins: deal 1 open at 1,800 (not won at 1,000), deal 2 stays deleted
    assert _opps(db) == {"006Hu00000OOOO1IAA": ("Negotiation", 1800.0)}
    assert late.written == 0
    assert late.report.rows_read == 2
    assert late.report.details["unchanged_ids"] == ["006Hu00000OOOO1IAA", "006Hu00000OOOO2IAA"]
    assert late.notes == (
        "2 rows are older than the opportunities stored (their LastModifiedDate is before the "
        "one stored, e.g. Deal 1 (006Hu00000OOOO1IAA), Deal 2 (006Hu00000OOOO2IAA)) and left "
        "out: a delta loaded after a newer one does not put older values back",
    )


def test_the_same_delta_twice_is_a_replay(db: Database, tmp_path: Path) -> None:
    import_file(db, _write(tmp_path, "base.csv", BASE), "opportunities")
    tuesday = _write(tmp_path, "tue.csv", TUESDAY)
    import_file(db, tuesday, "opportunities")
    again = import_file(db, tuesday, "opportunities")
    assert again.written == 0
    assert again.notes == (
        "2 rows already imported (the same LastModifiedDate as stored) left out: nothing to change (to import them again, e.g. with a corrected mapping file: "
        "`--reload`, `reload=true` in the API)",
    )
    assert _opps(db) == {
        "006Hu00000OOOO1IAA": ("Closed Won", 1000.0),
        "006Hu00000OOOO2IAA": ("Negotiation", 2500.0),
    }


def test_in_order_the_newer_rows_apply(db: Database, tmp_path: Path) -> None:
    import_file(db, _write(tmp_path, "base.csv", BASE), "opportunities")
    import_file(db, _write(tmp_path, "tue.csv", TUESDAY), "opportunities")
    import_file(db, _write(tmp_path, "wed.csv", WEDNESDAY), "opportunities")
    assert _opps(db) == {"006Hu00000OOOO1IAA": ("Negotiation", 1800.0)}


def test_accounts_keep_the_newest_owner_and_a_mixed_file_applies_its_newer_rows(
    db: Database, tmp_path: Path
) -> None:
    head = "Id,Name,BillingPostalCode,AnnualRevenue,LastModifiedDate\n"
    import_file(
        db,
        _write(
            tmp_path,
            "a.csv",
            head + "001Hu00000AAAA1IAA,Acme,94107,100,2026-11-05T10:00:00.000Z\n"
            "001Hu00000AAAA2IAA,Beta,10001,200,2026-11-01T10:00:00.000Z\n",
        ),
        "accounts",
    )
    # one row older, one newer
    outcome = import_file(
        db,
        _write(
            tmp_path,
            "b.csv",
            head + "001Hu00000AAAA1IAA,Acme,94107,999,2026-11-04T10:00:00.000Z\n"
            "001Hu00000AAAA2IAA,Beta Corp,10001,250,2026-11-04T10:00:00.000Z\n",
        ),
        "accounts",
    )
    with UnitOfWork(db) as uow:
        stored = {a.id: (a.name, a.annual_revenue) for a in uow.accounts.list()}
    assert stored == {
        "001Hu00000AAAA1IAA": ("Acme", 100.0),
        "001Hu00000AAAA2IAA": ("Beta Corp", 250.0),
    }
    assert outcome.written == 1
    assert "1 row is older than the accounts stored" in outcome.notes[-1]


def test_a_file_without_a_time_column_still_wins_when_loaded_last(
    db: Database, tmp_path: Path
) -> None:
    import_file(db, _write(tmp_path, "wed.csv", WEDNESDAY), "opportunities")
    import_file(db, _write(tmp_path, "base.csv", BASE), "opportunities")
    plain = f"{HEAD}\n006Hu00000OOOO1IAA,Deal 1,001Hu00000AAAA1IAA,Prospecting,10,2026-10-01,,false,false,false\n"
    import_file(db, _write(tmp_path, "plain.csv", plain), "opportunities")
    assert _opps(db)["006Hu00000OOOO1IAA"] == ("Prospecting", 10.0)


def test_a_time_that_is_not_one_is_refused_naming_file_row_and_column(
    db: Database, tmp_path: Path
) -> None:
    bad = BASE.replace("2026-11-01T02:00:00.000Z\n", "11/31/2026 2:00 AM\n", 1)
    with pytest.raises(DataError) as caught:
        import_file(db, _write(tmp_path, "bad.csv", bad), "opportunities")
    assert str(caught.value).startswith(
        f"{tmp_path / 'bad.csv'} row 2 column 'LastModifiedDate' value '11/31/2026 2:00 AM': "
        "not a date and time"
    )
    assert _opps(db) == {}


def test_a_bad_time_under_a_stored_mapping_names_the_mapping(db: Database, tmp_path: Path) -> None:
    from terraplan.services.import_mappings import save_mapping, stored_mapping

    save_mapping(db, "uk-deals", "dates: day first\ntime_zone: Europe/London\n", by=None)
    bad = BASE.replace("2026-11-01T02:00:00.000Z\n", "31/11/2026 2:00\n", 1)
    with pytest.raises(DataError) as caught:
        import_file(
            db,
            _write(tmp_path, "bad.csv", bad),
            "opportunities",
            mapping=stored_mapping(db, "uk-deals"),
        )
    assert "(the stored mapping 'uk-deals' declares dates: day first)" in str(caught.value)
    assert "mapping file" not in str(caught.value)


def test_reload_imports_the_same_rows_again(db: Database, tmp_path: Path) -> None:
    """A corrected mapping file sends the same rows (same times) again: reload applies them."""
    import_file(db, _write(tmp_path, "base.csv", BASE), "opportunities")
    fixed = BASE.replace(",1000,", ",1100,")
    outcome = import_file(db, _write(tmp_path, "fixed.csv", fixed), "opportunities", reload=True)
    assert outcome.written == 2
    assert outcome.notes == ()
    assert _opps(db)["006Hu00000OOOO1IAA"] == ("Prospecting", 1100.0)


def test_a_blank_time_keeps_the_stored_one(db: Database, tmp_path: Path) -> None:
    import_file(db, _write(tmp_path, "tue.csv", TUESDAY), "opportunities")
    blank = f"{HEAD},LastModifiedDate\n" + (
        "006Hu00000OOOO1IAA,Deal 1,001Hu00000AAAA1IAA,Closed Won,1200,2026-10-01,2026-11-03,"
        "true,true,false,\n"
    )
    import_file(db, _write(tmp_path, "blank.csv", blank), "opportunities")
    assert _opps(db)["006Hu00000OOOO1IAA"] == ("Closed Won", 1200.0)
    # the base file's row (1 November) is still older than Tuesday's time kept with the record
    late = import_file(db, _write(tmp_path, "base.csv", BASE), "opportunities")
    assert late.written == 0
    assert _opps(db)["006Hu00000OOOO1IAA"] == ("Closed Won", 1200.0)


def test_a_record_twice_in_one_file_takes_its_latest_row(db: Database, tmp_path: Path) -> None:
    """Two runs' files joined: the later edit of deal 1 (listed first) is the record."""
    twice = (
        f"{HEAD},LastModifiedDate\n"
        "006Hu00000OOOO1IAA,Deal 1,001Hu00000AAAA1IAA,Negotiation,1500,2026-10-01,,false,"
        "false,false,2026-11-04T08:00:00.000Z\n"
        "006Hu00000OOOO1IAA,Deal 1,001Hu00000AAAA1IAA,Prospecting,1000,2026-10-01,,false,"
        "false,false,2026-11-03T08:00:00.000Z\n"
    )
    outcome = import_file(db, _write(tmp_path, "twice.csv", twice), "opportunities")
    assert _opps(db) == {"006Hu00000OOOO1IAA": ("Negotiation", 1500.0)}
    assert outcome.notes == (
        "1 row is an earlier edit of a record the file holds again with a later "
        "LastModifiedDate (e.g. Deal 1 (006Hu00000OOOO1IAA)), left out: the latest row of each "
        "is imported",
    )
    same = twice.replace("2026-11-03T08", "2026-11-05T08").replace("2026-11-04T08", "2026-11-05T08")
    with pytest.raises(DataError, match="duplicate"):
        import_file(db, _write(tmp_path, "same.csv", same), "opportunities")
