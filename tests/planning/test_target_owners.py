"""``+capacity`` targets of a territory whose owner is hired during the period: its months
before the hire stay whole, carried by its accounts' owner then (else by no rep), and a note
says so in names (the audit's Northwest read 0 for January-July, -64 % for the year)."""

from __future__ import annotations

from datetime import date

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
from terraplan.planning.target_owners import OwnerSpan
from terraplan.planning.targets import TargetPlan, set_targets

REPS = [
    Rep("R2", "Ben Lee", hire_date=date(2020, 1, 15)),
    Rep("R3", "Cara Diaz", hire_date=date(2018, 6, 1), active=False),  # left since
    Rep("R7", "Gia Hart", hire_date=date(2026, 8, 10)),
]
#: Northwest's account was Cara Diaz's until June, then Gia Hart's (before she was hired).
SPANS: list[OwnerSpan] = [
    ("A3", "R3", date(2026, 1, 1), date(2026, 6, 30)),
    ("A3", "R7", date(2026, 7, 1), None),
    ("A2", "R2", date(2026, 1, 1), None),
]


def _plan() -> Plan:
    territories = (
        Territory("T2", "Hartford", owners=(TerritoryOwner("R2"),)),
        Territory("T3", "Northwest", owners=(TerritoryOwner("R7"),)),
    )
    alignment = (
        AlignmentEntry(RecordKind.ACCOUNT, "A2", "T2"),
        AlignmentEntry(RecordKind.ACCOUNT, "A3", "T3"),
    )
    return Plan("P002", "Plan B", territories=territories, alignment=alignment)


def _targets(spans: list[OwnerSpan], as_of: date = date(2026, 12, 7)) -> TargetPlan:
    """2,000 a month in Hartford and 1,000 in Northwest in 2025; 2026 at +8 %, flat months."""
    accounts = [Account("A2", "Hartford Co"), Account("A3", "Northwest Co")]
    sales = [
        SalesLine(f"{a}-{m}", a, date(2025, m, 15), amount)
        for a, amount in (("A2", 2000.0), ("A3", 1000.0))
        for m in range(1, 13)
    ]
    return set_targets(
        _plan(), accounts, sales, REPS, method="history+capacity", growth="8%", period=2026,
        ramp_months=3, seasonality="flat", unit=1, owner_spans=spans, as_of=as_of,
    )  # fmt: skip


def test_a_territory_keeps_its_months_before_its_new_owners_hire() -> None:
    result = _targets(SPANS)
    northwest = next(t for t in result.territories if t.name == "Northwest")
    # 1,080 a month at +8 %: January-July whole (the owner then carries them, or no rep),
    # then Gia Hart's ramp from her hire month: 1/3, 2/3, then full.
    assert list(northwest.months) == [1080] * 7 + [360, 720, 1080, 1080, 1080]
    assert northwest.final == 11_880 and northwest.productivity == pytest.approx(11 / 12)
    reps = dict(result.reps)
    assert list(reps["R3"]) == [1080] * 6 + [0] * 6  # Cara Diaz: her first half
    assert list(reps["R7"]) == [0] * 7 + [360, 720, 1080, 1080, 1080]  # Gia Hart from August
    # July: the account's owner then (Gia Hart) was not yet hired: no rep carries it
    assert reps["R3"][6] + reps["R7"][6] == 0 < northwest.months[6]
    # the company number is the territories' targets added up, and the bottom-up figure
    hartford = next(t for t in result.territories if t.name == "Hartford")
    assert result.company_target == northwest.final + hartford.final == 25_920 + 11_880
    assert result.bottom_up == pytest.approx(12_000 * 1.08 * (11 / 12) + 24_000 * 1.08)
    note = next(w for w in result.warnings if w.startswith("Northwest:"))
    assert note == (
        "Northwest: Gia Hart (hired 2026-08-10) carries nothing before the hire month; the "
        "territory keeps 2026-01 to 2026-07 in full, carried by Cara Diaz (owner of its "
        "accounts then) 2026-01 to 2026-06; no rep 2026-07"
    )
    # fairness: Northwest's 11,880 against 12,960 of sales x growth, Cara Diaz's first half
    # against its history (6,000 x 1.08) and Gia Hart's ramp against her months' history
    rows = {r["name"]: r for r in result.fairness.rows}
    assert rows["Northwest"]["target_to_history"] == pytest.approx(11_880 / 12_000)
    assert result.fairness.attainable_share_reps == 1.0
    assert result.rep_rows()[1]["name"] == "Cara Diaz"


def test_without_an_owner_on_record_the_months_stay_with_the_territory() -> None:
    result = _targets([])
    northwest = next(t for t in result.territories if t.name == "Northwest")
    assert list(northwest.months[:7]) == [1080] * 7
    assert "R3" not in dict(result.reps)
    assert list(dict(result.reps)["R7"][:7]) == [0] * 7
    assert any(
        w.startswith("Northwest: Gia Hart (hired 2026-08-10)")
        and w.endswith("carried by no rep 2026-01 to 2026-07")
        for w in result.warnings
    ), result.warnings


def test_a_rep_who_left_carries_no_month_from_the_day_targets_are_set() -> None:
    """Cara Diaz is inactive: set on 10 April, her months from May are no rep's (she is
    not there to sell them), though the territory keeps them."""
    result = _targets(SPANS, as_of=date(2026, 4, 10))
    northwest = next(t for t in result.territories if t.name == "Northwest")
    assert list(northwest.months[:7]) == [1080] * 7
    assert list(dict(result.reps)["R3"]) == [1080] * 4 + [0] * 8
    assert any(w.endswith("2026-01 to 2026-04; no rep 2026-05 to 2026-07") for w in result.warnings)
