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
    assert any(
        w.startswith("segment: 3 rows written as the stored records spell") for w in warnings
    )
    assert any(w.startswith("industry: 2 rows written") for w in warnings)
    # no stored customer type: the file's rows decide (a tie: the first in sort order)
    assert any(w.startswith("customer type: 2 rows written") for w in warnings)
    with UnitOfWork(db) as uow:
        accounts = uow.accounts.list()
    assert {a.segment for a in accounts} == {"Enterprise"}
    assert {a.industry for a in accounts} == {"Health Care", "Retail"}
    assert {a.customer_type for a in accounts if a.customer_type} == {"PARTNER"}


def test_a_file_spelling_most_rows_otherwise_takes_the_stored_spelling(
    db: Database, tmp_path: Path
) -> None:
    """Twenty new accounts spelled ENTERPRISE beside five stored as Enterprise: the file was
    written as ENTERPRISE (its majority) and the five stored accounts, not in the file, stayed
    Enterprise: KPIs by segment showed two rows again."""
    book = "id,name,segment\n" + "".join(f"A{i},Acme {i},Enterprise\n" for i in range(5))
    import_file(db, _write(tmp_path, "book.csv", book), "accounts", geocoder=None)
    loud = "id,name,segment\n" + "".join(f"N{i},New {i},ENTERPRISE\n" for i in range(20))
    outcome = import_file(db, _write(tmp_path, "loud.csv", loud), "accounts", geocoder=None)
    assert any(
        w.startswith("segment: 20 rows written as the stored records spell the value")
        for w in outcome.report.warnings
    ), outcome.report.warnings
    with UnitOfWork(db) as uow:
        assert {a.segment for a in uow.accounts.list()} == {"Enterprise"}


def test_an_accounts_file_takes_the_industry_stored_leads_spell(
    db: Database, tmp_path: Path
) -> None:
    leads = "id,name,company,industry,created_date\n" + "".join(
        f"L{i},Lead {i},Co {i},Biotech,2026-01-0{i + 1}\n" for i in range(3)
    )
    import_file(db, _write(tmp_path, "leads.csv", leads), "leads", geocoder=None)
    book = "id,name,industry\nA1,Acme,BIOTECH\nA2,Beta,biotech\n"
    import_file(db, _write(tmp_path, "book.csv", book), "accounts", geocoder=None)
    with UnitOfWork(db) as uow:
        assert {a.industry for a in uow.accounts.list()} == {"Biotech"}
