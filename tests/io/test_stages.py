"""Stage names read by their words (terraplan.io.stages), and what an opportunity import says
about them."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terraplan.io import iter_records, load_file
from terraplan.io.stages import APOSTROPHES, read_stages

KNOWN = {"accounts": ["A1"]}


def _read(*stages: str) -> list[str | None]:
    return read_stages(pl.Series(list(stages), dtype=pl.String)).to_list()


# the spellings the README lists, read as before
@pytest.mark.parametrize(
    ("stage", "reading"),
    [
        ("Closed Won", "won"),
        ("Closed - Won", "won"),
        ("Closed/Won", "won"),
        ("closed won", "won"),
        ("Closed Won – Renewal", "won"),
        ("Closed Won (Expansion)", "won"),
        ("Won", "won"),
        ("WON", "won"),
        ("Won - Renewal", "won"),
        ("closedwon", "won"),
        ("Closed Lost", "lost"),
        ("Closed - Lost", "lost"),
        ("Closed/Lost (no budget)", "lost"),
        ("closedlost", "lost"),
        ("Lost - No Decision", "lost"),
        ("Disqualified", "lost"),
        ("Closed", "lost"),
        ("Closed - Not Won", "lost"),
        ("Prospecting", "open"),
        ("Negotiation/Review", "open"),
        ("Unqualified", "open"),
        ("Wonder Phase", "open"),
        ("Lostwax Negotiation", "open"),
    ],
)
def test_readme_stage_spellings(stage: str, reading: str) -> None:
    assert _read(stage) == [reading]


@pytest.mark.parametrize(
    ("stage", "reading"),
    [
        # "won't" was read as "won" followed by "t": both were stored as won deals
        ("Closed Won't Renew", "lost"),
        ("Closed Won’t Renew", "lost"),  # a typographic apostrophe
        ("Won't Proceed", "open"),  # not won; no word says closed: named among the open
        ("WONT PROCEED", "open"),
        ("Closed - Wont Renew", "lost"),
        ("Closed Won - Won't Renew", "lost"),  # "won't" anywhere: never won
    ],
)
def test_wont_is_not_won(stage: str, reading: str) -> None:
    assert _read(stage) == [reading]


_WORDY = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    before=st.one_of(_WORDY, st.sampled_from(["Closed Won", "Won -", "closedwon"])),
    after=_WORDY,
    apostrophe=st.sampled_from([*APOSTROPHES, ""]),
    case=st.sampled_from([str.lower, str.upper, str.title]),
)
def test_a_stage_holding_wont_as_a_word_is_never_won(
    before: str, after: str, apostrophe: str, case: Any
) -> None:
    """Any stage holding the word "won't" (or "wont"), whatever stands around it, is never
    won ("Closed Won" before it included)."""
    stage = f"{before} {case('won' + apostrophe + 't')} {after}"
    assert _read(stage) != ["won"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_every_stage_reads_one_way(stage: str) -> None:
    [reading] = _read(stage)
    assert reading in ("won", "lost", "open")


def test_the_import_names_the_stages_read_as_won_and_as_lost(make_file: Any) -> None:
    rows = [
        ("O1", "Closed Won"),
        ("O2", "Closed Won"),
        ("O3", "Closed Won – Renewal"),
        ("O4", "Closed Won't Renew"),
        ("O5", "Won't Proceed"),
        ("O6", "Closed Lost"),
    ]
    body = "".join(f"{i},A1,{stage},10,2025-01-02,2025-02-01\n" for i, stage in rows)
    text = "Opportunity ID,Account ID,Stage,Amount,Created Date,Close Date\n" + body
    result = load_file(make_file(text), "opportunities", known_ids={"accounts": ["A1"]})
    assert result.report.ok, result.report.summary()
    got = {r["id"]: (r["is_closed"], r["is_won"]) for r in iter_records(result.frame)}
    assert got == {
        "O1": (True, True),
        "O2": (True, True),
        "O3": (True, True),
        "O4": (True, False),
        "O5": (False, False),
        "O6": (True, False),
    }
    warnings = result.report.warnings
    assert (
        "3 opportunities read as won from the stage (e.g. 'Closed Won': 2,"
        " 'Closed Won – Renewal': 1)" in warnings
    )
    assert (
        "2 opportunities read as lost from the stage (e.g. 'Closed Lost': 1,"
        ' "Closed Won\'t Renew": 1)' in warnings
    )
    assert any(w.startswith("1 opportunity read as open from the stage (e.g. \"Won't")
               for w in warnings)  # fmt: skip


def test_sales_lines_of_open_and_lost_deals_are_refused(make_file: Any) -> None:
    # a Salesforce Opportunity Products report imported as sales lines (Close Date -> date):
    # every deal's products came in as revenue, won or not
    text = (
        "Opportunity Name,Stage,Close Date,Account ID,Opportunity Product ID,Total Price\n"
        "Opp 0,Closed Won,02/16/2026,A1,L1,1000\n"
        "Opp 1,Closed Lost,01/15/2026,A1,L2,2000\n"
        "Opp 2,Prospecting,03/15/2026,A1,L3,3000\n"
        "Opp 3,Closed Won't Renew,01/15/2026,A1,L4,4000\n"
        "Opp 4,Closed Won - Renewal,01/15/2026,A1,L5,5000\n"
        "Invoice,,01/15/2026,A1,L6,6000\n"  # no deal: an invoice line is kept
    )
    result = load_file(
        make_file(text), "sales_lines", mapping={"Close Date": "date"}, known_ids=KNOWN
    )
    errors = [(i.row, i.column, i.field, i.value, i.reason) for i in result.report.errors]
    tail = (
        ": only the lines of won deals are revenue (filter the report to won deals, or"
        " --on-error skip leaves these lines out)"
    )
    lost, open_ = "a line of a deal read as lost from its stage", "a line of a deal read as open"
    assert errors == [
        (3, "Stage", "stage", "Closed Lost", lost + tail),
        (4, "Stage", "stage", "Prospecting", open_ + " from its stage" + tail),
        (5, "Stage", "stage", "Closed Won't Renew", lost + tail),
    ]
    # the rows --on-error skip writes: the won deals' lines and the line of no deal
    assert sorted(r["id"] for r in iter_records(result.frame)) == ["L1", "L5", "L6"]
    assert "stage" not in result.frame.columns  # read, not stored
    assert (
        "2 sales lines read as won from the stage (e.g. 'Closed Won': 1,"
        " 'Closed Won - Renewal': 1)" in result.report.warnings
    )
    assert not [w for w in result.report.warnings if "'Stage' maps to no field" in w]


def test_a_mapped_deal_stage_column_is_read_too(make_file: Any) -> None:
    text = "Line ID,Account ID,Date,Amount,Deal Status\nL1,A1,2025-01-02,10,closedlost\n"
    mapping = {"Deal Status": "stage"}
    result = load_file(make_file(text), "sales_lines", mapping=mapping, known_ids=KNOWN)
    assert [(i.row, i.field) for i in result.report.errors] == [(2, "stage")]


def test_sales_lines_without_a_stage_are_unchanged(make_file: Any) -> None:
    text = "Line ID,Account ID,Date,Amount\nL1,A1,2025-01-02,10\n"
    result = load_file(make_file(text), "sales_lines", known_ids=KNOWN)
    assert result.report.ok and not result.report.warnings


def test_every_open_stage_of_a_pipeline_is_named(make_file: Any) -> None:
    """A HubSpot export of two pipelines: seven open stages, the custom lost one ('Churned')
    among the least frequent. Each is named with its count, so a stage read the wrong way
    can be spotted; the one sounding closed is called out on its own."""
    counts = {
        "Appointment scheduled": 9,
        "Qualified to buy": 8,
        "Presentation scheduled": 7,
        "Decision maker bought-in": 6,
        "Contract sent": 5,
        "Renewal due": 4,
        "Churned": 3,
        "Closed won": 2,
    }
    stages = [stage for stage, n in counts.items() for _ in range(n)]
    body = "".join(f"D{i},A1,{s},10,2025-01-02,2025-02-01\n" for i, s in enumerate(stages))
    text = "Record ID,Company ID,Deal Stage,Amount,Create Date,Close Date\n" + body
    result = load_file(make_file(text), "opportunities", known_ids=KNOWN)
    assert result.report.ok, result.report.summary()
    (named,) = [w for w in result.report.warnings if "read as open from the stage" in w]
    for stage, n in counts.items():
        if stage != "Closed won":
            assert f"'{stage}': {n}" in named
    assert "…" not in named and "more stage" not in named
    (churned,) = [w for w in result.report.warnings if "sounds closed" in w]
    assert churned.startswith(
        "3 opportunities with a stage that sounds closed read as open (e.g. 'Churned': 3)"
    )


def test_a_long_list_of_stages_says_how_many_it_leaves_out(make_file: Any) -> None:
    stages = [f"Step {chr(65 + i)}" for i in range(14)]
    body = "".join(f"D{i},A1,{s},10,2025-01-02\n" for i, s in enumerate(stages))
    text = "Id,AccountId,StageName,Amount,CreatedDate\n" + body
    result = load_file(make_file(text), "opportunities", known_ids=KNOWN)
    (named,) = [w for w in result.report.warnings if "read as open" in w]
    assert "'Step L': 1" in named and "'Step M'" not in named
    assert "'Step L': 1, and 2 more stages)" in named
    assert not [w for w in result.report.warnings if "sounds closed" in w]


@pytest.mark.parametrize(
    ("stage", "sounds_closed"),
    [
        ("Churned", True),
        ("Cancelled - no budget", True),
        ("Deal Dead", True),
        ("Closed/Churned", True),
        ("Churn risk review", False),
        ("Deadline set", False),
        ("Renewal due", False),
        ("Negotiation", False),
    ],
)
def test_stages_that_sound_closed_are_told_by_their_words(stage: str, sounds_closed: bool) -> None:
    from terraplan.io.stages import closed_sounding

    frame = pl.DataFrame({"stage": [stage, None]}, schema={"stage": pl.String})
    got = frame.select(closed_sounding(pl.col("stage"))).to_series().to_list()
    assert got == [sounds_closed, False]
