"""Targets for a year that reaches back over a realignment. KPIs credit each month's sales to
the owner of the day; the audit's 2026 targets, set after the July realignment, gave each
territory's whole year to its owner today, so by rep Cara Diaz read 31 % on East's whole-year
target (sold by Dan Wu until June), Ben Okafor 149 % and Finn Shaw had none. A territory's
months already begun now go to the rep who owned its accounts then, with a note; where
``+capacity`` still gives a month to another rep than its owner then, a note names it."""

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


def _targets(spans: list[OwnerSpan], period: int = 2026, method: str = "history") -> TargetPlan:
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
        SalesLine(f"{a}-{m}", a, date(2025, m, 15), 1000.0)
        for a in ("001W", "001E", "001X")
        for m in range(1, 13)
    ]
    return set_targets(
        plan, accounts, sales, REPS, method=method, growth="10%", period=period,
        seasonality="flat", unit=1, owner_spans=spans, as_of=date(2026, 12, 2),
    )  # fmt: skip


def _notes(result: TargetPlan, start: str) -> list[str]:
    return [w for w in result.warnings if w.startswith(start)]


def test_months_begun_go_to_the_owner_of_the_day() -> None:
    result = _targets(SPANS)
    reps = {rep: list(months) for rep, months in result.reps}
    # 1,100 a month (1,000 x 1.1, flat): East's first half is Dan Wu's, who sold it then;
    # Cara Diaz carries July on; Central's first half is Ana Ruiz's, beside West all year
    assert reps["005D"] == [1100] * 6 + [0] * 6
    assert reps["005C"] == [0] * 6 + [1100] * 6
    assert reps["005A"] == [2200] * 6 + [1100] * 6
    assert reps["005E"] == [0] * 6 + [1100] * 6  # from July (KPIs count it from her hire)
    assert sum(next(t for t in result.territories if t.name == "East").months) == 13_200
    (east,) = _notes(result, "East:")
    assert east == (
        "East: its months owned by other reps than Cara Diaz are carried by the owner of its "
        "accounts then, whom KPIs credit with their sales: Dan Wu 2026-01 to 2026-06"
    )
    assert not _notes(result, "West:") and not _notes(result, "by rep, each territory's")


def test_capacity_months_given_to_another_rep_than_the_owner_then_are_named() -> None:
    """With ``+capacity`` Eve Lind carries Central from her hire month (August) on, while
    Ana Ruiz owned it to June: January-June are Ana's already; her recorded July, before
    her hire, is no rep's (KPIs credit it to no one), so nothing mixes there. Cara Diaz,
    hired long ago, carries East all year while Dan Wu owned it to June: named."""
    result = _targets(SPANS, method="history+capacity")
    (note,) = _notes(result, "by rep, each territory's")
    assert "East 2026-01 to 2026-06 (target to Cara Diaz; Dan Wu owned its accounts then)" in (note)
    assert "Central" not in note and "005" not in note  # names, not ids


def test_nothing_moves_when_the_owners_stayed_or_the_period_lies_ahead() -> None:
    stayed: list[OwnerSpan] = [
        ("001W", "005A", date(2026, 1, 1), None),
        ("001E", "005C", date(2026, 1, 1), None),
        ("001X", "005E", date(2026, 1, 1), None),
    ]
    for result in (_targets(stayed), _targets(SPANS, period=2027), _targets([])):
        assert not [w for w in result.warnings if "owned" in w]
        assert {rep for rep, _ in result.reps} == {"005A", "005C", "005E"}


def test_next_years_draft_mixes_nothing_in_months_ahead() -> None:
    """Next year's draft gives East to Cara Diaz while the plan in force (its periods still
    open) has Dan Wu on it: the realignment audit's FY27 targets, set on 7 December, said
    every territory's 2027 mixed its new owner with the reps of the plan it replaces
    ('Territory 01 2027-01 to 2027-12 (target to Mona Khan; Ana Ruiz ... owned its accounts
    then)'), though no month of 2027 had an owner yet. With ``+capacity`` the note looks at
    months begun only; 2026's months, begun, are still named."""
    in_force: list[OwnerSpan] = [
        ("001W", "005A", date(2026, 1, 1), None),
        ("001E", "005D", date(2026, 1, 1), None),
        ("001X", "005A", date(2026, 1, 1), None),
    ]
    for method in ("history", "history+capacity"):
        assert not _notes(_targets(in_force, 2027, method), "by rep, each territory's")
    ahead = _targets(in_force, period=2027)
    reps = {rep: sum(months) for rep, months in ahead.reps}
    assert reps["005C"] == 13_200  # East's whole year to its owner next year
    begun = _targets(in_force, period=2026, method="history+capacity")
    (note,) = _notes(begun, "by rep, each territory's")
    assert "East 2026-01 to 2026-12 (target to Cara Diaz; Dan Wu owned its accounts then)" in note
