"""A large, messy Salesforce export through the import service: ZIP+4 codes that lost their
zero are kept with their opportunities, owners the user file left out are said to be so, counts
are in words that agree with them, and a ZIP design names the accounts it cannot hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from terraplan.domain import GeoKind, GeoUnit
from terraplan.errors import DataError
from terraplan.services.design import with_account_metrics
from terraplan.services.imports import ImportOutcome, import_file
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


ACCOUNTS = (
    "Id,Name,BillingPostalCode,BillingCountry,OwnerId,Potential__c\r\n"
    '"001A00000000001","Boston One","2134-1234","US","005A",100\r\n'
    '"001A00000000002","Boston Two","2134","United States","005GONE",100\r\n'
    '"001A00000000003","Boston Three","02134-1234","","005GONE",100\r\n'
    '"001A00000000004","Box","35201","US","005A",50\r\n'
    '"001A00000000005","Maple Co","M5V 3L9","Canada","005A",70\r\n'
)
OPPS = (
    "Id,AccountId,CreatedDate,StageName,Amount,CloseDate\r\n"
    "006A,001A00000000001,2025-01-02,Closed Won,500,2025-02-01\r\n"
)


def test_a_zip_plus_4_without_its_zero_keeps_the_account_and_its_opportunities(
    db: Database, tmp_path: Path
) -> None:
    _write(tmp_path, "User.csv", "Id,Name\n005A,Ann\n005B,Bob\n")
    import_file(db, tmp_path / "User.csv", "reps")
    outcome = import_file(db, _write(tmp_path, "Account.csv", ACCOUNTS), "accounts")
    assert outcome.report.rejected == 0 and outcome.written == 5
    with UnitOfWork(db) as uow:
        boston = uow.accounts.get("001A00000000001")
    assert (boston.postal_code, boston.state, boston.county_fips) == ("02134", "MA", "25025")
    opps = import_file(db, _write(tmp_path, "Opportunity.csv", OPPS), "opportunities")
    assert opps.written == 1 and opps.report.rejected == 0
    # the reps are stored: the departed owner is not "a rep to import" but one they left out
    owners = [w for w in outcome.report.warnings if "owner" in w]
    assert owners == [
        "2 accounts name an owner that is not among the 2 stored reps (1 distinct owner, e.g. "
        "005GONE): kept; import it as a rep (a user file of active users leaves out those who "
        "left) or map it to a stored rep (mapping file: values: {owner_id: {OLD_ID: REP_ID}})"
    ]


def test_a_zip_design_names_the_accounts_its_units_cannot_hold(
    db: Database, tmp_path: Path
) -> None:
    import_file(db, _write(tmp_path, "Account.csv", ACCOUNTS), "accounts")
    units = [
        GeoUnit("02134", GeoKind.ZIP, "02134 Allston", 42.35, -71.13, "MA", "25025"),
        GeoUnit("02135", GeoKind.ZIP, "02135 Brighton", 42.35, -71.15, "MA", "25025"),
    ]
    with UnitOfWork(db) as uow:
        summed, notes = with_account_metrics(units, uow, ["count"])
    assert [u.attributes["count"] for u in summed] == [3.0, 0.0]
    # a design of Massachusetts: the Alabama PO-Box and the Canadian account are not its own
    assert notes == []
    alabama = [GeoUnit("35203", GeoKind.ZIP, "35203 Birmingham", 33.5, -86.8, "AL", "01073")]
    with UnitOfWork(db) as uow:
        _, notes = with_account_metrics(alabama, uow, ["count"])
    assert len(notes) == 1 and notes[0].startswith(
        "1 account is in none of the design's ZIP units (at PO-Box ZIPs) and is left out of "
        "the design: Box (ZIP 35201 is a PO-Box ZIP, not one of the design's units) "
        "(potential 50)"
    )


def test_a_refused_file_counts_in_words(db: Database, tmp_path: Path) -> None:
    text = "Id,Name,BillingPostalCode\n" + "".join(f"A{i},N{i},94107\n" for i in range(1500))
    text += "B1,Bad,ABCDE\n"
    with pytest.raises(DataError) as caught:
        import_file(db, _write(tmp_path, "big.csv", text), "accounts")
    message = str(caught.value)
    assert message.startswith("1 of 1,501 rows of ")
    assert " is invalid, first: " in message
    assert message.endswith("(use --on-error skip to import the 1,500 valid rows)")
    one = "Id,Name,BillingPostalCode\nB1,Bad,ABCDE\nA1,Ok,94107\n"
    with pytest.raises(DataError, match=r"import the 1 valid row\)$"):
        import_file(db, _write(tmp_path, "one.csv", one), "accounts")


def test_one_absent_account_is_said_in_the_singular() -> None:
    outcome = ImportOutcome(
        report=None,  # type: ignore[arg-type]
        written=3,
        on_error="abort",
        new=0,
        absent=1,
        absent_sample=("W5",),
    )
    assert outcome.absent_note("accounts") == (
        "1 stored account is not in this file (e.g. W5); it is kept as it was, and still "
        "counts in designs, balance and KPIs"
    )
    assert ImportOutcome(None, 3, "abort", 0, 2, ("W5", "W6")).absent_note(  # type: ignore[arg-type]
        "opportunities"
    ) == (
        "2 stored opportunities are not in this file (e.g. W5, W6); they are kept as they "
        "were, and still count in designs, balance and KPIs"
    )
