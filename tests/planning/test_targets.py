"""Target setting: exact top-down sums, seasonality, layers, fairness and bad input."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terraplan.domain import (
    Account,
    AlignmentEntry,
    Plan,
    RecordKind,
    Rep,
    SalesLine,
    Territory,
    TerritoryOwner,
)
from terraplan.errors import DataError, InvalidParameterError
from terraplan.planning.targets import (
    Adjustment,
    TargetMethod,
    parse_adjustment,
    parse_method,
    set_targets,
)

LEAVES = ("T1", "T2", "T3", "T4")


def _plan(owners: dict[str, tuple[TerritoryOwner, ...]] | None = None) -> Plan:
    owners = owners if owners is not None else {t: (TerritoryOwner(f"r{t[1]}"),) for t in LEAVES}
    territories = [
        Territory("R1", "West", level="region"),
        Territory("R2", "East", level="region"),
        Territory("D1", "Rockies", parent_id="R1", level="district"),
        Territory("D2", "Coast", parent_id="R1", level="district"),
        Territory("D3", "Boston", parent_id="R2", level="district"),
    ]
    parents = {"T1": "D1", "T2": "D1", "T3": "D2", "T4": "D3"}
    territories += [Territory(t, t, parent_id=parents[t], owners=owners.get(t, ())) for t in LEAVES]
    alignment = tuple(AlignmentEntry(RecordKind.ACCOUNT, f"A{t}", t) for t in LEAVES)
    return Plan("P", "Plan", territories=tuple(territories), alignment=alignment)


def _accounts(potential: dict[str, float] | None = None) -> list[Account]:
    potential = potential or {"T1": 400.0, "T2": 300.0, "T3": 200.0, "T4": 100.0}
    return [Account(f"A{t}", t, potential=potential[t]) for t in LEAVES]


def _sales(per_month: dict[str, float] | None = None, year: int = 2025) -> list[SalesLine]:
    per_month = per_month or {"T1": 100.0, "T2": 100.0, "T3": 50.0, "T4": 50.0}
    return [
        SalesLine(f"{t}-{m}", f"A{t}", date(year, m, 15), amount)
        for t, amount in per_month.items()
        for m in range(1, 13)
    ]


def _reps() -> list[Rep]:
    return [Rep(f"r{i}", f"Rep {i}") for i in range(1, 5)]


def _check_exact(result: object) -> None:
    plan = result  # TargetPlan
    by_id = {t.territory_id: t for t in plan.territories}  # type: ignore[attr-defined]
    tops = [t for t in by_id.values() if t.parent_id is None]
    assert sum(t.final for t in tops) == pytest.approx(
        plan.company_target  # type: ignore[attr-defined]
        + sum(t.adjustment + t.rebalance for t in by_id.values()),
        abs=1e-6,
    )
    for node in by_id.values():
        kids = [t for t in by_id.values() if t.parent_id == node.territory_id]
        if kids:
            assert sum(k.final for k in kids) == node.final
            assert sum(k.top_down for k in kids) == node.top_down
        assert sum(node.months) == node.final


def test_blend_sums_exactly_at_every_level_month_and_rep() -> None:
    result = set_targets(
        _plan(), _accounts(), _sales(), _reps(), company_target="1.2M", period=2026, growth="8%"
    )
    _check_exact(result)
    assert result.company_target == 1_200_000
    leaves = {t.territory_id: t for t in result.territories if t.is_leaf}
    # history shares .4/.4/.2/.2... normalised: (1200,1200,600,600)/3600; potential .4/.3/.2/.1
    share = {"T1": 0.6 / 3 + 0.16, "T2": 0.6 / 3 + 0.12, "T3": 0.1 + 0.08, "T4": 0.1 + 0.04}
    for tid, s in share.items():
        assert leaves[tid].final == pytest.approx(1_200_000 * s, abs=1000)
        assert leaves[tid].final % 1000 == 0
    reps = dict(result.reps)
    assert sum(reps["r1"]) == leaves["T1"].final
    assert result.to_dict()["company_target"] == 1_200_000
    # Domain targets: 9 nodes (regions, districts, leaves) for the year and 12 months + 4
    # reps x 13. A region had its year only, which KPIs spread by days: its months were not
    # its territories' seasonal months added up.
    assert len(result.targets) == 9 * 13 + 52
    march = {t.territory_id: t.amount for t in result.targets if t.id.endswith("/2026-03")}
    assert march["R1"] == march["T1"] + march["T2"] + march["T3"]
    assert march["D1"] == march["T1"] + march["T2"] and march["R2"] == march["T4"]
    year_t1 = next(t for t in result.targets if t.id == "P/T1/2026-01..2026-12")
    assert year_t1.amount == leaves["T1"].final
    assert year_t1.period_start == date(2026, 1, 1) and year_t1.period_end == date(2026, 12, 31)
    jan = [t for t in result.targets if t.id.endswith("/2026-01") and t.territory_id in leaves]
    assert sum(t.amount for t in jan) == sum(t.months[0] for t in leaves.values())


@st.composite
def _hierarchies(draw: st.DrawFn) -> tuple[Plan, list[Account], int]:
    n = draw(st.integers(1, 25))
    parents = [draw(st.integers(-1, i - 1)) if i else -1 for i in range(n)]
    territories = tuple(
        Territory(f"N{i}", f"N{i}", parent_id=None if p < 0 else f"N{p}")
        for i, p in enumerate(parents)
    )
    leaves = [f"N{i}" for i in range(n) if i not in parents]
    pots = draw(st.lists(st.floats(0.0, 1e7), min_size=len(leaves), max_size=len(leaves)))
    accounts = [Account(f"A{t}", t, potential=p) for t, p in zip(leaves, pots, strict=True)]
    alignment = tuple(AlignmentEntry(RecordKind.ACCOUNT, f"A{t}", t) for t in leaves)
    total = draw(st.integers(1, 10**7)) * 1000  # a company target is more than 0
    return Plan("P", "P", territories=territories, alignment=alignment), accounts, total


@settings(max_examples=40, deadline=None)
@given(_hierarchies())
def test_top_down_is_exact_for_random_hierarchies(case: tuple[Plan, list[Account], int]) -> None:
    plan, accounts, total = case
    potential_total = sum(a.potential or 0.0 for a in accounts)
    if potential_total == 0:
        with pytest.raises(DataError, match="potential is 0 in every territory"):
            set_targets(plan, accounts, [], company_target=total, method="potential", period=2026)
        return
    result = set_targets(
        plan,
        accounts,
        [],
        company_target=total,
        method="potential",
        period=2026,
        seasonality="flat",
    )
    _check_exact(result)
    assert sum(t.final for t in result.territories if t.parent_id is None) == total


def test_seasonality_from_history_given_profile_and_quarters() -> None:
    # Sales only in January, in data that runs to the end of 2025 (a zero line on 31 Dec):
    # the other months are covered and had no sales, so they get nothing.
    january_only = [SalesLine(f"s{t}", f"A{t}", date(2025, 1, 5), 10.0) for t in LEAVES]
    january_only.append(SalesLine("end", "AT1", date(2025, 12, 31), 0.0))
    result = set_targets(
        _plan(), _accounts(), january_only, company_target=12_000, period=2026, unit=1
    )
    t1 = next(t for t in result.territories if t.territory_id == "T1")
    assert t1.months[0] == t1.final and sum(t1.months[1:]) == 0
    profile = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    flat = set_targets(
        _plan(), _accounts(), _sales(), company_target=12_000, period=2026, unit=1,
        seasonality=profile,
    )  # fmt: skip
    for t in flat.territories:
        assert sum(t.months) == t.final
        assert max(t.months) - min(t.months) <= 1
    quarters = set_targets(
        _plan(), _accounts(), _sales(), company_target=12_000, period=2026, unit=1,
        seasonality="4,3,2,1",
    )  # fmt: skip
    row = next(r for r in quarters.quarterly_rows() if r["territory_id"] == "T1")
    t1q = next(t for t in quarters.territories if t.territory_id == "T1")
    assert row["Q1"] == pytest.approx(0.4 * t1q.final, abs=3)
    assert row["Q1"] + row["Q2"] + row["Q3"] + row["Q4"] == t1q.final


def test_quarterly_seasonality_follows_the_fiscal_quarters() -> None:
    # February start: "4,3,2,1" puts 40 % in February-April (fiscal Q1), not January-March
    result = set_targets(
        _plan(), _accounts(), _sales(), company_target=12_000, period="FY2027", unit=1,
        seasonality="4,3,2,1", fiscal=2,
    )  # fmt: skip
    assert result.months[0] == "2026-02" and result.months[-1] == "2027-01"
    for t in result.territories:
        assert sum(t.months) == t.final
        assert sum(t.months[:3]) == pytest.approx(0.4 * t.final, abs=3)  # Feb, Mar, Apr
        assert sum(t.months[9:]) == pytest.approx(0.1 * t.final, abs=3)  # Nov, Dec, Jan


def test_quarter_period_and_own_territory_pattern() -> None:
    result = set_targets(
        _plan(), _accounts(), _sales(year=2025), company_target=9000, unit=1,
        period=(date(2026, 1, 1), date(2026, 3, 31)), seasonality="territory",
        history_period=(date(2025, 1, 1), date(2025, 12, 31)),
    )  # fmt: skip
    assert result.months == ("2026-01", "2026-02", "2026-03")
    _check_exact(result)


def test_history_method_without_company_number_uses_bottom_up() -> None:
    result = set_targets(_plan(), _accounts(), _sales(), method="history", growth=0.1, period=2026)
    # 3,600 of history x 1.1 = 3,960, kept whole: the rounding unit follows the figures.
    assert result.bottom_up == pytest.approx(3960.0)
    assert result.company_target == 3960
    assert any(
        "no company target given; using the bottom-up figure 3,960" in w for w in result.warnings
    )


def test_adjustments_are_a_separate_layer() -> None:
    adjust = [Adjustment("T4", 20_000, "renewal of a large contract")]
    result = set_targets(
        _plan(), _accounts(), _sales(), company_target=1_200_000, period=2026, adjustments=adjust
    )
    t4 = next(t for t in result.territories if t.territory_id == "T4")
    assert t4.final == t4.top_down + 20_000
    assert t4.reason == "renewal of a large contract"
    assert sum(t.top_down for t in result.territories if t.parent_id is None) == 1_200_000
    assert any(
        "bottom-up adjustments add +20,000: the final total 1,220,000 differs from the company "
        "target 1,200,000" in w
        for w in result.warnings
    )
    balanced = set_targets(
        _plan(), _accounts(), _sales(), company_target=1_200_000, period=2026, adjustments=adjust,
        rebalance_adjustments=True,
    )  # fmt: skip
    assert sum(t.final for t in balanced.territories if t.parent_id is None) == 1_200_000
    others = [t for t in balanced.territories if t.is_leaf and t.territory_id != "T4"]
    assert sum(t.rebalance for t in others) == -20_000
    _check_exact(balanced)


def test_adjustments_name_territories_as_the_user_knows_them() -> None:
    """An adjustment for "Territory 05" failed "not a leaf territory": only ids were read,
    where other commands take a territory's name too."""
    plan = _plan()
    plan = replace(
        plan,
        territories=tuple(
            replace(t, name={"T4": "Boston  North", "T2": "Twin", "T3": "Twin"}.get(t.id, t.name))
            for t in plan.territories
        ),
    )
    by_name = set_targets(
        plan, _accounts(), _sales(), company_target=1_200_000, period=2026,
        adjustments=[Adjustment("boston north", 20_000, "renewal")],
        contradiction_tolerance=1e9,
    )  # fmt: skip
    t4 = next(t for t in by_name.territories if t.territory_id == "T4")
    assert (t4.adjustment, t4.reason) == (20_000, "renewal")
    with pytest.raises(
        InvalidParameterError, match=r"2 territories are named 'Twin' \(T2, T3\): give the id"
    ):
        set_targets(
            plan, _accounts(), _sales(), company_target=1_200_000, period=2026,
            adjustments=[Adjustment("Twin", 20_000, "renewal")],
        )  # fmt: skip


def test_capacity_adjusted_targets_give_ramping_reps_less() -> None:
    reps = [Rep("r1", "Old"), Rep("r2", "New", hire_date=date(2026, 1, 1))]
    owners = {"T1": (TerritoryOwner("r1"),), "T2": (TerritoryOwner("r2"),)}
    equal = {"T1": 100.0, "T2": 100.0, "T3": 100.0, "T4": 100.0}
    plain = set_targets(
        _plan(owners), _accounts(equal), [], reps, company_target=400_000, method="potential",
        period=2026,
    )  # fmt: skip
    adjusted = set_targets(
        _plan(owners), _accounts(equal), [], reps, company_target=400_000,
        method="potential+capacity", period=2026, ramp_months=6,
    )  # fmt: skip
    get = {t.territory_id: t for t in adjusted.territories}
    assert {t.territory_id: t.final for t in plain.territories if t.is_leaf}["T2"] == 100_000
    # New rep ramps 1/6 .. 6/6 over the first six months: mean over the year 0.7917.
    assert get["T2"].productivity == pytest.approx((3.5 / 6 * 6 + 6) / 12)
    assert get["T2"].final < 100_000 < get["T1"].final
    assert sum(t.final for t in adjusted.territories if t.is_leaf) == 400_000


def test_shared_territory_splits_by_owner_share() -> None:
    owners = {
        t: (TerritoryOwner("r1", share=0.75), TerritoryOwner("r2", share=0.25)) for t in LEAVES
    }
    result = set_targets(_plan(owners), _accounts(), _sales(), company_target=100_000, period=2026)
    reps = {r: sum(v) for r, v in result.reps}
    assert reps["r1"] + reps["r2"] == 100_000
    assert reps["r1"] == pytest.approx(75_000, abs=12 * 4 * 1000)


def test_fairness_report_hand_checked() -> None:
    result = set_targets(
        _plan(), _accounts(), _sales(), _reps(), company_target=3_600_000, method="history",
        growth=0.0, period=2026, attainability_threshold=1.0, unit=1,
    )  # fmt: skip
    rows = {r["territory_id"]: r for r in result.fairness.rows}
    # History-proportional targets scaled x1000: target/history 1000 everywhere.
    assert rows["T1"]["target_to_history"] == pytest.approx(1000.0)
    assert result.fairness.cv_target_to_history == pytest.approx(0.0, abs=1e-12)
    assert result.fairness.gini_target_to_history == pytest.approx(0.0, abs=1e-12)
    assert result.fairness.attainable_share_territories == 0.0
    assert result.fairness.attainable_share_reps == 0.0
    easy = set_targets(
        _plan(), _accounts(), _sales(), _reps(), company_target=3000, method="history",
        growth=0.0, period=2026, unit=1,
    )  # fmt: skip
    assert easy.fairness.attainable_share_territories == 1.0
    assert rows["T1"]["target_to_potential"] == pytest.approx(rows["T1"]["target"] / 400.0)


def test_rounding_to_the_unit_does_not_make_a_target_out_of_reach() -> None:
    """With method history every target is history x growth rounded to whole units; T4's
    came out $33 above it and counted as out of reach (75 % "reach their target"): rounding
    noise, not a harder target."""
    sales = _sales({"T1": 3333.37, "T2": 4061.13, "T3": 2519.91, "T4": 1777.77})
    result = set_targets(
        _plan(), _accounts(), sales, _reps(), method="history", growth="10%", period=2026,
        unit=100,
    )  # fmt: skip
    rows = {r["territory_id"]: r for r in result.fairness.rows}
    assert rows["T4"]["target"] > rows["T4"]["history"] * 1.1  # rounded up: 23,500
    assert result.fairness.attainable_share_territories == 1.0
    assert result.fairness.attainable_share_reps == 1.0
    # three levels (region, district, territory): the rounding may add under a unit at each
    # and half a unit to the company number; the allowance is said
    assert result.fairness.rounding_allowance == 400
    assert result.to_dict()["fairness"]["rounding_allowance"] == 400  # type: ignore[index]
    # a target more than the rounding above history x growth is still out of reach
    harder = set_targets(
        _plan(), _accounts(), sales, _reps(), method="history", growth="10%", period=2026,
        unit=100, company_target="160k",
    )  # fmt: skip
    assert harder.fairness.attainable_share_territories == 0.0


def test_missing_history_zero_potential_and_negative_growth_are_warned() -> None:
    sales = [line for line in _sales() if line.account_id != "AT4"]
    result = set_targets(
        _plan(), _accounts({"T1": 400.0, "T2": 0.0, "T3": 200.0, "T4": 100.0}), sales,
        company_target=1_000_000, growth="-5%", period=2026, contradiction_tolerance=1e9,
    )  # fmt: skip
    text = " | ".join(result.warnings)
    assert "growth is negative (-5.0%): targets fall below last period's sales" in text
    assert (
        "1 territory(ies) have no sales history (e.g. 'T4'); their history part uses potential x 5.0000"
        in text
    )
    assert (
        "1 territory(ies) have zero potential (e.g. 'T2'); they get nothing from the potential part"
        in text
    )
    assert result.fairness.territories_without_history == 1
    assert (
        next(r for r in result.fairness.rows if r["territory_id"] == "T2")["target_to_potential"]
        is None
    )


def test_company_number_contradicting_bottom_up() -> None:
    kwargs = {"company_target": "5k", "period": 2026, "growth": 0.08}
    result = set_targets(_plan(), _accounts(), _sales(), **kwargs)  # type: ignore[arg-type]
    assert any(
        "company target 5,000 is 28.6% above the bottom-up sum 3,888 (history x 1.08), beyond the "
        "15% tolerance" in w
        for w in result.warnings
    )
    with pytest.raises(DataError, match=r"company target 5,000 is 28\.6% above"):
        set_targets(_plan(), _accounts(), _sales(), on_contradiction="error", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"growth": "-100%"}, InvalidParameterError, r"growth must be > -100%, got -100.0%"),
        ({"company_target": 1_234_567, "unit": 1000}, InvalidParameterError, r"not a whole multiple of the rounding unit 1,000"),
        ({"company_target": "lots"}, InvalidParameterError, r"company_target: cannot read 'lots'"),
        ({"company_target": 0}, InvalidParameterError, r"company_target must be more than 0, got 0"),
        ({"growth": "8"}, InvalidParameterError, r"growth 8 reads as \+800%: write 8% for 8 percent \(or 0.08\)"),
        ({"growth": "-3"}, InvalidParameterError, r"growth -3 reads as -300%: write -3%"),
        ({"method": "magic"}, InvalidParameterError, r"method: cannot read 'magic'"),
        ({"method": "blend:history=0,potential=0"}, InvalidParameterError, r"weights are both 0"),
        ({"method": "potential+capacity"}, InvalidParameterError, r"\+capacity needs the reps"),
        ({"period": (date(2026, 1, 2), date(2026, 3, 31))}, InvalidParameterError, r"must run from the first day of a month"),
        ({"seasonality": [1, 2, 3]}, InvalidParameterError, r"12 monthly \(Jan..Dec\) or 4 quarterly \(fiscal Q1..Q4\) weights"),
        ({"period": 0}, InvalidParameterError, r"period year must be between 1900 and 9999"),
        ({"adjustments": [Adjustment("T1", "1k", "x")]}, InvalidParameterError, r"amount must be a number"),
        ({"seasonality": "weather"}, InvalidParameterError, r"seasonality must be history, territory, flat"),
        ({"adjustments": [Adjustment("T1", 1000, " ")]}, InvalidParameterError, r"adjustment for 'T1' needs a reason"),
        ({"adjustments": [Adjustment("D1", 1000, "x")]}, InvalidParameterError, r"adjustment for 'D1': Rockies is a district, not a territory: adjust one of its territories \(T1, T2\)"),
        ({"adjustments": [Adjustment("nowhere", 1000, "x")]}, InvalidParameterError, r"adjustment for 'nowhere': the plan has no territory of that name or id \(its territories: T1, T2, T3, T4\)"),
        ({"adjustments": [Adjustment("T4", -9_000_000, "lost")]}, DataError, r"adjustment for 'T4' \(-9,000,000\) exceeds its top-down target"),
    ],
)  # fmt: skip
def test_bad_input_messages(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    args: dict[str, object] = {
        "company_target": 1_000_000,
        "period": 2026,
        "contradiction_tolerance": 1e9,
    }
    args.update(kwargs)
    with pytest.raises(error, match=message):
        set_targets(_plan(), _accounts(), _sales(), **args)  # type: ignore[arg-type]


def test_a_growth_written_as_a_rate_or_a_percentage_is_taken() -> None:
    """ "8%", "0.08" and 0.08 are one growth; "800%" is taken as asked."""
    figures = {
        repr(growth): set_targets(
            _plan(), _accounts(), _sales(), growth=growth, period=2026, method="history", unit=1
        ).company_target
        for growth in ("8%", "0.08", 0.08)
    }
    assert len(set(figures.values())) == 1, figures
    wild = set_targets(
        _plan(), _accounts(), _sales(), growth="800%", period=2026, method="history", unit=1
    )
    assert wild.company_target == pytest.approx(next(iter(figures.values())) / 1.08 * 9, rel=1e-3)


def test_potential_method_needs_a_company_number_without_history() -> None:
    with pytest.raises(
        InvalidParameterError, match="company_target is required: there is no sales history"
    ):
        set_targets(_plan(), _accounts(), [], method="potential", period=2026)
    with pytest.raises(DataError, match="no territory has revenue history in 2025 "):
        set_targets(_plan(), _accounts(), [], method="history", company_target=1000, period=2026)


def test_parse_method_forms() -> None:
    assert parse_method("history") == TargetMethod(1.0, 0.0)
    assert parse_method("potential+capacity") == TargetMethod(0.0, 1.0, True)
    assert parse_method("blend:history=0.6,potential=0.4") == TargetMethod(0.6, 0.4)
    assert str(parse_method("blend:history=0.7,potential=0.3+capacity")) == (
        "blend:history=0.7,potential=0.3+capacity"
    )
    with pytest.raises(InvalidParameterError, match=r"method: unknown key 'growth'"):
        parse_method("blend:growth=1")


def test_parse_adjustment() -> None:
    assert parse_adjustment("T1:+50k:renewal: 3 years") == Adjustment(
        "T1", 50_000, "renewal: 3 years"
    )
    assert parse_adjustment("T2:-1.5M:lost account").amount == -1_500_000
    with pytest.raises(InvalidParameterError, match=r"'T1:5k' is not TERRITORY:AMOUNT:REASON"):
        parse_adjustment("T1:5k")


def test_fiscal_year_targets_take_the_fiscal_months() -> None:
    """With a February fiscal year, FY2027 (or 2027 as a year, or the default year after the
    history) runs from February 2026 to January 2027; FY2027Q1 is February to April 2026."""
    args = (_plan(), _accounts(), _sales(year=2025))
    by_text = set_targets(*args, company_target=12_000, unit=1, period="FY2027", fiscal=2)
    assert (by_text.period_start, by_text.period_end) == (date(2026, 2, 1), date(2027, 1, 31))
    assert by_text.months[0] == "2026-02" and by_text.months[-1] == "2027-01"
    by_year = set_targets(*args, company_target=12_000, unit=1, period=2027, fiscal=2)
    assert (by_year.period_start, by_year.period_end) == (date(2026, 2, 1), date(2027, 1, 31))
    # history to 2025-12: the next fiscal year after FY2026 (Feb 2025 - Jan 2026) is FY2027
    default = set_targets(*args, company_target=12_000, unit=1, fiscal=2, as_of=date(2026, 1, 5))
    assert (default.period_start, default.period_end) == (date(2026, 2, 1), date(2027, 1, 31))
    quarter = set_targets(*args, company_target=3000, unit=1, period="FY2027Q1", fiscal=2)
    assert quarter.months == ("2026-02", "2026-03", "2026-04")
    _check_exact(quarter)
    with pytest.raises(InvalidParameterError, match="ambiguous"):
        set_targets(*args, company_target=3000, period="2027", fiscal=2)
    with pytest.raises(InvalidParameterError, match="a year, a quarter or a month"):
        set_targets(*args, company_target=3000, period="YTD", fiscal=2)
    calendar = set_targets(*args, company_target=12_000, unit=1, period="2027")
    assert (calendar.period_start, calendar.period_end) == (date(2027, 1, 1), date(2027, 12, 31))


def test_a_quarter_grows_from_the_same_quarter_a_year_earlier() -> None:
    """Q4 "+8 %" grew from Q3 and came out below last year's Q4: it now grows from Q4 of the
    year before when the data holds it, and says so."""
    peak = [  # Q4 2025 sells 200 more per territory and month than the rest of the year
        SalesLine(f"P{t}{m}", f"A{t}", date(2025, m, 20), 200.0)
        for t in ("T1", "T2", "T3", "T4")
        for m in (10, 11, 12)
    ]
    sales = [*_sales(year=2025), *peak, *(s for s in _sales(year=2026) if s.date.month < 10)]
    result = set_targets(
        _plan(), _accounts(), sales, growth="8%", method="history", unit=1,
        period=(date(2026, 10, 1), date(2026, 12, 31)),
    )  # fmt: skip
    assert result.basis.window == "2025-10-01 to 2025-12-31, the same months a year earlier"
    q4_2025 = 3 * (100 + 100 + 50 + 50) + 3 * 4 * 200  # 3,300
    assert result.company_target == pytest.approx(q4_2025 * 1.08, abs=1)  # not Q3 2026 x 1.08


def test_owners_with_equal_shares_end_the_year_within_one_unit() -> None:
    """Each month's odd unit went to the first owner listed, every month (191,500 against
    190,900 for two equal owners): the year now ends within one unit, every month exact."""
    owners = {t: (TerritoryOwner("r1"), TerritoryOwner("r2")) for t in LEAVES}
    result = set_targets(
        _plan(owners), _accounts(), _sales(), company_target=100_700, period=2026, unit=100
    )
    months = dict(result.reps)
    assert abs(sum(months["r1"]) - sum(months["r2"])) <= 100
    assert sum(months["r1"]) + sum(months["r2"]) == 100_700
    _check_exact(result)


def test_a_rep_hired_in_may_carries_no_target_before_may_and_a_ramp_after() -> None:
    """With ``+capacity``, a territory's months follow its owner's productivity month by
    month: nothing before the hire month, then the ramp (the year's average spread over
    every month gave 44,700 of targets for the three months before the hire)."""
    reps = [Rep("r1", "Old"), Rep("r2", "New", hire_date=date(2026, 5, 15))]
    owners = {"T1": (TerritoryOwner("r1"),), "T2": (TerritoryOwner("r2"),)}
    equal = {"T1": 100.0, "T2": 100.0, "T3": 100.0, "T4": 100.0}
    result = set_targets(
        _plan(owners), _accounts(equal), [], reps, company_target=400_000,
        method="potential+capacity", period=2026, ramp_months=3, seasonality="flat", unit=1,
    )  # fmt: skip
    months = dict(result.reps)["r2"]
    assert list(months[:4]) == [0, 0, 0, 0]  # January to April
    assert 0 < months[4] < months[5] < months[6]  # May ramps up
    assert max(months[6:]) - min(months[6:]) <= 1  # then the full months, flat
    _check_exact(result)
    old = dict(result.reps)["r1"]
    assert max(old) - min(old) <= 1  # flat for the rep there all year


def test_capacity_adjusted_bottom_up_is_the_one_the_targets_are_built_on() -> None:
    """With ``+capacity`` the targets rest on history x growth x the owners' productivity,
    but the company number was checked against (and by default was) plain history x growth:
    a company target 20 % above what the territories can sell passed as 11 %."""
    # r4 (T4, 600 a year) is hired in January and ramps 1/12 .. 12/12 over the year: 6.5/12
    # (hired later, the territory's months before the hire would stay whole)
    reps = [*_reps()[:3], Rep("r4", "Rep 4", hire_date=date(2026, 1, 1))]
    checked = set_targets(
        _plan(), _accounts(), _sales(), reps, company_target=4000, method="history+capacity",
        growth=0.0, period=2026, ramp_months=12, unit=1,
    )  # fmt: skip
    assert checked.bottom_up == pytest.approx(1200 + 1200 + 600 + 600 * 6.5 / 12)
    gap = [w for w in checked.warnings if "bottom-up" in w]
    assert gap and "20.3% above the bottom-up sum 3,325" in gap[0], checked.warnings
    assert "productivity" in gap[0]
    default = set_targets(
        _plan(), _accounts(), _sales(), reps, method="history+capacity", growth=0.0,
        period=2026, ramp_months=12, unit=1,
    )  # fmt: skip
    assert default.company_target == 3325
    finals = {t.territory_id: t.final for t in default.territories if t.is_leaf}
    assert finals == {"T1": 1200, "T2": 1200, "T3": 600, "T4": 325}


def test_capacity_adjusted_productivity_weighs_each_month_by_its_season() -> None:
    """A med-device book sells half its year in December; T4's rep, hired in October, ramps
    over 3 months (1/3, 2/3, then full in December; the months before the hire count whole).
    The territory's productivity was the plain mean of its months, 11/12 = 0.9167, as if
    October weighed as much as December; its months are split by season, so its productivity
    weighs them so too: 2,100 / 2,200 = 0.9545."""
    sales = [
        SalesLine(f"{t}-{m}", f"A{t}", date(2025, m, 15), 1100.0 if m == 12 else 100.0)
        for t in LEAVES
        for m in range(1, 13)
    ]
    reps = [*_reps()[:3], Rep("r4", "Rep 4", hire_date=date(2026, 10, 1))]
    result = set_targets(
        _plan(), _accounts(), sales, reps, method="history+capacity", growth=0.0,
        period=2026, ramp_months=3, unit=1,
    )  # fmt: skip
    season = [100.0] * 11 + [1100.0]
    ramp = [1.0] * 9 + [1 / 3, 2 / 3, 1.0]
    expected = sum(s * p for s, p in zip(season, ramp, strict=True)) / sum(season)
    assert expected == pytest.approx(0.954545, abs=1e-6)
    basis = {t.territory_id: t for t in result.territories if t.is_leaf}
    assert basis["T4"].productivity == pytest.approx(expected)
    assert result.bottom_up == pytest.approx(3 * 2200 + 2200 * expected)
    finals = {t.territory_id: t.final for t in result.territories if t.is_leaf}
    assert finals["T4"] == round(2200 * expected)


def test_capacity_adjusted_targets_with_history_and_shared_owners() -> None:
    """``+capacity`` with sales history: each rep's history share counts their year's
    average weight (month-by-month weights crashed the rep history)."""
    reps = [Rep("r1", "Old"), Rep("r2", "New", hire_date=date(2026, 7, 1))]
    owners = {t: (TerritoryOwner("r1"), TerritoryOwner("r2")) for t in LEAVES}
    result = set_targets(
        _plan(owners), _accounts(), _sales(), reps, company_target=1_000_000,
        method="blend:history=0.6,potential=0.4+capacity", period=2026, ramp_months=3,
    )  # fmt: skip
    _check_exact(result)
    months = dict(result.reps)
    assert list(months["r2"][:6]) == [0] * 6 and sum(months["r1"]) > sum(months["r2"]) > 0
