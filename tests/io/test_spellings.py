"""An import writes each segment, industry and customer type as most accounts spell it, with
one warning per field, so that KPIs (in-process and in the warehouse SQL, which read the same
stored values) do not split one segment by letter case."""

from __future__ import annotations

from typing import Any

from terraplan.io import iter_records, load_file, read_table, validate


def test_a_file_writes_each_segment_as_most_of_its_rows_do(make_file: Any) -> None:
    text = (
        "id,name,segment,industry\n"
        "A1,a,Enterprise,Health Care\nA2,b,ENTERPRISE,health  care\nA3,c,Enterprise,\n"
        "A4,d,enterprise,Retail\nA5,e,Mid-Market,Retail\n"
    )
    result = load_file(make_file(text), "accounts", geocode=False)
    assert result.report.ok
    kept = {r["id"]: r for r in iter_records(result.frame)}
    assert {r["segment"] for r in kept.values()} == {"Enterprise", "Mid-Market"}
    assert kept["A2"]["industry"] == "Health Care"  # a tie: the first in sort order
    (segment, industry) = result.report.warnings
    assert segment.startswith("segment: 2 rows written as the stored records spell the value")
    assert "'ENTERPRISE' -> 'Enterprise'; 'enterprise' -> 'Enterprise'" in segment
    assert industry.startswith("industry: 1 row written as the stored records spell the value")


def test_stored_accounts_decide_the_spelling(make_file: Any) -> None:
    text = "id,name,segment\nN1,a,ENTERPRISE\nN2,b,ENTERPRISE\nN3,c,SMB\n"
    table = read_table(make_file(text), "accounts")
    stored = {"segment": {"Enterprise": 850, "enterprise": 37}}
    result = validate(table, geocode=False, spellings=stored)
    assert [r["segment"] for r in iter_records(result.frame)] == ["Enterprise", "Enterprise", "SMB"]
    (warning,) = result.report.warnings
    assert warning.startswith("segment: 2 rows written")


def test_one_spelling_leaves_a_file_alone(make_file: Any) -> None:
    text = "id,name,segment\nA1,a,Enterprise\nA2,b,SMB\n"
    result = load_file(make_file(text), "accounts", geocode=False)
    assert result.report.warnings == []


def test_refused_rows_have_no_say_in_a_new_spelling(make_file: Any) -> None:
    # two ENTERPRISE rows are refused (no name): the one imported row spells it Enterprise
    text = "id,name,segment\nA1,a,Enterprise\nA2,,ENTERPRISE\nA3,,ENTERPRISE\nA4,d,SMB\n"
    result = load_file(make_file(text), "accounts", geocode=False)
    assert [i.row for i in result.report.errors] == [3, 4]
    assert [r["segment"] for r in iter_records(result.frame)] == ["Enterprise", "SMB"]
    assert not [w for w in result.report.warnings if w.startswith("segment")]
