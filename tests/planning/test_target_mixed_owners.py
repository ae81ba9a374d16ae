"""Targets for a year that reaches back over a realignment: each territory's months go to its
owners today, while the KPIs credit each month's sales to the owner of the day, so attainment
by rep compares one rep's target with another's revenue (the audit's Cara Diaz read 31 % on
East's whole-year target, sold by Dan Wu until June; Ben Okafor 149 %). The targets say so,
in names, for the months and territories concerned."""

from __future__ import annotations

from datetime import date

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
    Rep("005A", "Ana Ruiz", hire_date=date(2020, 2, 1)),
    Rep("005C", "Cara Diaz", hire_date=date(2019, 9, 16)),
    Rep("005D", "Dan Wu", hire_date=date(2022, 1, 10), active=False),  # left in May
    Rep("005E", "Eve Lind", hire_date=date(2026, 8, 10)),
]
#: The July realignment: East went from Dan Wu to Cara Diaz; Central's account is Eve
#: Lind's from July, before her hire; West stayed Ana Ruiz's.
SPANS: list[OwnerSpan] = [
    ("001W", "005A", date(2026, 1, 1), None),
    ("001E", "005D", date(2026, 1, 1), date(2026, 6, 30)),
    ("001E", "005C", date(2026, 7, 1), None),
    ("001X", "005A", date(2026, 1, 1), date(2026, 6, 30)),
    ("001X", "005E", date(2026, 7, 1), None),
]


def _targets(spans: list[OwnerSpan], period: int = 2026) -> TargetPlan:
    plan = Plan(
        "P002",
        "FY26 H2",
        territories=(
            Territory("west", "West", owners=(TerritoryOwner("005A"),)),
            Territory("east", "East", owners=(TerritoryOwner("005C"),)),
            Territory("central", "Central", owners=(TerritoryOwner("005E"),)),
        ),
        alignment=tuple(
            AlignmentEntry(RecordKind.ACCOUNT, a, t)
            for a, t in (("001W", "west"), ("001E", "east"), ("001X", "central"))
        ),
    )
    accounts = [Account("001W", "Acme"), Account("001E", "Beta"), Account("001X", "Core")]
    sales = [
        SalesLine(f"{a}-{y}-{m}", a, date(y, m, 15), 1000.0)
        for a in ("001W", "001E", "001X")
        for y in (2025, 2026)
        for m in range(1, 12)
    ]
    return set_targets(
        plan, accounts, sales, REPS, method="history", growth="10%", period=period,
        seasonality="flat", unit=1, owner_spans=spans, as_of=date(2026, 12, 2),
    )  # fmt: skip


def _mixed(result: TargetPlan) -> list[str]:
    return [w for w in result.warnings if w.startswith("by rep, each territory's")]


def test_months_another_rep_owned_are_named_with_both_reps() -> None:
    (note,) = _mixed(_targets(SPANS))
    assert "East 2026-01 to 2026-06 (target to Cara Diaz; Dan Wu owned its accounts then)" in (note)
    # Central's July: its owner then (Eve Lind) was not hired yet, so KPIs credit no rep;
    # January-June were Ana Ruiz's
    assert "Central 2026-01 to 2026-06 (target to Eve Lind; Ana Ruiz owned its" in note
    assert "West" not in note  # one owner all year
    assert "005" not in note  # names, not ids


def test_no_note_when_the_owners_stayed_or_the_period_lies_ahead() -> None:
    stayed: list[OwnerSpan] = [
        ("001W", "005A", date(2026, 1, 1), None),
        ("001E", "005C", date(2026, 1, 1), None),
        ("001X", "005E", date(2026, 1, 1), None),
    ]
    assert _mixed(_targets(stayed)) == []
    assert _mixed(_targets(SPANS, period=2027)) == []  # today's owners own every month
    assert _mixed(_targets([])) == []  # no recorded owners: nothing is known to differ
