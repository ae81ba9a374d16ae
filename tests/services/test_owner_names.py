"""Owner names imported before the reps resolve to rep ids when the reps come: files may come
in any order, and an owner left as a name would count as no rep for good."""

from __future__ import annotations

from pathlib import Path

import pytest

from terraplan.errors import DataError
from terraplan.services.imports import import_file
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _owners(db: Database, kind: str) -> dict[str, str | None]:
    with UnitOfWork(db) as uow:
        return {r.id: r.owner_id for r in uow.records(kind).list()}


ACCOUNTS = (
    "Account ID,Account Name,Billing Zip/Postal Code,Account Owner\n"
    "A1,One,94107,Alice West\nA2,Two,10001,  bob  EAST \nA3,Three,10001,Ann Lee\n"
    "A4,Four,10001,005Z\n"
)
REPS = "Id,Name\n005A,Alice West\n005B,Bob East\n005C,Ann Lee\n005D,Ann Lee\n"


def test_owner_names_resolve_when_the_reps_are_imported(db: Database, tmp_path: Path) -> None:
    first = import_file(db, _write(tmp_path, "accounts.csv", ACCOUNTS), "accounts")
    assert any("import reps to resolve" in w for w in first.report.warnings)
    opps = "Id,AccountId,CreatedDate,StageName,Amount,Opportunity Owner\nO1,A1,2025-01-02,New,5,Alice West\n"
    import_file(db, _write(tmp_path, "opps.csv", opps), "opportunities")
    outcome = import_file(db, _write(tmp_path, "reps.csv", REPS), "reps")
    assert _owners(db, "accounts") == {"A1": "005A", "A2": "005B", "A3": "Ann Lee", "A4": "005Z"}
    assert _owners(db, "opportunities") == {"O1": "005A"}
    assert outcome.report.details["owners_resolved"] == {"accounts": 2, "opportunities": 1}
    notes = [w for w in outcome.report.warnings if "owner" in w]
    assert notes == [
        "owners given by rep name or by a short Salesforce id before the reps were imported"
        " now name their rep: 2 accounts, 1 opportunity (e.g. Alice West -> 005A)",
        "1 account names an owner several reps share (e.g. Ann Lee: reps 005C, 005D): kept"
        " as written; give the rep's id",
    ]
    # the same reps again: nothing left to resolve, the shared name said again
    again = import_file(db, _write(tmp_path, "reps.csv", REPS), "reps")
    assert "owners_resolved" not in again.report.details
    assert len([w for w in again.report.warnings if "several reps share" in w]) == 1


def test_a_refused_rep_file_resolves_nothing(db: Database, tmp_path: Path) -> None:
    import_file(db, _write(tmp_path, "accounts.csv", ACCOUNTS), "accounts")
    bad = "Id,Name,Role\n005A,Alice West,rep\n005B,Bob East,astronaut\n"
    with pytest.raises(DataError):
        import_file(db, _write(tmp_path, "reps.csv", bad), "reps")
    assert _owners(db, "accounts")["A1"] == "Alice West"


def test_a_short_salesforce_owner_id_resolves_to_the_rep_imported_later(
    db: Database, tmp_path: Path
) -> None:
    """An account export gives OwnerId in 15 characters, the user export in 18: the same
    rep, whichever file came first (left as written, the rep's revenue was split in two)."""
    from terraplan.domain.salesforce_ids import suffix

    short = "0058Xy00002aaza"
    accounts = f"Id,Name,BillingPostalCode,OwnerId\nA1,One,94107,{short}\n"
    import_file(db, _write(tmp_path, "accounts.csv", accounts), "accounts")
    reps = f"Id,Name\n{short + suffix(short)},Ben Cho\n"
    outcome = import_file(db, _write(tmp_path, "reps.csv", reps), "reps")
    assert _owners(db, "accounts") == {"A1": short + suffix(short)}
    assert outcome.report.details["owners_resolved"] == {"accounts": 1}


def test_names_spelt_without_accents_or_apostrophes_resolve_when_the_reps_come(
    db: Database, tmp_path: Path
) -> None:
    # A Pipedrive export imported before the team list: "Sofia Martinez" and "Tom OConnor"
    # stayed names for good, and KPIs by rep showed them beside the reps they are
    organizations = (
        "Organization - ID,Organization - Name,Organization - Owner\n"
        "1,Acme,Sofia Martinez\n2,Beta,Tom OConnor\n3,Gamma,Dan ONeil\n"
    )
    import_file(db, _write(tmp_path, "orgs.csv", organizations), "accounts")
    team = "id,name\nR5,Sofía Martínez\nR4,Tom O'Connor\nR7,Dan O'Neil\nR8,Dan O’Neil\n"
    outcome = import_file(db, _write(tmp_path, "team.csv", team), "reps")
    assert _owners(db, "accounts") == {"1": "R5", "2": "R4", "3": "Dan ONeil"}
    assert outcome.report.details["owners_resolved"] == {"accounts": 2}
