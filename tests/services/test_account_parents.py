"""A region's account export names parent accounts of other regions: the accounts are
imported with their parent id, one note counts them, and a later import bringing the parent
links them (designs then keep them with its family)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from terraplan.errors import DataError
from terraplan.io.table_source import parse_source
from terraplan.planning.design_groups import parent_families
from terraplan.services.imports import import_file
from terraplan.services.source_imports import import_source
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

HEADER = "Id,Name,BillingPostalCode,BillingState,ParentId,OwnerId\r\n"
# The West: two clinics under an East health system (001Hs00000HQ001), one practice under a
# clinic, a clinic under a West system, a clinic of another missing system (15-char form of
# the 18-char id the East file will carry).
WEST = HEADER + (
    "001Hs00000CL001,Clinic Sacramento,95814-2201,CA,001Hs00000HQ001,005Hs00000U0001\r\n"
    "001Hs00000PR001,Practice Davis,95616,ca,001Hs00000CL001,005Hs00000U0001\r\n"
    '001Hs00000CL002,"Clinic Portland, Inc.",97201,OR,001Hs00000HQ001,005Hs00000U0002\r\n'
    "001Hs00000SY003,West System,98101,WA,,005Hs00000U0002\r\n"
    "001Hs00000CL003,Clinic Seattle,98104,WA,001Hs00000SY003,005Hs00000U0002\r\n"
    "001Hs00000CL004,Clinic Phoenix,85004,AZ,001Hs00000HQ002,005Hs00000U0001\r\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def _parents(db: Database) -> dict[str, str | None]:
    with UnitOfWork(db) as uow:
        return {a.id: a.parent_id for a in uow.accounts.list()}


def test_a_region_export_imports_accounts_whose_parent_is_not_loaded(
    db: Database, tmp_path: Path
) -> None:
    outcome = import_file(db, _write(tmp_path, "Account_West.csv", WEST), "accounts")
    assert (outcome.report.accepted, outcome.report.rejected, outcome.written) == (6, 0, 6)
    parents = _parents(db)
    assert parents["001Hs00000CL001"] == "001Hs00000HQ001"  # kept as written
    assert parents["001Hs00000PR001"] == "001Hs00000CL001"  # its child is not refused either
    assert parents["001Hs00000CL004"] == "001Hs00000HQ002"
    said = [w for w in outcome.report.warnings if "not loaded" in w]
    assert said == [
        "3 accounts name a parent account that is not loaded (2 parent accounts, e.g."
        " 001Hs00000HQ001): kept with the parent id, and linked to it when it is imported."
        " Until then `--keep-together parent` keeps the accounts under one missing parent"
        " together (a family named by its id), not yet with the rest of that parent's family"
    ]
    # the two clinics (and the practice below one) under the missing system are one family
    with UnitOfWork(db) as uow:
        families = parent_families(uow.accounts.list())
    assert families["001Hs00000CL002"] == families["001Hs00000PR001"] == "001Hs00000HQ001"


def test_the_parent_arriving_later_links_its_accounts(db: Database, tmp_path: Path) -> None:
    import_file(db, _write(tmp_path, "Account_West.csv", WEST), "accounts")
    # the East export gives HQ002 in its 18-character form (Data Loader)
    east = HEADER + (
        "001Hs00000HQ001,Summit Health,10001,NY,,005Hs00000U0003\r\n"
        "001Hs00000HQ002IAD,Desert Care,10002,NY,,005Hs00000U0003\r\n"
        "001Hs00000CL009,Clinic Queens,11101,NY,001Hs00000HQ001,005Hs00000U0003\r\n"
    )
    outcome = import_file(db, _write(tmp_path, "Account_East.csv", east), "accounts")
    parents = _parents(db)
    assert parents["001Hs00000CL004"] == "001Hs00000HQ002IAD"  # the stored form of the id
    assert parents["001Hs00000CL001"] == "001Hs00000HQ001"
    linked = [n for n in outcome.notes if "now have it" in n]
    assert linked == [
        "3 accounts stored earlier under a parent account that was not loaded now have it"
        " (e.g. Clinic Phoenix under Desert Care): linked, so designs keep them with its"
        " family and rules on parent_id take them along"
    ]
    with UnitOfWork(db) as uow:
        families = parent_families(uow.accounts.list())
    assert families["001Hs00000CL002"] == families["001Hs00000CL009"] == "Summit Health"
    assert families["001Hs00000CL004"] == "Desert Care"


def test_a_parent_on_a_refused_row_is_still_a_row_to_fix(db: Database, tmp_path: Path) -> None:
    text = HEADER + (
        "001Hs00000HQ001,,10001,NY,,005Hs00000U0003\r\n"  # no name: refused
        "001Hs00000CL001,Clinic Sacramento,95814,CA,001Hs00000HQ001,005Hs00000U0001\r\n"
    )
    with pytest.raises(DataError) as caught:
        import_file(db, _write(tmp_path, "Account.csv", text), "accounts")
    reasons = [(i["row"], i["reason"]) for i in caught.value.details["report"]["issues"]]
    assert reasons == [
        (2, "is required"),
        (3, "account '001Hs00000HQ001' is on row 2, which is refused: fix that row first"),
    ]


def test_a_parquet_folder_of_one_region_and_its_parents_later(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "west"
    folder.mkdir()
    pl.DataFrame(
        {
            "Id": ["C1", "C2", "P1"],
            "Name": ["Clinic A", "Clinic B", "Practice"],
            "ParentId": ["HQ", "HQ", "C1"],
        }
    ).write_parquet(folder / "part-0.parquet")
    source = parse_source(str(folder))
    assert source is not None
    outcome = import_source(db, source, "accounts", batch_rows=2)
    assert (outcome.report.accepted, outcome.report.rejected) == (3, 0)
    assert any(w.startswith("2 accounts name a parent account that is not loaded (parent HQ)")
               for w in outcome.report.warnings)  # fmt: skip
    east = tmp_path / "east"
    east.mkdir()
    pl.DataFrame({"Id": ["HQ"], "Name": ["Head Office"]}).write_parquet(east / "p.parquet")
    source = parse_source(str(east))
    assert source is not None
    later = import_source(db, source, "accounts")
    assert any(n.startswith("2 accounts stored earlier") and "Clinic A under Head Office" in n
               for n in later.notes)  # fmt: skip
