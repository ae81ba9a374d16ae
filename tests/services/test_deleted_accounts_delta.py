"""A nightly Salesforce delta whose deleted accounts carry only their id (IsDeleted true, Name
and address blank, as a queryAll export of recycle-bin rows gives them): a deletion needs only
the id. The whole delta was refused ("Name is required", one error per deleted row)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import TerraplanCli

from terraplan.services.imports import import_file
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

FULL = (
    "Id,Name,BillingPostalCode,BillingState,Industry\n"
    "001Hu00000AAAA1IAA,Golden Gate Inc,94107-1234,California,Retail\n"
    "001Hu00000AAAA2IAA,Portland Mills,97201,OR,Manufacturing\n"
    "001Hu00000AAAA3IAA,Bay Bakery,94110,CA,Retail\n"
)
DELTA = (
    "Id,Name,BillingPostalCode,BillingState,Industry,IsDeleted,LastModifiedDate\n"
    "001Hu00000AAAA1IAA,,,,,TRUE,2026-12-07T02:00:00.000+0000\n"
    "001Hu00000AAAA2IAA,Portland Mills,97202,OR,Technology,false,2026-12-07T02:00:00.000+0000\n"
    "001Hu00000AAAA9IAA,  ,,,,1,2026-12-07T02:00:00.000+0000\n"
    "001Hu00000AAAA3IAA,,,,,true,2026-12-07T02:00:00.000+0000\n"
)


def _accounts(db: Database) -> dict[str, tuple[str, str | None, bool]]:
    with UnitOfWork(db) as uow:
        return {a.id: (a.name, a.postal_code, a.closed_on is not None) for a in uow.accounts.list()}


def test_a_deleted_account_needs_only_its_id(db: Database, tmp_path: Path) -> None:
    (tmp_path / "full.csv").write_text(FULL, encoding="utf-8")
    (tmp_path / "delta.csv").write_text(DELTA, encoding="utf-8")
    import_file(db, tmp_path / "full.csv", "accounts")
    outcome = import_file(db, tmp_path / "delta.csv", "accounts")
    assert outcome.closed == 2
    stored = _accounts(db)
    # closed, with the stored name and address kept (the blank cells are not written)
    assert stored["001Hu00000AAAA1IAA"] == ("Golden Gate Inc", "94107", True)
    assert stored["001Hu00000AAAA3IAA"][0] == "Bay Bakery" and stored["001Hu00000AAAA3IAA"][2]
    assert stored["001Hu00000AAAA2IAA"] == ("Portland Mills", "97202", False)
    # a deleted id no import stored: nothing to close, left out and said
    assert "001Hu00000AAAA9IAA" not in stored
    assert any("nothing to close" in w for w in outcome.report.warnings)
    assert outcome.report.rejected == 0


def test_the_command_imports_the_delta(tmp_path: Path, terraplan_cli: TerraplanCli) -> None:
    (tmp_path / "full.csv").write_text(FULL, encoding="utf-8")
    (tmp_path / "delta.csv").write_text(DELTA, encoding="utf-8")
    assert terraplan_cli("import", "accounts", "full.csv").returncode == 0
    done = terraplan_cli("import", "accounts", "delta.csv")
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stderr.split())
    assert "2 account(s) closed" in said and "Golden Gate Inc" in said
    assert "1 account(s) flagged deleted in the CRM that no import stored left out" in said
