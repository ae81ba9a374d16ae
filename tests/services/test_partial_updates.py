"""Re-importing a file of a few columns updates the stored records by id: the columns the file
lacks keep their stored values — required ones (an account's name) and defaulted ones (a rep's
role) alike — while a row with a new id still needs every required field."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from terraplan.errors import DataError
from terraplan.io.table_source import parse_source
from terraplan.services.imports import import_file
from terraplan.services.source_imports import import_source
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _stored(db: Database, kind: str) -> dict[str, object]:
    with UnitOfWork(db) as uow:
        return {r.id: r for r in uow.records(kind).list()}


@pytest.fixture
def accounts(db: Database, tmp_path: Path) -> Database:
    text = (
        "Account ID,Account Name,Billing Zip/Postal Code,Industry,Potential\n"
        "A1,One,94107,Retail,10\nA2,Two,10001,Health,20\n"
    )
    import_file(db, _write(tmp_path, "accounts.csv", text), "accounts")
    return db


def test_ids_and_potentials_update_stored_accounts(accounts: Database, tmp_path: Path) -> None:
    outcome = import_file(
        accounts, _write(tmp_path, "p.csv", "Id,Potential\nA1,15\nA2,25\n"), "accounts"
    )
    assert outcome.written == 2 and outcome.report.ok
    stored = _stored(accounts, "accounts")
    assert [(a.name, a.postal_code, a.industry, a.potential) for a in stored.values()] == [  # type: ignore[attr-defined]
        ("One", "94107", "Retail", 15.0),
        ("Two", "10001", "Health", 25.0),
    ]


def test_a_new_id_without_the_required_column_is_refused(
    accounts: Database, tmp_path: Path
) -> None:
    path = _write(tmp_path, "p.csv", "Id,Potential\nA1,15\n A3 ,30\n")
    with pytest.raises(DataError) as refused:
        import_file(accounts, path, "accounts")
    [error] = refused.value.details["report"]["issues"]
    assert (error["row"], error["field"]) == (3, "name")
    assert error["reason"].startswith("is required for a new account (its id is not stored")
    assert _stored(accounts, "accounts")["A1"].potential == 10.0  # type: ignore[attr-defined]
    # skipping the bad row writes the update of the stored one
    outcome = import_file(accounts, path, "accounts", on_error="skip")
    assert outcome.written == 1
    assert set(_stored(accounts, "accounts")) == {"A1", "A2"}


def test_a_file_of_new_ids_only_still_misses_its_column(accounts: Database, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="required column 'name' is missing") as refused:
        import_file(accounts, _write(tmp_path, "p.csv", "Id,Potential\nA7,1\n"), "accounts")
    assert "none of the file's ids is stored yet" in str(refused.value)


def test_a_file_without_locations_keeps_stored_reps_home_bases_without_a_warning(
    db: Database, tmp_path: Path
) -> None:
    reps = "Id,Name,Home ZIP\nR1,Ann,94107\n"
    import_file(db, _write(tmp_path, "reps.csv", reps), "reps")
    outcome = import_file(db, _write(tmp_path, "left.csv", "Id,IsActive\nR1,false\n"), "reps")
    assert not any("home base" in w for w in outcome.report.warnings), outcome.report.warnings
    ann = _stored(db, "reps")["R1"]
    assert ann.home_latitude is not None and ann.active is False  # type: ignore[attr-defined]
    # a new rep in a file without locations has none: still said
    fresh = import_file(db, _write(tmp_path, "new.csv", "Id,Name\nR9,Ida\n"), "reps")
    assert any("rep R9 has no home base" in w for w in fresh.report.warnings)


def test_reps_keep_their_role_and_skills_when_a_file_sets_emails(
    db: Database, tmp_path: Path
) -> None:
    reps = (
        "Id,Name,Role,skills_industries,IsActive\nR1,Ann,Manager,Retail;Health,false\nR2,Bo,AE,,\n"
    )
    import_file(db, _write(tmp_path, "reps.csv", reps), "reps")
    import_file(db, _write(tmp_path, "emails.csv", "Id,Email\nR1,ann@x.com\n"), "reps")
    ann = _stored(db, "reps")["R1"]
    assert (ann.name, ann.email, ann.role.value, ann.skills_industries, ann.active) == (  # type: ignore[attr-defined]
        "Ann",
        "ann@x.com",
        "manager",
        ("Retail", "Health"),
        False,
    )


def test_sales_lines_and_opportunities_update_their_amounts(
    accounts: Database, tmp_path: Path
) -> None:
    lines = "Id,AccountId,Date,Amount\nL1,A1,2025-01-05,100\n"
    import_file(accounts, _write(tmp_path, "lines.csv", lines), "sales_lines")
    import_file(accounts, _write(tmp_path, "fix.csv", "Id,Amount\nL1,120\n"), "sales_lines")
    line = _stored(accounts, "sales_lines")["L1"]
    assert (line.account_id, str(line.date), line.amount) == ("A1", "2025-01-05", 120.0)  # type: ignore[attr-defined]
    opps = (
        "Id,AccountId,CreatedDate,StageName,Amount,CloseDate\n"
        "O1,A1,2025-01-10,Closed Won,500,2025-02-10\n"
    )
    import_file(accounts, _write(tmp_path, "opps.csv", opps), "opportunities")
    import_file(accounts, _write(tmp_path, "amounts.csv", "Id,Amount\nO1,550\n"), "opportunities")
    opp = _stored(accounts, "opportunities")["O1"]
    assert (opp.stage, opp.is_won, opp.is_closed, opp.amount) == ("Closed Won", True, True, 550.0)  # type: ignore[attr-defined]


def test_a_report_without_close_dates_updates_stored_opportunities_keeping_theirs(
    accounts: Database, tmp_path: Path
) -> None:
    # a report left without its Close Date column: the stored deals keep their close dates
    # (and stay wins with revenue); a new closed deal has none to keep and is refused
    full = (
        "Id,AccountId,CreatedDate,StageName,Amount,CloseDate\n"
        "O1,A1,2025-01-10,Prospecting,500,2025-06-30\n"
    )
    import_file(accounts, _write(tmp_path, "opps.csv", full), "opportunities")
    later = "Id,AccountId,CreatedDate,StageName,Amount\nO1,A1,2025-01-10,Closed Won,600\n"
    outcome = import_file(accounts, _write(tmp_path, "later.csv", later), "opportunities")
    assert outcome.written == 1
    opp = _stored(accounts, "opportunities")["O1"]
    assert (opp.is_won, str(opp.close_date), opp.amount) == (True, "2025-06-30", 600.0)  # type: ignore[attr-defined]
    new = later + "O2,A2,2025-01-10,Closed Lost,50\n"
    with pytest.raises(DataError, match="close-date column"):
        import_file(accounts, _write(tmp_path, "new.csv", new), "opportunities")
    assert set(_stored(accounts, "opportunities")) == {"O1"}


def test_a_database_table_updates_stored_accounts(accounts: Database, tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE acc (Id TEXT, Potential REAL)")
        connection.executemany("INSERT INTO acc VALUES (?, ?)", [("A1", 11.0), ("A2", 22.0)])
    source = parse_source(f"sqlite:///{path}?table=acc")
    assert source is not None
    outcome = import_source(accounts, source, "accounts", batch_rows=1)
    assert outcome.written == 2
    stored = _stored(accounts, "accounts")
    assert [(a.name, a.potential) for a in stored.values()] == [("One", 11.0), ("Two", 22.0)]  # type: ignore[attr-defined]
