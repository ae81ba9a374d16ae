"""A Data Loader opportunity created (UTC) the evening it closed in the Americas is kept."""

from __future__ import annotations

from datetime import date
from typing import Any

from terraplan.io import iter_records, load_file

KNOWN = {"accounts": ["0018W00000Acc015QAA"]}
HEADER = "Id,AccountId,Name,StageName,Amount,CloseDate,CreatedDate,IsClosed,IsWon\n"


def test_a_deal_created_and_won_the_same_evening_in_california_is_kept(make_file: Any) -> None:
    # created 31 March 2026, 7 PM in California = 1 April 02:00 UTC; won that evening
    text = HEADER + (
        "0068W00000Eve001QAA,0018W00000Acc015QAA,Evening,Closed Won,12000,2026-03-31,"
        "2026-04-01T02:00:00.000Z,true,true\n"
        "0068W00000Eve002QAA,0018W00000Acc015QAA,Offset,Closed Lost,5000,2025-12-31,"
        "2026-01-01T01:30:00.000+0000,true,false\n"
        "0068W00000Eve003QAA,0018W00000Acc015QAA,Same day,Closed Won,7000,2026-03-31,"
        "2026-03-31T23:30:00.000Z,true,true\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids=KNOWN)
    assert result.report.ok, result.report.errors
    created = {r["name"]: r["created_date"] for r in iter_records(result.frame)}
    assert created == {
        "Evening": date(2026, 3, 31),
        "Offset": date(2025, 12, 31),
        "Same day": date(2026, 3, 31),
    }
    said = [w for w in result.report.warnings if "in UTC" in w]
    assert said == [
        "2 opportunities created, in UTC, the day after their close date (e.g. row 2:"
        " 'CreatedDate' '2026-04-01T02:00:00.000Z', 'CloseDate' 2026-03-31): created and"
        " closed the same evening in the Americas, they are taken as created on their"
        " close day"
    ]


def test_a_created_date_without_a_zone_or_two_days_late_is_still_refused(
    make_file: Any,
) -> None:
    text = HEADER + (
        "O1,0018W00000Acc015QAA,No zone,Closed Won,100,2026-03-31,2026-04-01,true,true\n"
        "O2,0018W00000Acc015QAA,Two days,Closed Won,100,2026-03-30,2026-04-01T02:00:00.000Z,"
        "true,true\n"
    )
    result = load_file(make_file(text), "opportunities", known_ids=KNOWN)
    assert [(i.row, i.reason) for i in result.report.errors] == [
        (2, "closes before it was created"),
        (3, "closes before it was created"),
    ]
    assert not any("in UTC" in w for w in result.report.warnings)
