"""A CRM delta naming only some columns (``Id, Name, LastModifiedDate``) keeps the custom
attributes it does not carry (README: columns missing from the file keep their stored
values): a rule on ``attributes.Tier__c`` must not lose the account after a rename."""

from __future__ import annotations

from pathlib import Path

from terraplan.services.imports import import_file
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

FIRST = (
    "Id,Name,BillingPostalCode,Tier__c,CreatedDate,LastModifiedDate\n"
    "001Hu00000AAAA1IAA,Strategic One,94107,Strategic,2025-01-01T00:00:00.000Z,"
    "2026-10-01T00:00:00.000Z\n"
    "001Hu00000AAAA2IAA,Plain Two,10001,Standard,2025-01-01T00:00:00.000Z,"
    "2026-10-01T00:00:00.000Z\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _attributes(db: Database) -> dict[str, dict[str, object]]:
    with UnitOfWork(db) as uow:
        return {a.id: dict(a.attributes or {}) for a in uow.records("accounts").list()}


def test_a_rename_delta_keeps_the_attributes_it_does_not_carry(
    db: Database, tmp_path: Path
) -> None:
    import_file(db, _write(tmp_path, "Account.csv", FIRST), "accounts")
    delta = (
        "Id,Name,LastModifiedDate\n001Hu00000AAAA1IAA,Strategic One Inc,2026-11-12T02:00:00.000Z\n"
    )
    import_file(db, _write(tmp_path, "Account_delta.csv", delta), "accounts")
    stored = _attributes(db)
    assert stored["001Hu00000AAAA1IAA"] == {
        "Tier__c": "Strategic",
        "CreatedDate": "2025-01-01T00:00:00.000Z",
        "LastModifiedDate": "2026-11-12T02:00:00.000Z",
    }
    assert stored["001Hu00000AAAA2IAA"]["Tier__c"] == "Standard"


def test_an_attribute_the_delta_carries_is_changed_and_a_blank_one_cleared(
    db: Database, tmp_path: Path
) -> None:
    import_file(db, _write(tmp_path, "Account.csv", FIRST), "accounts")
    delta = (
        "Id,Name,Tier__c,Région\n"
        "001Hu00000AAAA1IAA,Strategic One,,Île-de-France\n"
        "001Hu00000AAAA2IAA,Plain Two,Strategic,\n"
        "001Hu00000AAAA3IAA,New Three,Standard,Ouest\n"
    )
    import_file(db, _write(tmp_path, "delta.csv", delta), "accounts")
    stored = _attributes(db)
    one, two, three = (stored[f"001Hu00000AAAA{i}IAA"] for i in (1, 2, 3))
    assert one.get("Tier__c") is None and one["Région"] == "Île-de-France"
    assert one["CreatedDate"] == "2025-01-01T00:00:00.000Z"
    assert two["Tier__c"] == "Strategic" and two["LastModifiedDate"] == "2026-10-01T00:00:00.000Z"
    assert three == {"Tier__c": "Standard", "Région": "Ouest"}
