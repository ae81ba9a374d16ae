"""An opportunity file sent again without the mapping that renamed its stages the first time
(German stage names, custom stages) would turn won and lost deals open with exit 0: refused
naming the stored mapping, or a warning when no stored mapping explains it."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from terraplan.errors import DataError
from terraplan.io.table_source import parse_source
from terraplan.services.import_mappings import save_mapping, stored_mapping
from terraplan.services.imports import import_file
from terraplan.services.source_imports import import_source
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

ACCOUNTS = "Id,Name,BillingPostalCode\r\n001A,Acme GmbH,10115\r\n001B,Beta AG,60601\r\n"
HEADER = "Id,AccountId,StageName,Amount,CreatedDate,CloseDate,LastModifiedDate\r\n"
MONDAY = HEADER + (
    '006A,001A,Gewonnen,"12,500.00",2026-01-05,2026-03-31,2026-11-02T09:00:00.000Z\r\n'
    "006B,001A,Verloren,8000,2026-02-01,2026-04-15,2026-11-02T09:00:00.000Z\r\n"
    "006C,001B,Verhandlung,5000,2026-03-01,2026-12-20,2026-11-02T09:00:00.000Z\r\n"
    "006D,001B,  gewonnen ,700,2026-03-02,2026-05-20,2026-11-02T09:00:00.000Z\r\n"
)
# a week later: the same deals edited (a later LastModifiedDate), one lost deal reopened
NEXT = HEADER + (
    '006A,001A,Gewonnen,"12,500.00",2026-01-05,2026-03-31,2026-11-09T09:00:00.000Z\r\n'
    "006B,001A,Verhandlung,8000,2026-02-01,2026-12-15,2026-11-09T09:00:00.000Z\r\n"
    "006C,001B,Verhandlung,5500,2026-03-01,2026-12-20,2026-11-09T09:00:00.000Z\r\n"
    "006D,001B,GEWONNEN,700,2026-03-02,2026-05-20,2026-11-09T09:00:00.000Z\r\n"
)
GERMAN = "values:\n  StageName:\n    Gewonnen: Closed Won\n    Verloren: Closed Lost\n"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _readings(db: Database) -> dict[str, tuple[str, bool, bool]]:
    with UnitOfWork(db) as uow:
        return {o.id: (o.stage, o.is_closed, o.is_won) for o in uow.opportunities.list()}


@pytest.fixture
def german(db: Database, tmp_path: Path) -> Database:
    import_file(db, _write(tmp_path, "Account.csv", ACCOUNTS), "accounts")
    save_mapping(db, "de-opps", GERMAN, by=None)
    monday = _write(tmp_path, "Opportunity.csv", MONDAY)
    import_file(db, monday, "opportunities", mapping=stored_mapping(db, "de-opps"))
    return db


def test_the_same_file_without_its_stored_mapping_is_refused(
    german: Database, tmp_path: Path
) -> None:
    before = _readings(german)
    assert before["006A"] == ("Closed Won", True, True)
    assert before["006D"] == ("Closed Won", True, True)
    with pytest.raises(DataError) as caught:
        import_file(german, _write(tmp_path, "Opportunity_next.csv", NEXT), "opportunities")
    message = caught.value.message
    assert message.startswith(
        f"{tmp_path / 'Opportunity_next.csv'}: read without a mapping, 2 opportunities stored"
        " as won or lost would change (2 won read as open) from stages no stored opportunity"
        " has ('GEWONNEN': 1, 'Gewonnen': 1): an earlier import renamed these stages with the"
        " stored mapping 'de-opps'"
    )
    assert "Import with --mapping-name de-opps (API: ?mapping=de-opps)" in message
    assert message.endswith("nothing was imported")
    assert caught.value.details["mappings"] == ["de-opps"]
    assert _readings(german) == before  # nothing written: 006C's amount is still 5000
    # with the mapping: the won deals stay won, the reopened deal (a stage held) is open
    outcome = import_file(
        german,
        _write(tmp_path, "Opportunity_next.csv", NEXT),
        "opportunities",
        mapping=stored_mapping(german, "de-opps"),
    )
    assert outcome.written == 4
    after = _readings(german)
    assert after["006A"] == after["006D"] == ("Closed Won", True, True)
    assert after["006B"] == ("Verhandlung", False, False)


def test_a_mapping_file_not_stored_gives_a_warning(db: Database, tmp_path: Path) -> None:
    import_file(db, _write(tmp_path, "Account.csv", ACCOUNTS), "accounts")
    mapping = _write(tmp_path, "de.yaml", GERMAN)
    import_file(db, _write(tmp_path, "Opportunity.csv", MONDAY), "opportunities", mapping=mapping)
    outcome = import_file(db, _write(tmp_path, "next.csv", NEXT), "opportunities")
    said = [w for w in outcome.report.warnings if "stored as won or lost" in w]
    assert said == [
        "read without a mapping, 2 opportunities stored as won or lost changed (2 won read"
        " as open) from stages no stored opportunity has ('GEWONNEN': 1, 'Gewonnen': 1): if"
        " an earlier import renamed these stages with a mapping file's values, import this"
        " file again with it and --reload (save it with `terraplan mappings save` for the"
        " nightly job)"
    ]


def test_a_deal_reopened_into_a_stage_stored_deals_have_is_no_misreading(
    german: Database, tmp_path: Path
) -> None:
    text = HEADER + "006B,001A,Verhandlung,8000,2026-02-01,2026-12-15,2026-11-09T09:00:00Z\r\n"
    outcome = import_file(german, _write(tmp_path, "reopened.csv", text), "opportunities")
    assert not [w for w in outcome.report.warnings if "stored as won or lost" in w]
    assert _readings(german)["006B"] == ("Verhandlung", False, False)


def test_a_table_of_custom_stages_without_its_mapping_is_refused(
    db: Database, tmp_path: Path
) -> None:
    import_file(db, _write(tmp_path, "Account.csv", ACCOUNTS), "accounts")
    save_mapping(db, "custom", "values:\n  stage:\n    Signed: Closed Won\n", by=None)
    frame = pl.DataFrame(
        {
            "Id": ["006S", "006T"],
            "AccountId": ["001A", "001B"],
            "StageName": ["Signed", "Demo"],
            "Amount": [900.0, 100.0],
            "CreatedDate": ["2026-01-05", "2026-01-06"],
            "CloseDate": ["2026-02-05", "2026-09-01"],
        }
    )
    folder = tmp_path / "deals"
    folder.mkdir()
    frame.write_parquet(folder / "part-0.parquet")
    source = parse_source(str(folder))
    assert source is not None
    import_source(db, source, "opportunities", mapping=stored_mapping(db, "custom"))
    assert _readings(db)["006S"] == ("Closed Won", True, True)
    with pytest.raises(DataError, match="--mapping-name custom"):
        import_source(db, source, "opportunities")
    assert _readings(db)["006S"] == ("Closed Won", True, True)


def test_a_custom_won_stage_read_from_iswon_before_is_not_read_as_open(
    db: Database, tmp_path: Path
) -> None:
    # Data Loader exports IsWon: 'Contract Signed' is a won stage of this org; a report sent
    # later has no IsWon column, and a new deal in that stage would read as open too
    import_file(db, _write(tmp_path, "Account.csv", ACCOUNTS), "accounts")
    loader = (
        "Id,AccountId,StageName,Amount,CreatedDate,CloseDate,IsClosed,IsWon\r\n"
        "006A,001A,Contract Signed,1000,2026-01-05,2026-03-31,true,true\r\n"
        "006B,001B,Contract Signed,2000,2026-01-05,2026-04-30,true,true\r\n"
        "006C,001B,Discovery,500,2026-02-05,,false,false\r\n"
    )
    import_file(db, _write(tmp_path, "Opportunity.csv", loader), "opportunities")
    report = (
        "Opportunity ID,Account ID,Stage,Amount,Created Date,Close Date\r\n"
        "006A,001A,Contract Signed,1000,2026-01-05,2026-03-31\r\n"
        "006D,001A,contract signed,300,2026-06-01,2026-06-30\r\n"
        "006E,001A,Contract Signed,400,2026-06-01,2026-07-30\r\n"
        "006C,001B,Discovery,600,2026-02-05,\r\n"
    )
    with pytest.raises(DataError) as caught:
        import_file(db, _write(tmp_path, "report.csv", report), "opportunities")
    message = caught.value.message
    assert (
        "read without a mapping and without IsWon or IsClosed columns, 3 opportunities would"
        " read their stage otherwise than every stored opportunity with that stage ('Contract"
        " Signed': 2 read as open, stored as won on 2, 'contract signed': 1 read as open,"
        " stored as won on 2 (as 'Contract Signed'))"
    ) in message
    assert "(Contract Signed: Closed Won); nothing was imported" in message
    assert set(_readings(db)) == {"006A", "006B", "006C"}


def test_a_custom_won_stage_typed_otherwise_matches_by_its_words(
    db: Database, tmp_path: Path
) -> None:
    # the import reads a stage by its words (case, spaces, punctuation aside): a report
    # spelling the stored 'Contract Signed' otherwise is the same stage, and would reopen it
    import_file(db, _write(tmp_path, "Account.csv", ACCOUNTS), "accounts")
    loader = (
        "Id,AccountId,StageName,Amount,CreatedDate,CloseDate,IsClosed,IsWon\r\n"
        "006A,001A,Contract Signed,1000,2026-01-05,2026-03-31,true,true\r\n"
        "006B,001B,Contract Signed,2000,2026-01-05,2026-04-30,true,true\r\n"
        "006F,001B,Contract Signed,2500,2026-01-05,2026-04-30,true,true\r\n"
        "006C,001B,Discovery,500,2026-02-05,,false,false\r\n"
    )
    import_file(db, _write(tmp_path, "Opportunity.csv", loader), "opportunities")
    report = (
        "Opportunity ID,Account ID,Stage,Amount,Created Date,Close Date\r\n"
        "006A,001A,contract signed,1000,2026-01-05,2026-03-31\r\n"
        '006B,001B,"  CONTRACT   SIGNED ",2000,2026-01-05,2026-04-30\r\n'
        "006F,001B,Contract-Signed,2500,2026-01-05,2026-04-30\r\n"
        "006C,001B,Discovery,600,2026-02-05,\r\n"
    )
    with pytest.raises(DataError) as caught:
        import_file(db, _write(tmp_path, "report.csv", report), "opportunities")
    message = caught.value.message
    assert "3 opportunities would read their stage otherwise" in message
    assert "'contract signed': 1 read as open, stored as won on 3 (as 'Contract Signed')" in (
        message
    )
    assert "'Contract-Signed': 1 read as open" in message
    assert {o: r[2] for o, r in _readings(db).items()} == {
        "006A": True,
        "006B": True,
        "006F": True,
        "006C": False,
    }
