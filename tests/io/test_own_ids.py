"""A file's own ids: the two Salesforce forms of one id are one record (a duplicate within
the file, the stored record when its other form is stored); other ids are as written."""

from __future__ import annotations

from pathlib import Path

from terraplan.domain.salesforce_ids import suffix
from terraplan.io.loading import load_file
from terraplan.io.readers import read_table
from terraplan.io.validation import validate

ACME = "001Jh61FDii0GbD"
ACME18 = ACME + suffix(ACME)


def _csv(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "accounts.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_two_forms_of_one_id_are_a_duplicate(tmp_path: Path) -> None:
    path = _csv(tmp_path, ["Id,Name", f"{ACME18},Acme", f"{ACME},Acme", f"{ACME18},Acme"])
    report = load_file(path, "accounts", geocode=False).report
    assert [(i.row, i.value, i.reason) for i in report.errors] == [
        (
            3,
            ACME,
            f"duplicate id (first at row 2 as {ACME18}: one Salesforce record in its 15- and"
            " 18-character forms)",
        ),
        (4, ACME18, "duplicate id (first at row 2)"),
    ]


def test_ids_differing_in_case_or_of_other_systems_are_not_duplicates(tmp_path: Path) -> None:
    lines = [
        "Id,Name",
        f"{ACME},Acme",
        f"{ACME.lower()},Other",  # another 15-character Salesforce id
        "CUST00000000001,Customer",
        "CUST00000000001XYZ,Other CRM",  # 18 characters, not the suffix of the first 15
    ]
    result = load_file(_csv(tmp_path, lines), "accounts", geocode=False)
    assert result.report.ok and result.frame.height == 4


def test_a_row_naming_a_stored_id_in_the_other_form_takes_the_stored_id(tmp_path: Path) -> None:
    table = read_table(_csv(tmp_path, ["Id,Name", f"{ACME},Acme", "A2,Beta"]), "accounts")
    result = validate(table, geocode=False, stored_forms={ACME: ACME18})
    assert result.frame["id"].to_list() == [ACME18, "A2"]
    assert result.report.warnings == [
        f"1 row names the account by its 15-character Salesforce id in Id (e.g. {ACME} ->"
        f" {ACME18}): matched to the stored 18-character id, an update rather than a new account"
    ]
