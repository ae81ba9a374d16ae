"""A mapping file's ``dates: day first`` reads a British export's 05/03/2026 as 5 March."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from terraplan.errors import DataError
from terraplan.io import iter_records, load_file
from terraplan.io.mapping import load_mapping

KNOWN = {"accounts": ["0018W00000Acc000QAA"]}
# a UK invoice export run on 12 March: every day is 12 or less, the amounts have points
UK = (
    "Id,Account ID,Invoice Date,Amount\n"
    'INV-1,0018W00000Acc000QAA,01/01/2026,"1,000.00"\n'
    'INV-2,0018W00000Acc000QAA,01/02/2026,"1,000.00"\n'
    'INV-3,0018W00000Acc000QAA,05/03/2026,"1,000.00"\n'
    'INV-4,0018W00000Acc000QAA,12/03/2026,"1,000.00"\n'
)


def _days(result: Any) -> dict[str, date]:
    return {r["id"]: r["date"] for r in iter_records(result.frame)}


def test_without_a_declared_order_a_uk_export_reads_month_first_with_a_note(
    make_file: Any,
) -> None:
    result = load_file(make_file(UK), "sales_lines", known_ids=KNOWN)
    assert _days(result)["INV-3"] == date(2026, 5, 3)
    assert any("read as month/day/year" in w for w in result.report.warnings)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("order", ["day first", "day_first", "DD/MM/YYYY"])
def test_dates_day_first_in_the_mapping_file_reads_them_day_first(
    make_file: Any, tmp_path: Path, fmt: str, order: str
) -> None:
    mapping = tmp_path / "uk.yaml"
    mapping.write_text(f"columns:\n  Invoice Date: date\ndates: {order}\n", encoding="utf-8")
    result = load_file(
        make_file(UK, fmt), "sales_lines", mapping=load_mapping(mapping), known_ids=KNOWN
    )
    assert result.report.ok, result.report.errors
    assert _days(result) == {
        "INV-1": date(2026, 1, 1),
        "INV-2": date(2026, 2, 1),
        "INV-3": date(2026, 3, 5),
        "INV-4": date(2026, 3, 12),
    }
    assert (
        "slashed dates are read as day/month/year, as the mapping file declares (dates: day first)"
    ) in result.report.warnings
    assert not any("does not show the date order" in w for w in result.report.warnings)


def test_a_date_in_the_other_order_is_an_error_naming_its_row(make_file: Any) -> None:
    text = UK + 'INV-5,0018W00000Acc000QAA,3/31/2026,"1,000.00"\n'
    result = load_file(
        make_file(text), "sales_lines", mapping={"dates": "day first"}, known_ids=KNOWN
    )
    assert [(i.row, i.column, i.value) for i in result.report.errors] == [
        (6, "Invoice Date", "3/31/2026")
    ]


def test_month_first_can_be_declared_against_a_decimal_comma(make_file: Any) -> None:
    # a US subsidiary's file written with decimal commas: the comma no longer decides
    text = "id;account_id;date;amount\nS1;0018W00000Acc000QAA;03/05/2026;1.000,50\n"
    result = load_file(
        make_file(text), "sales_lines", mapping={"dates": "month first"}, known_ids=KNOWN
    )
    assert _days(result) == {"S1": date(2026, 3, 5)}


def test_an_unknown_order_is_refused_naming_the_mapping(tmp_path: Path) -> None:
    mapping = tmp_path / "bad.yaml"
    mapping.write_text("columns:\n  Invoice Date: date\ndates: european\n", encoding="utf-8")
    with pytest.raises(DataError, match="'dates' must be 'day first' or 'month first'"):
        load_mapping(mapping)
