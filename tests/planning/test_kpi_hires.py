"""No rep is credited before their hire date: the ownership frame with the days before each
owner's hire owned by no one (a rep hired in August who took over accounts was credited with
their sales since January: attainment 249 % against a target that starts at the hire)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from terraplan.planning.kpi_credit import CRM_HISTORY_START
from terraplan.planning.kpi_hires import before_hire_unowned, hire_note
from terraplan.planning.kpi_inputs import KpiInputs
from terraplan.planning.kpis import compute_kpis

START = date(2025, 1, 1)
REPS = ("r1", "r2", "r3")
SCHEMA = {
    "account_id": pl.String,
    "owner_id": pl.String,
    "valid_from": pl.Date,
    "valid_to": pl.Date,
}


def _owner_of_day(periods: list[tuple[str | None, date, date | None]], day: date, today: str):
    """The KPI credit rule, written out (kpi_credit's module docstring): the period with the
    latest start on or before the day (a day before the first period: the first period);
    today's owner where no period covers the day."""
    if not periods:
        return today
    first = min(p[1] for p in periods)
    on = max(day, first)
    started = [p for p in periods if p[1] <= on]
    latest = max(p[1] for p in started)
    owners = sorted((p for p in started if p[1] == latest), key=lambda p: (p[0] is None, p[0]))
    owner, _, valid_to = owners[0]
    if day < first or valid_to is None or day <= valid_to:
        return owner
    return today


def _frame(rows: list[tuple[str, str | None, date, date | None]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


@st.composite
def histories(draw: st.DrawFn):
    """One account's back-to-back periods (maybe none, maybe a gap, maybe still open), its
    owner today and the reps' hire dates (some unknown)."""
    n = draw(st.integers(0, 3))
    periods = []
    start = START + timedelta(days=draw(st.integers(0, 200)))
    if draw(st.booleans()) and n:
        start = CRM_HISTORY_START  # the CRM's owner before the first activation
    for i in range(n):
        owner = draw(st.sampled_from(REPS))
        length = draw(st.integers(1, 200))
        last = i == n - 1 and draw(st.booleans())
        end = None if last else max(start, START) + timedelta(days=length)
        periods.append((owner, start, end))
        if end is None:
            break
        start = end + timedelta(days=1 + draw(st.sampled_from([0, 0, 30])))
    hires = {
        r: START + timedelta(days=draw(st.integers(-100, 500))) for r in REPS if draw(st.booleans())
    }
    return periods, draw(st.sampled_from(REPS)), hires


@settings(max_examples=300, deadline=None, derandomize=True)
@given(histories(), st.lists(st.integers(-400, 900), min_size=1, max_size=12))
def test_a_day_before_the_owners_hire_goes_to_no_one_and_every_other_day_as_before(
    history, offsets: list[int]
) -> None:
    periods, today, hires = history
    frame = _frame([("A", owner, start, end) for owner, start, end in periods])
    hired = pl.DataFrame(
        {"rep_id": list(hires), "hire_date": list(hires.values())},
        schema={"rep_id": pl.String, "hire_date": pl.Date},
    )
    owners_today = pl.DataFrame({"account_id": ["A"], "today": [today]})
    clipped, taken = before_hire_unowned(frame, hired, owners_today)
    after = [(r[1], r[2], r[3]) for r in clipped.iter_rows()]
    for offset in offsets:
        day = START + timedelta(days=offset)
        was = _owner_of_day(periods, day, today)
        want = None if was in hires and day < hires[was] else was
        assert _owner_of_day(after, day, today) == want, (day, periods, hires, after)
    assert set(taken["rep_id"].to_list()) <= set(hires)


def test_kpis_by_rep_credit_a_new_hire_from_the_hire_date_only() -> None:
    """A0 (r2's today and in the CRM) sold 100 in March and 40 in July; r2 was hired 1 June:
    r2 gets 40, no rep the 100, and the note names r2."""
    hired = pl.DataFrame(
        {"rep_id": ["r2"], "hire_date": [date(2026, 6, 1)]},
        schema={"rep_id": pl.String, "hire_date": pl.Date},
    )
    today = pl.DataFrame({"account_id": ["A0", "A1"], "today": ["r2", "r1"]})
    ownership, taken = before_hire_unowned(_frame([]), hired, today)
    inputs = KpiInputs(
        sales_lines=pl.DataFrame(
            {
                "account_id": ["A0", "A0", "A1"],
                "date": [date(2026, 3, 10), date(2026, 7, 2), date(2026, 3, 10)],
                "amount": [100.0, 40.0, 7.0],
            }
        ),
        accounts=pl.DataFrame({"id": ["A0", "A1"]}),
        alignment=pl.DataFrame({"account_id": ["A0", "A1"], "territory_id": ["T0", "T1"]}),
        territories=pl.DataFrame({"id": ["T0", "T1"], "owner_id": ["r2", "r1"]}),
        ownership=ownership,
    )
    kpis = compute_kpis(inputs, as_of=date(2026, 7, 31), periods=["2026"], dimensions=["rep"])
    revenue = dict(zip(kpis["key"].to_list(), kpis["revenue"].to_list(), strict=True))
    assert revenue == {"r1": 7.0, "r2": 40.0}
    note = hire_note(taken, {"r2": "Rae Two"}, date(2026, 1, 5))
    assert note is not None and "Rae Two (2026-06-01)" in note
    assert hire_note(taken, {"r2": "Rae Two"}, date(2026, 6, 2)) is None  # no day before it


def test_without_hire_dates_the_frame_is_unchanged() -> None:
    frame = _frame([("A", "r1", date(2026, 1, 1), None)])
    none = pl.DataFrame(schema={"rep_id": pl.String, "hire_date": pl.Date})
    clipped, taken = before_hire_unowned(frame, none, pl.DataFrame({"account_id": ["A"]}))
    assert clipped is frame and taken.is_empty()
