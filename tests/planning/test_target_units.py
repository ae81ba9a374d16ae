"""The rounding unit of targets follows the figures, so the growth asked for survives it."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

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
from terraplan.planning.target_units import choose_unit
from terraplan.planning.targets import Adjustment, TargetPlan, set_targets


def _plan() -> Plan:
    territories = (
        Territory("R", "Company", level="region"),
        Territory("N", "North", parent_id="R", owners=(TerritoryOwner("r1"),)),
        Territory("S", "South", parent_id="R", owners=(TerritoryOwner("r1"), TerritoryOwner("r2"))),
    )
    alignment = (
        AlignmentEntry(RecordKind.ACCOUNT, "AN", "N"),
        AlignmentEntry(RecordKind.ACCOUNT, "AS", "S"),
    )
    return Plan("P", "Small", territories=territories, alignment=alignment)


def _inputs(per_month: dict[str, float]) -> tuple[list[Account], list[SalesLine], list[Rep]]:
    accounts = [Account("AN", "Northwind"), Account("AS", "Southco")]
    lines = [
        SalesLine(f"{a}-{m}", a, date(2026, m, 10), amount)
        for a, amount in per_month.items()
        for m in range(1, 13)
    ]
    return accounts, lines, [Rep("r1", "Ann Lee"), Rep("r2", "Bo Chan")]


def _check_exact(result: TargetPlan) -> None:
    by_id = {t.territory_id: t for t in result.territories}
    assert by_id["R"].final == by_id["N"].final + by_id["S"].final == result.company_target
    for t in by_id.values():
        assert sum(t.months) == t.final
    assert sum(sum(months) for _, months in result.reps) == result.company_target
    for t in result.targets:
        assert t.amount == pytest.approx(round(t.amount / result.unit) * result.unit)


def test_small_figures_get_the_growth_asked_for() -> None:
    # History 6,000 and 600 with 5 % growth used to give 6,000 (+0 %) and 1,000 (+67 %): the
    # fixed 1,000 unit rounded the small figures away. Months were 0 or 1,000.
    accounts, lines, reps = _inputs({"AN": 500.0, "AS": 50.0})
    result = set_targets(
        _plan(), accounts, lines, reps, method="history", growth="5%", period=2027,
        as_of=date(2027, 1, 5),
    )  # fmt: skip
    finals = {t.territory_id: t.final for t in result.territories}
    assert finals == {"R": 6930.0, "N": 6300.0, "S": 630.0}
    assert result.unit == 1
    south = next(t for t in result.territories if t.territory_id == "S")
    assert all(52 <= m <= 53 for m in south.months)
    _check_exact(result)
    assert not any("rounding to whole" in w for w in result.warnings)


def test_ten_percent_growth_is_ten_percent_at_every_territory() -> None:
    # The audit's +14 % and +20 % for --growth 10 % on a few thousand of history.
    accounts, lines, reps = _inputs({"AN": 333.0, "AS": 200.0})
    result = set_targets(
        _plan(), accounts, lines, reps, method="history", growth="10%", period=2027,
        as_of=date(2027, 1, 5),
    )  # fmt: skip
    for t in result.territories:
        assert t.history is None or t.final / t.history - 1 == pytest.approx(0.10, abs=0.001)
    _check_exact(result)


def test_large_figures_keep_whole_thousands() -> None:
    accounts, lines, reps = _inputs({"AN": 5e6, "AS": 2e6})
    result = set_targets(
        _plan(), accounts, lines, reps, company_target="96M", method="history", period=2027,
        as_of=date(2027, 1, 5),
    )  # fmt: skip
    assert result.unit == 1000
    _check_exact(result)


def test_the_unit_divides_the_company_number_and_the_adjustments() -> None:
    accounts, lines, reps = _inputs({"AN": 5e6, "AS": 2e6})
    result = set_targets(
        _plan(), accounts, lines, reps, company_target=84_000_070, method="history",
        period=2027, adjustments=[Adjustment("N", 1_500, "renewal")], as_of=date(2027, 1, 5),
    )  # fmt: skip
    assert result.unit == 10  # 84,000,070 and 1,500 are whole tens, not hundreds
    assert result.company_target == 84_000_070
    north = next(t for t in result.territories if t.territory_id == "N")
    assert north.adjustment == 1_500


def test_a_unit_given_that_distorts_the_targets_is_noted() -> None:
    accounts, lines, reps = _inputs({"AN": 500.0, "AS": 50.0})
    result = set_targets(
        _plan(), accounts, lines, reps, method="history", growth="5%", period=2027,
        unit=1000, as_of=date(2027, 1, 5),
    )  # fmt: skip
    _check_exact(result)  # still exact, in whole thousands as asked
    notes = [w for w in result.warnings if "rounding to whole 1,000s" in w]
    assert len(notes) == 1
    assert "moves targets by up to" in notes[0] and "use a smaller rounding unit" in notes[0]
    accounts, lines, reps = _inputs({"AN": 5e6, "AS": 2e6})
    large = set_targets(
        _plan(), accounts, lines, reps, method="history", growth="5%", period=2027,
        unit=1000, as_of=date(2027, 1, 5),
    )  # fmt: skip
    assert not any("rounding to whole" in w for w in large.warnings)


def test_choose_unit() -> None:
    assert choose_unit(np.array([0.0, 250_000.0, 2e6]), [120e6]) == 1000
    assert choose_unit(np.array([99_999.0]), []) == 100
    assert choose_unit(np.array([52.0, 6300.0]), []) == 1
    assert choose_unit(np.array([0.0]), [5000]) == 1000
    assert choose_unit(np.array([1e6]), [123_456]) == 1
