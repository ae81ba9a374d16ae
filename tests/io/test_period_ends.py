"""A quota export with start dates only (Salesforce ForecastingQuota) gets its period ends
when the starts tell the length, and is refused naming why when they do not."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from terraplan.io import iter_records, load_file


def _ends(result: Any) -> dict[str, tuple[date, date]]:
    return {r["id"]: (r["period_start"], r["period_end"]) for r in iter_records(result.frame)}


@pytest.mark.parametrize(
    ("starts", "end_of_first", "length"),
    [
        (["2025-01-01", "2025-02-01", "2025-03-01"], date(2025, 1, 31), "month"),
        (["2025-02-01", "2025-05-01", "2025-11-01"], date(2025, 4, 30), "quarter"),  # a gap
        (["2024-01-01", "2025-01-01"], date(2024, 12, 31), "year"),
    ],
)
def test_ends_from_starts_a_whole_period_apart(
    make_file: Any, starts: list[str], end_of_first: date, length: str
) -> None:
    rows = "".join(f"Q{i},005R1,{s},1000\n" for i, s in enumerate(starts))
    text = "Id,QuotaOwnerId,StartDate,QuotaAmount\n" + rows
    result = load_file(make_file(text), "targets", known_ids={"reps": ["005R1"]})
    assert result.report.ok, result.report.issues
    assert _ends(result)["Q0"] == (date.fromisoformat(starts[0]), end_of_first)
    notes = [w for w in result.report.warnings if "no end date column" in w]
    assert len(notes) == 1 and f"each period is one {length} from its start" in notes[0]


@pytest.mark.parametrize(
    ("starts", "why"),
    [
        (["2025-01-01", "2025-01-01"], "(one start date only)"),
        (["2025-01-15", "2025-02-15"], "do not tell how long"),
        (["2025-01-01", "2025-03-01"], "do not tell how long"),  # two months: no such period
    ],
)
def test_unclear_lengths_are_refused(make_file: Any, starts: list[str], why: str) -> None:
    rows = "".join(f"Q{i},005R1,{s},1000\n" for i, s in enumerate(starts))
    text = "Id,QuotaOwnerId,StartDate,QuotaAmount\n" + rows
    result = load_file(make_file(text), "targets", known_ids={"reps": ["005R1"]})
    assert not result.report.ok and result.frame.height == 0
    reasons = [i.reason for i in result.report.issues if i.field == "period_end"]
    assert len(reasons) == 1 and why in reasons[0] and "add the end dates" in reasons[0]


def test_a_file_with_end_dates_is_read_as_written(make_file: Any) -> None:
    text = "Id,QuotaOwnerId,StartDate,EndDate,QuotaAmount\nQ1,005R1,2025-01-01,2025-06-30,9\n"
    result = load_file(make_file(text), "targets", known_ids={"reps": ["005R1"]})
    assert _ends(result)["Q1"] == (date(2025, 1, 1), date(2025, 6, 30))
    assert not [w for w in result.report.warnings if "no end date column" in w]
