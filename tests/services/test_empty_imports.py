"""A delta of a night without changes is a header and no rows: nothing to import, exit 0;
the same file imported to close what it leaves out is refused (it would close every account)."""

from __future__ import annotations

from pathlib import Path

import pytest

from terraplan.errors import DataError
from terraplan.services.imports import import_file
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

HEADER = "Id,Name,BillingPostalCode,OwnerId,IsDeleted,LastModifiedDate\n"


def test_a_header_only_delta_imports_nothing_and_says_so(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "Account.csv"
    path.write_text(HEADER + "001Hu00000AAAA1IAA,Acme,94107,,false,2026-11-01T02:00:00Z\n")
    import_file(db, path, "accounts")
    quiet = tmp_path / "Opportunity.csv"
    quiet.write_text("Id,AccountId,StageName,Amount,LastModifiedDate\r\n", encoding="utf-8-sig")
    outcome = import_file(db, quiet, "opportunities")
    assert outcome.written == 0
    assert outcome.report.rows_read == 0
    assert outcome.report.warnings == []  # the time column is read, not "ignored"
    assert outcome.notes == (
        "no opportunities imported, as the file has no data rows (a delta of a night without "
        "changes)",
    )


def test_a_header_only_full_export_closes_nothing(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "Account.csv"
    path.write_text(HEADER + "001Hu00000AAAA1IAA,Acme,94107,,false,2026-11-01T02:00:00Z\n")
    import_file(db, path, "accounts")
    path.write_text(HEADER)
    with pytest.raises(DataError, match="would close every open account"):
        import_file(db, path, "accounts", close_missing=True)
    import_file(db, path, "accounts")
    with UnitOfWork(db) as uow:
        assert [a.closed_on for a in uow.accounts.list()] == [None]
