"""Targets from real histories: partial years, the stated basis, opportunities as revenue."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from terraplan.domain import (
    Account,
    AlignmentEntry,
    Opportunity,
    Plan,
    RecordKind,
    SalesLine,
    Territory,
)
from terraplan.errors import DataError, InvalidParameterError
from terraplan.planning.revenue import parse_source, revenue_frame, revenue_history
from terraplan.planning.targets import set_targets

LEAVES = ("T1", "T2", "T3")
# Monthly sales of each territory: December is the big month, summer is quiet.
SEASON = (80, 90, 100, 100, 100, 70, 60, 70, 100, 110, 130, 190)


def _plan(**dates: date) -> Plan:
    territories = tuple(Territory(t, f"Territory {t}") for t in LEAVES)
    alignment = tuple(AlignmentEntry(RecordKind.ACCOUNT, f"A{t}", t) for t in LEAVES)
    return Plan("P", "Plan", territories=territories, alignment=alignment, **dates)  # type: ignore[arg-type]


def _accounts() -> list[Account]:
    return [Account(f"A{t}", f"Account {t}", potential=1000.0) for t in LEAVES]


def _lines(first: tuple[int, int], last: tuple[int, int]) -> list[SalesLine]:
    """One line per territory and month from ``first`` to ``last`` (year, month): territory
    k sells (k + 1) x the season's figure."""
    out = []
    year, month = first
    while (year, month) <= last:
        for k, t in enumerate(LEAVES):
            amount = (k + 1) * SEASON[month - 1]
            out.append(SalesLine(f"{t}-{year}-{month}", f"A{t}", date(year, month, 20), amount))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _leaves(result: object) -> dict[str, object]:
    return {t.territory_id: t for t in result.territories if t.is_leaf}  # type: ignore[attr-defined]


def test_history_ending_in_october_uses_the_last_12_months_and_keeps_november() -> None:
    # Data from January 2025 to 31 October 2026; targets for 2027 at +8 %.
    lines = _lines((2025, 1), (2026, 10))
    result = set_targets(
        _plan(), _accounts(), lines, company_target="6M", method="history", growth="8%",
        period=2027, unit=1,
    )  # fmt: skip
    basis = result.basis
    assert (basis.kind, basis.start, basis.end) == (
        "last_months",
        date(2025, 11, 1),
        date(2026, 10, 31),
    )
    assert basis.text == "basis: last 12 months to 2026-10-31; revenue: sales lines"
    # Last 12 months = one full season per territory: 1,200 x (1 + 2 + 3) = 7,200.
    assert result.bottom_up == pytest.approx(7200 * 1.08)
    leaves = _leaves(result)
    assert leaves["T1"].history == pytest.approx(1200.0)  # type: ignore[attr-defined]
    for t in leaves.values():
        assert len(t.months) == 12 and min(t.months) > 0  # type: ignore[attr-defined]
        assert sum(t.months) == t.final  # type: ignore[attr-defined]
    assert sum(t.final for t in leaves.values()) == 6_000_000  # type: ignore[attr-defined]
    # December is the biggest month (190 of 1,200), as in every year of the data.
    t3 = leaves["T3"]
    assert t3.months[11] == pytest.approx(t3.final * 190 / 1200, abs=1)  # type: ignore[attr-defined]
    stored = result.to_dict()["basis"]
    assert stored["window"] == "last 12 months to 2026-10-31"  # type: ignore[index]
    assert stored["data_end"] == "2026-10-31"  # type: ignore[index]
    assert result.to_dict()["revenue_source"] == "sales_lines"


def test_a_single_partial_year_is_annualised_and_missing_months_get_the_average() -> None:
    lines = _lines((2026, 1), (2026, 10))
    result = set_targets(
        _plan(), _accounts(), lines, method="history", growth="8%", period=2027, unit=1
    )
    basis = result.basis
    assert (basis.kind, basis.covered, basis.factor) == ("annualised", 10, pytest.approx(1.2))
    assert basis.window == "2026-01-01 to 2026-10-31 annualised from 10 months"
    # Jan..Oct of the season = 880 per unit of territory weight; x 12/10; x 6 units.
    assert result.bottom_up == pytest.approx(880 * 1.2 * 6 * 1.08)
    assert result.company_target == round(880 * 1.2 * 6 * 1.08)
    t1 = _leaves(result)["T1"]
    # Nov and Dec were never in the data: they get the average month (88), not 0.
    assert t1.months[10] == pytest.approx(t1.final * 88 / (880 + 2 * 88), abs=1)  # type: ignore[attr-defined]
    assert any(
        "no revenue history for November, December in any year" in w for w in result.warnings
    )


def test_seasonality_takes_a_month_from_earlier_years_when_the_last_lacks_it() -> None:
    # 2025 complete, 2026 to October: November and December come from 2025 only.
    lines = _lines((2025, 1), (2026, 10))
    result = set_targets(
        _plan(), _accounts(), lines, company_target=120_000, method="potential",
        period=2027, unit=1,
    )  # fmt: skip
    t1 = _leaves(result)["T1"]
    assert t1.months[11] == pytest.approx(t1.final * 190 / 1200, abs=1)  # type: ignore[attr-defined]
    assert not any("in any year" in w for w in result.warnings)


def test_period_defaults_to_effective_dates_else_the_year_after_the_data() -> None:
    lines = _lines((2025, 1), (2026, 10))
    result = set_targets(_plan(), _accounts(), lines, company_target=12_000, unit=1)
    assert (result.period_start, result.period_end) == (date(2027, 1, 1), date(2027, 12, 31))
    fiscal = _plan(effective_from=date(2026, 7, 1), effective_to=date(2027, 6, 30))
    result = set_targets(fiscal, _accounts(), lines, company_target=12_000, unit=1)
    assert result.months[0] == "2026-07" and result.months[-1] == "2027-06"
    # Data runs past the period start: the 12 months before it are complete.
    assert result.basis.kind == "period"
    assert result.basis.window == "2025-07-01 to 2026-06-30"
    with pytest.raises(InvalidParameterError, match="period is required"):
        set_targets(_plan(), _accounts(), [], company_target=12_000, method="potential")


def test_the_month_in_progress_is_not_history() -> None:
    # Today is 2 December 2026; a line on 1 December makes December look like a (tiny) month.
    lines = [*_lines((2025, 1), (2026, 11)), SalesLine("x", "AT1", date(2026, 12, 1), 5.0)]
    result = set_targets(
        _plan(), _accounts(), lines, company_target=12_000, method="history", unit=1,
        as_of=date(2026, 12, 2),
    )  # fmt: skip
    assert result.basis.data_end == date(2026, 11, 30)
    assert result.basis.window == "last 12 months to 2026-11-30"
    assert _leaves(result)["T1"].history == pytest.approx(1200.0)  # type: ignore[attr-defined]


def _opportunities() -> list[Opportunity]:
    """Won, lost and open opportunities, 2025-01 .. 2026-10, for territory T1..T3."""
    out = []
    for line in _lines((2025, 1), (2026, 10)):
        base = {"account_id": line.account_id, "created_date": date(2024, 12, 1)}
        out.append(
            Opportunity(f"W{line.id}", amount=line.amount, stage="Closed Won", is_closed=True,
                        is_won=True, close_date=line.date, **base)  # type: ignore[arg-type]
        )  # fmt: skip
        out.append(
            Opportunity(f"L{line.id}", amount=999.0, stage="Closed Lost", is_closed=True,
                        close_date=line.date, **base)  # type: ignore[arg-type]
        )  # fmt: skip
    out.append(Opportunity("O1", "AT1", date(2026, 1, 1), 5000.0, "Negotiation"))
    # A stage reading "Closed Won" with is_won false: no win, as the KPIs count it (the
    # import reads is_won from the stage when an export has none).
    out.append(
        Opportunity("S1", "AT2", date(2026, 1, 1), 70.0, " closed  WON", is_closed=True,
                    close_date=date(2026, 3, 3))
    )  # fmt: skip
    out.append(
        Opportunity("N1", "AT3", date(2026, 1, 1), 10.0, "Closed Won", is_closed=True, is_won=True)
    )
    return out


def test_opportunities_only_become_revenue_history() -> None:
    history = revenue_history([], _opportunities())
    assert history.source == "opportunities"
    assert history.description == "Closed Won opportunities (amount at close date)"
    assert len(history.lines) == 22 * 3
    assert "S1" not in {line.id for line in history.lines}
    assert history.notes == (
        "1 Closed Won opportunity has no close date and is left out of revenue history",
    )
    result = set_targets(
        _plan(), _accounts(), [], opportunities=_opportunities(), company_target="6M",
        growth="8%", period=2027, unit=1000,
    )  # fmt: skip
    assert result.revenue_source == "opportunities"
    assert result.basis.text == (
        "basis: last 12 months to 2026-10-31; "
        "revenue: Closed Won opportunities (amount at close date)"
    )
    leaves = _leaves(result)
    # T2: 2 x 1,200 of won deals; lost and open ones, and the 70 of a stage reading won
    # with is_won false, not counted.
    assert leaves["T2"].history == pytest.approx(2400.0)  # type: ignore[attr-defined]
    for t in leaves.values():
        assert min(t.months) > 0  # type: ignore[attr-defined]
    assert sum(t.final for t in leaves.values()) == 6_000_000  # type: ignore[attr-defined]
    assert "1 Closed Won opportunity has no close date" in result.warnings[0]


def test_sales_lines_win_over_opportunities_unless_chosen() -> None:
    lines = _lines((2025, 1), (2025, 12))
    assert revenue_history(lines, _opportunities()).source == "sales_lines"
    chosen = revenue_history(lines, _opportunities(), source="opportunities")
    assert chosen.source == "opportunities" and len(chosen.lines) == 66
    assert revenue_history([], _opportunities(), source="sales_lines").lines == ()
    assert revenue_history([], []).source == "none"
    with pytest.raises(DataError, match=r"no territory has revenue history in 2026 \(revenue "
                       r"source: sales lines\)"):  # fmt: skip
        set_targets(
            _plan(), _accounts(), [], opportunities=_opportunities(), revenue_source="sales_lines",
            company_target=1000, period=2027, unit=1,
        )  # fmt: skip
    with pytest.raises(InvalidParameterError, match="revenue source: cannot read 'crm'"):
        parse_source("crm")
    assert parse_source("Sales-Lines") == "sales_lines"


def test_revenue_frame_has_the_sales_line_shape() -> None:
    sales = pl.DataFrame(
        schema={"id": pl.Utf8, "account_id": pl.Utf8, "date": pl.Date, "amount": pl.Float64,
                "product": pl.Utf8}
    )  # fmt: skip
    opps = pl.DataFrame(
        {
            "id": ["W1", "L1", "S1", "N1"],
            "account_id": ["A1", "A1", "A2", "A3"],
            "owner_id": ["u1", "u1", None, None],
            "created_date": [date(2026, 1, 1)] * 4,
            "close_date": [date(2026, 2, 3), date(2026, 2, 4), date(2026, 3, 1), None],
            "stage": ["Closed Won", "Closed Lost", "closed won", "Closed Won"],
            "amount": [100.0, 50.0, 20.0, 5.0],
            "is_closed": [True, True, True, True],
            "is_won": [True, False, False, True],
        }
    )
    result = revenue_frame(sales, opps)
    assert result.source == "opportunities"
    assert result.frame.columns == ["id", "account_id", "date", "amount", "product"]
    assert result.frame.schema["date"] == pl.Date
    assert result.frame.rows() == [("W1", "A1", date(2026, 2, 3), 100.0, None)]
    assert result.notes[0].startswith("1 Closed Won opportunity has no close date")
    with_lines = pl.DataFrame(
        {"id": ["s1"], "account_id": ["A1"], "date": [date(2026, 1, 5)], "amount": [7.5],
         "product": ["X"]}
    )  # fmt: skip
    kept = revenue_frame(with_lines, opps)
    assert (kept.source, kept.frame.rows()) == (
        "sales_lines",
        [("s1", "A1", date(2026, 1, 5), 7.5, "X")],
    )
    assert revenue_frame(with_lines, opps, source="opportunities").frame.height == 1
    assert revenue_frame(sales, None).source == "none"


def test_a_frame_without_is_won_is_read_by_its_stage() -> None:
    """A library user's frame without ``is_won`` (a stage-only export read by hand): a stage
    reading "Closed Won" is the win, any case or spacing."""
    opps = pl.DataFrame(
        {
            "id": ["W1", "L1"],
            "account_id": ["A1", "A2"],
            "close_date": [date(2026, 2, 3), date(2026, 2, 4)],
            "stage": [" closed  WON", "Closed Lost"],
            "amount": [100.0, 50.0],
        }
    )
    sales = pl.DataFrame(
        schema={"id": pl.Utf8, "account_id": pl.Utf8, "date": pl.Date, "amount": pl.Float64}
    )
    result = revenue_frame(sales, opps)
    assert result.frame.select("id", "amount").rows() == [("W1", 100.0)]


def test_a_potential_no_account_carries_is_unknown_not_0() -> None:
    # A Pipedrive/Zoho export has no potential: the targets table read 0 in every row while
    # the KPIs said "no account carries a potential: ... empty (unknown, not 0)".
    lines = _lines((2025, 1), (2026, 10))
    bare = [Account(a.id, a.name) for a in _accounts()]
    result = set_targets(_plan(), bare, lines, method="history", growth="8%", period=2027, unit=1)
    assert result.potential_known is False
    assert {row["potential"] for row in result.rows()} == {None}
    assert result.to_dict()["territories"][0]["potential"] is None  # type: ignore[index]
    assert any("no account carries a potential" in w for w in result.warnings)
    known = set_targets(
        _plan(), _accounts(), lines, method="history", growth="8%", period=2027, unit=1
    )
    assert known.potential_known
    assert 1000.0 in {row["potential"] for row in known.rows()}
    assert not any("no account carries a potential" in w for w in known.warnings)
