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
