"""Import fixes: which of two columns of one field is read, role words spelt with dots or
spaces, the sheet an XLSX import read, plurals in import messages and YAML mapping errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from terraplan.errors import DataError
from terraplan.io import load_file
from terraplan.io.mapping import load_mapping
from terraplan.io.readers import read_table
from terraplan.io.report import ImportReport, counted

# -- F3: the column named as the field wins over its other names -----------------------


def test_the_column_named_as_the_field_beats_a_custom_field_of_its_name(
    make_file: Any,
) -> None:
    text = "Id,Name,ZIP,postal_code,Potential__c,potential\nPR1,Prio Test,94107,10001,111,222\n"
    result = load_file(make_file(text), "accounts", geocode=False)
    assert result.report.ok, result.report.summary()
    assert result.frame["potential"].to_list() == [222.0]
    assert result.frame["postal_code"].to_list() == ["10001"]
    assert (
        "columns 'potential' and 'Potential__c' both give field 'potential': 'potential' is"
        " read (named as the field), 'Potential__c' is ignored" in result.report.warnings
    )
    assert not any("also maps to" in w for w in result.report.warnings)


@pytest.mark.parametrize(
    ("header", "named"),
    [
        ("potential,Potential__c", "potential"),
        ("Potential__c,potential", "potential"),
        ("Potential,Potential__c", "Potential"),
        ("Potential__c,Potential", "Potential"),
        ("Potential__c,POTENTIAL", "POTENTIAL"),
        ("Potential,potential", "potential"),
    ],
)
def test_the_field_s_own_name_wins_wherever_it_stands(
    make_file: Any, header: str, named: str
) -> None:
    table = read_table(make_file(f"id,name,{header}\nA1,X,1,2\n"), "accounts")
    assert table.columns.fields["potential"] == named


def test_a_spelling_with_other_separators_beats_an_alias_and_a_custom_field(
    make_file: Any,
) -> None:
    table = read_table(
        make_file("id,name,ZIP,Postal_Code__c,Postal Code\nA1,X,1,2,3\n"), "accounts"
    )
    assert table.columns.fields["postal_code"] == "Postal Code"


def test_a_column_the_mapping_names_still_wins(make_file: Any) -> None:
    path = make_file("id,name,potential,Score__c\nA1,X,1,2\n")
    table = read_table(path, "accounts", mapping={"Score__c": "potential"})
    assert table.columns.fields["potential"] == "Score__c"
    assert (
        "columns 'Score__c' and 'potential' both give field 'potential': 'Score__c' is read"
        " (the mapping names it), 'potential' is ignored" in table.warnings
    )


def test_a_column_the_mapping_names_as_written_beats_one_spelt_like_it(
    make_file: Any,
) -> None:
    # both headers match the mapping's key once normalised; the one written as it wins
    path = make_file("id,name,potential,Potential__c\nA1,X,1,2\n")
    table = read_table(path, "accounts", mapping={"Potential__c": "potential"})
    assert table.columns.fields["potential"] == "Potential__c"


# -- F7: role words with dots, spaces and hyphens -----------------------------------------


@pytest.mark.parametrize(
    ("title", "role"),
    [
        ("S.D.R.", "sales_development"),
        ("s-d-r", "sales_development"),
        ("S D R", "sales_development"),
        ("A.E.", "account_executive"),
        ("Sr. A.E.", "account_executive"),
        ("V.P. Sales", "director"),
        ("B.D.R", "sales_development"),
        ("R.V.P.", "director"),
        ("Account-Executive", "account_executive"),
        ("SDR", "sales_development"),
        ("Sr. AE", "account_executive"),
    ],
)
def test_role_words_ignore_dots_spaces_and_hyphens(make_file: Any, title: str, role: str) -> None:
    result = load_file(make_file(f'Id,Name,Title\nR1,Ann,"{title}"\n'), "reps", geocode=False)
    assert result.report.ok, result.report.summary()
    assert result.frame["role"].to_list() == [role]


def test_an_unknown_role_is_still_refused(make_file: Any) -> None:
    result = load_file(make_file("Id,Name,Title\nR1,Ann,Chief Poobah\n"), "reps", geocode=False)
    assert not result.report.ok
    assert "unknown role" in result.report.errors[0].reason


# -- F11: the wrong sheet of a workbook ---------------------------------------------------


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_a_summary_sheet_first_names_the_sheet_read_and_the_one_to_pick(
    tmp_path: Path,
) -> None:
    path = _workbook(
        tmp_path / "accounts.xlsx",
        {
            "Summary": [["Report"], ["Accounts export"], ["generated 2026-12-01"]],
            "Accounts": [["Id", "Name", "BillingPostalCode"], ["A1", "Acme", "94107"]],
        },
    )
    result = load_file(path, "accounts", geocode=False)
    assert not result.report.ok
    first = result.report.errors[0]
    assert first.field == "id"
    assert (
        "read sheet 'Summary'; the workbook also has sheet 'Accounts', which has the columns:"
        " use --sheet Accounts" in first.reason
    )
    assert "title above the header" not in first.reason
    assert result.report.details["sheet"] == "Summary"
    picked = load_file(path, "accounts", geocode=False, sheet="Accounts")
    assert picked.report.ok and picked.report.details["sheet"] == "Accounts"


def test_the_sheet_holding_the_columns_is_named_among_several(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "book.xlsx",
        {
            "Notes": [["read me"]],
            "Pivot": [["Region", "Total"], ["West", 3]],
            "Team Q3": [["User ID", "Full Name", "Title"], ["R1", "Ann", "AE"]],
        },
    )
    result = load_file(path, "reps", geocode=False)
    reason = result.report.errors[0].reason
    assert (
        "read sheet 'Notes'; the workbook also has sheets 'Pivot', 'Team Q3'; 'Team Q3' has"
        " the columns: use --sheet 'Team Q3'" in reason
    )


def test_no_sheet_with_the_columns_lists_the_sheets(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "book.xlsx",
        {"Data": [["Region", "Total"], ["West", 3]], "Other": [["A", "B"], [1, 2]]},
    )
    result = load_file(path, "accounts", geocode=False)
    reason = result.report.errors[0].reason
    assert (
        "read sheet 'Data'; the workbook also has sheet 'Other'; name the sheet holding the"
        " data with --sheet NAME" in reason
    )


def test_a_one_sheet_workbook_keeps_the_title_row_hint(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "one.xlsx", {"Data": [["Accounts report"], ["Id", "Name"]]})
    result = load_file(path, "accounts", geocode=False)
    reason = result.report.errors[0].reason
    assert "is a title above the header?" in reason and "--sheet" not in reason


# -- F16: plurals and the YAML mapping error ---------------------------------------------


def test_counted_says_one_in_the_singular() -> None:
    assert counted(1, "row") == "1 row"
    assert counted(1_234, "row") == "1,234 rows"
    assert counted(1, "opportunity", "opportunities") == "1 opportunity"
    assert counted(0, "opportunity", "opportunities") == "0 opportunities"


def test_the_report_summary_says_one_row_read() -> None:
    report = ImportReport(file="a.csv", kind="accounts", rows_read=1, accepted=1)
    assert report.summary().startswith("a.csv (accounts): 1 row read, 1 accepted")


def test_one_opportunity_read_from_the_stage_is_said_in_the_singular(make_file: Any) -> None:
    text = (
        "Id,AccountId,CreatedDate,Amount,Stage,CloseDate\n"
        "O1,A1,2025-01-02,10,Abandoned,2025-02-01\nO2,A1,2025-01-02,10,Closed Won,2025-02-01\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids={"accounts": ["A1"]})
    warnings = result.report.warnings
    assert any(w.startswith("1 opportunity read as closed from the stage") for w in warnings)
    assert "1 opportunity read as won from the stage (e.g. 'Closed Won': 1)" in warnings
    assert any(w.startswith("1 opportunity read as open from the stage") for w in warnings)
    assert not any(w.startswith("1 opportunities") for w in warnings)


def test_a_yaml_mapping_error_names_the_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "my-columns.yaml"
    path.write_text(
        "columns:\n  Employee #: id\n  Full Name: name\n  Job Title: role\n", encoding="utf-8"
    )
    with pytest.raises(DataError) as refused:
        load_mapping(path)
    message = refused.value.message
    assert message.startswith(f"{path}, line 3, column 3: cannot read the column mapping")
    assert "<unicode string>" not in message
    assert "line 2 has a '#' outside quotes" in message
    assert 'quote the column name ("Employee #": id)' in message
    assert message.endswith(")") and ", col)" not in message
    assert (refused.value.details["line"], refused.value.details["column"]) == (3, 3)


def test_a_yaml_error_without_a_hash_names_its_place(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("columns:\n  Id: id\n   Name: name\n", encoding="utf-8")
    with pytest.raises(DataError) as refused:
        load_mapping(path)
    message = refused.value.message
    assert message == (
        f"{path}, line 3, column 8: cannot read the column mapping"
        " (not valid YAML: mapping values are not allowed here)"
    )
