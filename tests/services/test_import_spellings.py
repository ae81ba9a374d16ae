"""An import writes segments and industries as most stored accounts spell them, so that the
KPIs (which group by the stored values, in-process and in the warehouse SQL) show one row."""

from __future__ import annotations

from pathlib import Path

from terraplan.services.imports import import_file
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_new_rows_take_the_stored_spelling(db: Database, tmp_path: Path) -> None:
    book = "id,name,segment,industry\n" + "".join(
        f"A{i},Acme {i},Enterprise,Health Care\n" for i in range(5)
    )
    import_file(db, _write(tmp_path, "book.csv", book), "accounts", geocoder=None)
    messy = (
        "id,name,segment,industry,customer_type\n"
        "N1,New 1,ENTERPRISE,HEALTH CARE,Partner\n"
        "N2,New 2,enterprise,health care,partner\n"
        "N3,New 3,enterprise,Retail,PARTNER\n"
    )
    outcome = import_file(db, _write(tmp_path, "new.csv", messy), "accounts")
    warnings = outcome.report.warnings
    assert any(w.startswith("segment: 3 rows written as most accounts spell") for w in warnings)
    assert any(w.startswith("industry: 2 rows written") for w in warnings)
    # no stored customer type: the file's rows decide (a tie: the first in sort order)
    assert any(w.startswith("customer type: 2 rows written") for w in warnings)
    with UnitOfWork(db) as uow:
        accounts = uow.accounts.list()
    assert {a.segment for a in accounts} == {"Enterprise"}
    assert {a.industry for a in accounts} == {"Health Care", "Retail"}
    assert {a.customer_type for a in accounts if a.customer_type} == {"PARTNER"}
