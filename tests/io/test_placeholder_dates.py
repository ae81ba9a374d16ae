"""1900-01-01 (``1/1/1900``, Excel's day 1) is a placeholder for no date, not a real day."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import openpyxl

from terraplan.io import iter_records, load_file

KNOWN = {"accounts": ["0018W00000Acc000QAA"]}
WHY = "1900-01-01 is a placeholder for no date, not a real day: give the record's real date"


def test_a_sales_line_dated_1_1_1900_is_refused_naming_the_row(make_file: Any) -> None:
    # an invoice export whose blank dates came out as 1/1/1900: kept, the sales history
    # started in 1900 and last year's unknown revenue read 0
    text = (
        "Id,Account ID,Invoice Date,Amount\n"
        "INV-1,0018W00000Acc000QAA,3/31/2026,100\n"
        "INV-2,0018W00000Acc000QAA,1/1/1900,200\n"
        "INV-3,0018W00000Acc000QAA,01/01/1900,300\n"
    )
    path = make_file(text)
    result = load_file(path, "sales_lines", known_ids=KNOWN)
    errors = [(i.row, i.column, i.value, i.reason) for i in result.report.errors]
    assert errors == [
        (3, "Invoice Date", "1/1/1900", WHY),
        (4, "Invoice Date", "01/01/1900", WHY),
    ]
    assert [r["id"] for r in iter_records(result.frame)] == ["INV-1"]


def test_an_opportunity_created_1900_is_refused_not_a_46000_day_sales_cycle(
    make_file: Any,
) -> None:
    text = (
        "Opportunity ID,Account ID,Stage,Amount,Close Date,Created Date\n"
        'O1,0018W00000Acc000QAA,Closed Won,"$6,000.00",4/1/2026,1/1/1900\n'
        'O2,0018W00000Acc000QAA,Closed Won,"$5,000.00",3/31/2026,3/31/2026 11:30 PM\n'
    )
    result = load_file(make_file(text), "opportunities", known_ids=KNOWN)
    assert [(i.row, i.column, i.reason) for i in result.report.errors] == [(2, "Created Date", WHY)]


def test_a_closed_deals_placeholder_close_date_is_no_close_date(make_file: Any) -> None:
    text = (
        "Id,AccountId,StageName,Amount,CloseDate,CreatedDate,IsClosed,IsWon\n"
        "O1,0018W00000Acc000QAA,Closed Won,100,1900-01-01,2026-03-02T10:00:00.000Z,true,true\n"
        "O2,0018W00000Acc000QAA,Prospecting,100,1900-01-01,2026-03-02T10:00:00.000Z,false,false\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids=KNOWN)
    assert [(i.row, i.field) for i in result.report.errors] == [(2, "close_date")]
    assert "needs a close date" in result.report.errors[0].reason
    # the open deal is kept without a forecast close date
    [kept] = list(iter_records(result.frame))
    assert kept["id"] == "O2" and kept["close_date"] is None
    assert any("1 row holds 1900-01-01" in w for w in result.report.warnings)


def test_a_leads_placeholder_created_date_reads_as_blank_with_one_warning(
    make_file: Any,
) -> None:
    text = (
        "Id,Company,PostalCode,State,CreatedDate\n"
        "00Q1,Acme,02108,MA,1/1/1900\n"
        "00Q2,Beta,02108,MA,1/1/1900\n"
        "00Q3,Gamma,02108,MA,2026-03-02T10:00:00.000Z\n"
    )
    result = load_file(make_file(text), "leads")
    assert result.report.ok
    created = {r["id"]: r["created_date"] for r in iter_records(result.frame)}
    assert created == {"00Q1": None, "00Q2": None, "00Q3": date(2026, 3, 2)}
    said = [w for w in result.report.warnings if "placeholder" in w]
    assert said == [
        "column 'CreatedDate': 2 rows hold 1900-01-01 (e.g. row 2: '1/1/1900'), a placeholder"
        " for no date, not a real day: read as blank"
    ]


def test_an_excel_date_cell_of_day_1_is_a_placeholder_too(tmp_path: Path) -> None:
    # a workbook date cell holding 1 (shown 1/1/1900): the blank of a formula such as =MAX()
    path = tmp_path / "invoices.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "account_id", "date", "amount"])
    sheet.append(["INV-1", "0018W00000Acc000QAA", date(1900, 1, 1), 10.0])
    sheet.append(["INV-2", "0018W00000Acc000QAA", date(2026, 2, 27), 10.0])
    sheet.cell(2, 3).number_format = "m/d/yyyy"
    book.save(path)
    result = load_file(path, "sales_lines", known_ids=KNOWN)
    assert [(i.row, i.reason) for i in result.report.errors] == [(2, WHY)]


def test_the_day_after_is_a_real_day(make_file: Any) -> None:
    text = "id,account_id,date,amount\nL1,0018W00000Acc000QAA,1900-01-02,10\n"
    assert load_file(make_file(text), "sales_lines", known_ids=KNOWN).report.ok
