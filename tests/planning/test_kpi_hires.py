"""No rep is credited before their hire date: the ownership frame with the days before each
owner's hire owned by no one (a rep hired in August who took over accounts was credited with
their sales since January: attainment 249 % against a target that starts at the hire)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import polars as pl
import pytest
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


# -- targets from the hire date ----------------------------------------------------------------


TARGET_SCHEMA = {
    "territory_id": pl.String,
    "rep_id": pl.String,
    "period_start": pl.Date,
    "period_end": pl.Date,
    "amount": pl.Float64,
}


TARGET_SCHEMA = {
    "territory_id": pl.String,
    "rep_id": pl.String,
    "period_start": pl.Date,
    "period_end": pl.Date,
    "amount": pl.Float64,
}


def _months(territory: str, year: int, amounts: list[float]) -> list[tuple]:
    """Monthly targets of ``territory`` from January (``amounts`` in currency)."""
    rows = []
    for i, amount in enumerate(amounts):
        first = date(year, i + 1, 1)
        last = date(year + (i == 11), (i + 1) % 12 + 1, 1) - timedelta(days=1)
        rows.append((territory, None, first, last, amount))
    return rows


def _hire_case() -> KpiInputs:
    """A CRM export as it comes: T3's new owner r7 hired on 10 August (mid-month), r8 (T8)
    hired in 2027 (after every period asked), r1 (T1) with no hire date, r6 hired long ago,
    and r9 with a target of their own from March, hired 15 April."""
    targets = [
        *_months("T3", 2026, [31e3, 32e3, 33e3, 34e3, 35e3, 36e3, 37e3, 38e3, 39e3, 40e3, 41e3, 42e3]),
        *_months("T1", 2026, [10e3] * 12),
        *_months("T6", 2026, [60e3] * 12),
        *_months("T8", 2026, [5e3] * 12),
        (None, "r9", date(2026, 3, 1), date(2026, 12, 31), 3060.0),
    ]  # fmt: skip
    reps = pl.DataFrame(
        {
            "id": ["r1", "r6", "r7", "r8", "r9"],
            "name": ["Ana", "Finn", "Gia", "Hal", "Ida"],
            "hire_date": [None, date(2023, 9, 1), date(2026, 8, 10), date(2027, 1, 4),
                          date(2026, 4, 15)],
        },
        schema={"id": pl.String, "name": pl.String, "hire_date": pl.Date},
    )  # fmt: skip
    return KpiInputs(
        sales_lines=pl.DataFrame(
            {
                "account_id": ["A1", "A3", "A3", "A1"],
                "date": [date(2026, 3, 2), date(2026, 8, 12), date(2026, 9, 1), date(2026, 5, 5)],
                "amount": [500.0, 250.0, 6_548.378, 1000.0],
            }
        ),
        accounts=pl.DataFrame({"id": ["A1", "A3", "A6", "A8"]}),
        alignment=pl.DataFrame(
            {"account_id": ["A1", "A3", "A6", "A8"], "territory_id": ["T1", "T3", "T6", "T8"]}
        ),
        territories=pl.DataFrame(
            {"id": ["T1", "T3", "T6", "T8"], "owner_id": ["r1", "r7", "r6", "r8"]}
        ),
        targets=pl.DataFrame(
            targets,
            schema=TARGET_SCHEMA,
            orient="row",
        ),
        reps=reps,
    )


PERIODS = ["2026-01-01..2026-11-30", "2026Q1", "2026Q3", "2026-07", "2026-08"]


def _by(kpis: pl.DataFrame, column: str) -> dict[tuple[str, str], float | None]:
    return {(k, p): v for k, p, v in kpis.select("key", "period", column).iter_rows()}


def test_a_reps_target_counts_from_the_hire_date_only() -> None:
    """r7, hired 10 August, took over T3: their target Jan–Nov is 22/31 of August's 38k plus
    September to November (146,968), not T3's whole 396k; before the hire it is null (no
    target), and so are attainment and pace. By territory, T3 keeps its whole target."""
    inputs = _hire_case()
    as_of = date(2026, 11, 30)
    kpis = compute_kpis(inputs, as_of=as_of, periods=["YTD", *PERIODS[1:]], dimensions=["rep"])
    target, attainment = _by(kpis, "target"), _by(kpis, "attainment")
    pace = _by(kpis, "pace_to_target")
    want = 38e3 * 22 / 31 + 39e3 + 40e3 + 41e3
    assert target["r7", "YTD"] == pytest.approx(want)
    assert attainment["r7", "YTD"] == pytest.approx(6_798.378 / want)
    assert target["r7", "2026-08"] == pytest.approx(38e3 * 22 / 31)
    assert target["r7", "2026Q3"] == pytest.approx(38e3 * 22 / 31 + 39e3)
    for period in ("2026Q1", "2026-07"):
        assert target["r7", period] is None
        assert attainment["r7", period] is None and pace["r7", period] is None
    # hired after every period: no target at all; no hire date or hired long ago: whole
    assert all(target["r8", p] is None for p in ("YTD", "2026Q1", "2026Q3"))
    assert target["r1", "YTD"] == pytest.approx(110e3)
    assert target["r6", "2026Q1"] == pytest.approx(180e3)
    # a target of the rep's own counts from the hire too (10 per day from 15 April)
    assert target["r9", "2026Q1"] is None
    assert target["r9", "YTD"] == pytest.approx(3060.0 * 230 / 306)
    by_territory = compute_kpis(inputs, as_of=as_of, periods=["YTD"], dimensions=["territory"])
    assert _by(by_territory, "target")["T3", "YTD"] == pytest.approx(396e3)


def test_pace_counts_the_days_gone_since_the_hire() -> None:
    """On 20 August r7 has 11 days of August's target due (10 to 20 August)."""
    kpis = compute_kpis(
        _hire_case(), as_of=date(2026, 8, 20), periods=["2026-08"], dimensions=["rep"]
    )
    row = kpis.filter(pl.col("key") == "r7")
    due = 38e3 * 11 / 31
    assert row["target"][0] == pytest.approx(38e3 * 22 / 31)
    assert row["revenue"][0] == 250.0
    assert row["pace_to_target"][0] == pytest.approx(250.0 / due)


def test_without_hire_dates_targets_are_as_before() -> None:
    """Reps with no ``hire_date`` column (or no reps frame) get their territories' whole
    targets, as they always did."""
    inputs = _hire_case()
    plain = replace(inputs, reps=inputs.reps.drop("hire_date"))
    none = replace(inputs, reps=None)
    as_of = date(2026, 11, 30)
    for case in (plain, none):
        kpis = compute_kpis(case, as_of=as_of, periods=["YTD"], dimensions=["rep"])
        assert _by(kpis, "target")["r7", "YTD"] == pytest.approx(396e3)


@st.composite
def hired_targets(draw: st.DrawFn):
    """Targets of random spans on one territory and of its owner's own, and the owner's
    hire date (maybe none, maybe before, inside or after the targets)."""
    rows = []
    for _ in range(draw(st.integers(1, 3))):
        first = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 300)))
        last = first + timedelta(days=draw(st.integers(0, 120)))
        own = draw(st.booleans())
        rows.append(("T1" if not own else None, "r1" if own else None, first, last,
                     float(draw(st.integers(1, 90)) * 100)))  # fmt: skip
    hire = draw(st.one_of(st.none(), st.integers(-30, 420).map(
        lambda n: date(2026, 1, 1) + timedelta(days=n))))  # fmt: skip
    return rows, hire


def _per_day(rows: list[tuple], day: date, hire: date | None, *, rep: bool) -> float | None:
    """The target of one day, written out (None: no target covers it): by rep, none before
    the hire, and a rep with targets of their own counts only those; each subject's finest
    target covering the day (shortest, then earliest start, then the larger amount) at its
    daily rate."""
    if rep and hire is not None and day < hire:
        return None
    own = [r for r in rows if r[1] is not None]
    layers = own if rep and own else [r for r in rows if r[0] is not None]
    covering = [r for r in layers if r[2] <= day <= r[3]]
    if not covering:
        return None
    best = min(covering, key=lambda r: ((r[3] - r[2]).days, r[2], -r[4]))
    return best[4] / ((best[3] - best[2]).days + 1)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(hired_targets(), st.integers(0, 11))
def test_a_months_rep_target_is_the_sum_of_its_days_from_the_hire(case, month: int) -> None:
    rows, hire = case
    inputs = KpiInputs(
        sales_lines=pl.DataFrame(
            {"account_id": ["A1"], "date": [date(2026, 1, 5)], "amount": [1.0]}
        ),
        accounts=pl.DataFrame({"id": ["A1"]}),
        alignment=pl.DataFrame({"account_id": ["A1"], "territory_id": ["T1"]}),
        territories=pl.DataFrame({"id": ["T1"], "owner_id": ["r1"]}),
        targets=pl.DataFrame(
            rows,
            schema=TARGET_SCHEMA,
            orient="row",
        ),
        reps=pl.DataFrame(
            {"id": ["r1"], "hire_date": [hire]}, schema={"id": pl.String, "hire_date": pl.Date}
        ),
    )
    period = f"2026-{month + 1:02d}"
    kpis = compute_kpis(
        inputs, as_of=date(2026, 12, 31), periods=[period], dimensions=["rep", "territory"]
    )
    first = date(2026, month + 1, 1)
    last = date(2026 + (month == 11), (month + 1) % 12 + 1, 1) - timedelta(days=1)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    got = _by(kpis, "target")
    for key, rep in (("r1", True), ("T1", False)):
        daily = [_per_day(rows, d, hire, rep=rep) for d in days]
        counted = [x for x in daily if x is not None]
        if counted:
            assert got[key, period] == pytest.approx(sum(counted), rel=1e-9), (rows, hire)
        else:  # no day of the period counts: no target
            assert got.get((key, period)) is None, (rows, hire)
