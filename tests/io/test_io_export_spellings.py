"""Spellings real CRM exports use: id column names, two-digit years, US date-times,
9-digit ZIPs without a dash, repeated headers.

Files are built in code; a behaviour runs on CSV, XLSX and Parquet (text cells) where the
format can carry it.
"""

from __future__ import annotations

from typing import Any

import pytest

from terraplan.io import iter_records, load_file

FORMATS = ["csv", "xlsx", "parquet"]


def _records(result: Any) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in iter_records(result.frame)}


# --- id columns ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "Line ID",
        "Line Item ID",
        "Opportunity Line Item ID",
        "OpportunityLineItemId",
        "Order Item ID",
        "Invoice Line ID",
        "Record ID",
    ],
)
def test_sales_line_id_columns_of_exports_are_recognised(make_file: Any, header: str) -> None:
    text = f"{header},Account ID,Date,Amount\nL1,A1,2025-03-05,100\n"
    result = load_file(make_file(text), "sales_lines", known_ids={"accounts": ["A1"]})
    assert result.report.ok, result.report.summary()
    assert result.report.columns[header] == "id"
    assert list(_records(result)) == ["L1"]


@pytest.mark.parametrize("header", ["Quota ID", "Forecasting Quota ID", "ForecastingQuotaId"])
def test_quota_id_columns_are_recognised(make_file: Any, header: str) -> None:
    text = (
        f"{header},QuotaOwnerId,StartDate,End Date,QuotaAmount\nQ1,R1,2025-01-01,2025-03-31,50000\n"
    )
    result = load_file(make_file(text), "targets", known_ids={"reps": ["R1"]})
    assert result.report.ok, result.report.summary()
    assert result.report.columns[header] == "id"
    assert result.report.columns["QuotaOwnerId"] == "rep_id"
    assert _records(result)["Q1"]["rep_id"] == "R1"


@pytest.mark.parametrize(
    ("kind", "header"),
    [
        ("accounts", "Record ID"),
        ("accounts", "Company ID"),
        ("leads", "Record ID"),
        ("opportunities", "Deal ID"),
        ("opportunities", "Record ID"),
        ("acquisition_costs", "Cost ID"),
    ],
)
def test_hubspot_and_salesforce_ids_of_other_kinds(make_file: Any, kind: str, header: str) -> None:
    rest = {
        "accounts": ("name", "Acme"),
        "leads": ("company", "Acme"),
        "opportunities": ("account_id,created_date,amount,stage", "A1,2025-01-02,10,Open"),
        "acquisition_costs": (
            "territory_id,period_start,period_end,amount",
            "T1,2025-01-01,2025-01-31,5",
        ),
    }[kind]
    text = f"{header},{rest[0]}\nX1,{rest[1]}\n"
    result = load_file(make_file(text), kind, geocode=False)
    assert result.report.ok, result.report.summary()
    assert result.report.columns[header] == "id"


# --- repeated headers -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_repeated_header_is_named_as_written_with_its_positions(make_file: Any, fmt: str) -> None:
    text = (
        "Line ID,Account ID,Date,Amount,Product,Quantity,Region,Notes,Amount\n"
        "L1,A1,2025-03-05,100,X,1,West,,999\n"
    )
    result = load_file(make_file(text, fmt), "sales_lines", known_ids={"accounts": ["A1"]})
    assert result.report.ok, result.report.summary()
    assert _records(result)["L1"]["amount"] == 100.0
    assert "columns 4 and 9 are both named 'Amount': the first is used" in result.report.warnings
    assert not any("duplicated" in w for w in result.report.warnings)


def test_a_repeated_header_is_not_kept_as_a_custom_attribute(make_file: Any) -> None:
    text = "id,name,Tier,Tier,Tier\nA1,Acme,Gold,x,y\n"
    result = load_file(make_file(text), "accounts", geocode=False)
    assert result.report.warnings == ["columns 3, 4 and 5 are all named 'Tier': the first is used"]
    assert _records(result)["A1"]["attributes"] == {"Tier": "Gold"}


def test_headers_equal_once_stripped_are_repeats(make_file: Any) -> None:
    # polars kept " id" and "id" apart; stripping them made two columns of one name
    result = load_file(make_file("id,name, id \nA1,Acme,A2\n"), "accounts", geocode=False)
    assert result.report.ok and list(_records(result)) == ["A1"]
    assert result.report.warnings == ["columns 1 and 3 are both named 'id': the first is used"]


def test_a_repeated_xlsx_column_keeps_its_numbers_to_itself(
    tmp_path: Any, xlsx_writer: Any
) -> None:
    path = xlsx_writer(tmp_path / "a.xlsx", ["id", "name", "id"], [[1, "Acme", 2.5]])
    result = load_file(path, "accounts", geocode=False)
    assert result.report.ok, result.report.summary()
    assert list(_records(result)) == ["1"]
