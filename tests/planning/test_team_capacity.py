"""Team sizing and the rep-capacity alerts judge a rep by one definition of capacity.

On the demo, ``terraplan capacity`` said 39 reps were needed (40 there) while ``terraplan
alerts`` found 20 of the 40 over capacity: sizing ignored the reps' account limit (450 each,
20,000 accounts) and priced hours at 1,600 x 80 % where the alerts took the full 1,600 h.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terraplan.domain import (
    Account,
    AlignmentEntry,
    Plan,
    RecordKind,
    Rep,
    Territory,
    TerritoryOwner,
)
from terraplan.planning.alerts import AlertThresholds, evaluate_alerts
from terraplan.planning.capacity import CapacityReport, size_team
from terraplan.planning.kpi_balance import rep_capacity
from terraplan.planning.kpi_inputs import KpiInputs
from terraplan.planning.team_capacity import team_capacity

#: No alert but the capacity one fires on these plans.
_ONLY_CAPACITY = AlertThresholds(
    balance_tolerance=9, min_pace=0, min_pipeline_coverage=0, drift_threshold=9
)


def _team(loads: list[tuple[int, float]], reps: list[Rep]) -> tuple[Plan, list[Account]]:
    """One territory per rep; ``loads[i]`` = (accounts, hours of workload in all) of rep i."""
    territories = tuple(
        Territory(f"T{i}", f"Territory {i}", owners=(TerritoryOwner(r.id),))
        for i, r in enumerate(reps)
    )
    accounts: list[Account] = []
    alignment: list[AlignmentEntry] = []
    for i, (count, hours) in enumerate(loads):
        for j in range(count):
            account = Account(f"A{i}-{j}", f"Co {i}-{j}", potential=100.0, workload=hours / count)
            accounts.append(account)
            alignment.append(AlignmentEntry(RecordKind.ACCOUNT, account.id, f"T{i}"))
    return Plan("P", "Plan", territories=territories, alignment=tuple(alignment)), accounts


def _both(
    plan: Plan, accounts: list[Account], reps: list[Rep]
) -> tuple[CapacityReport, dict[str, dict[str, Any]]]:
    report = size_team(plan, accounts, reps, group_by="territory")
    inputs = KpiInputs.from_domain(accounts=accounts, plan=plan, reps=reps)
    loads = {r["rep_id"]: r for r in rep_capacity(inputs).iter_rows(named=True)}
    return report, loads


def test_the_account_limit_binds_in_sizing_as_in_the_alerts() -> None:
    """Two reps of 10 accounts each holding 15: the hours are light, the accounts are not."""
    reps = [
        Rep("a", "Ann", capacity_hours=1000.0, capacity_accounts=10),
        Rep("b", "Bob", capacity_hours=1000.0, capacity_accounts=10),
    ]
    plan, accounts = _team([(15, 150.0), (15, 150.0)], reps)
    report = size_team(plan, accounts, reps, group_by="territory")
    assert report.binding == "accounts"
    assert report.fte_by_accounts == pytest.approx(3.0)
    assert report.fte_by_hours == pytest.approx(300 / 800)
    assert (report.reps_needed, report.current_reps) == (3, 2)
    assert report.binding_reason() == (
        "set by the account limit: 30 accounts at 10 per rep need 3.0; the workload, 300 h at "
        "800 h per rep, needs 0.4"
    )
    assert [g.binding for g in report.groups] == ["accounts", "accounts"]
    # one rep fewer / as now / one more: the load is the account load
    assert [round(m.load_vs_capacity, 6) for m in report.marginal] == [3.0, 1.5, 1.0]
    # a team of 2 serves 20 of the 30 accounts: not all the potential
    assert [m.potential_covered for m in report.marginal] == pytest.approx([1000, 2000, 3000])

    inputs = KpiInputs.from_domain(accounts=accounts, plan=plan, reps=reps)
    alerts = evaluate_alerts(inputs, thresholds=_ONLY_CAPACITY)
    assert [(a.kind, a.subject_id) for a in alerts.alerts] == [
        ("rep_capacity", "a"),
        ("rep_capacity", "b"),
    ]
    assert alerts.alerts[0].reason == (
        "rep carries 150% of capacity: 15 accounts of 10; workload 150 h of 800 h (80% of "
        "1,000 selling hours)"
    )


def test_a_reps_own_hours_count_in_sizing_and_the_default_only_without_them() -> None:
    """Bianca Chen's 1,200 h were priced at 1,600 by sizing."""
    reps = [
        Rep("a", "Ann", capacity_hours=1200.0),
        Rep("b", "Bob"),  # no hours of his own: the default
    ]
    plan, accounts = _team([(4, 960.0), (4, 1280.0)], reps)
    report, loads = _both(plan, accounts, reps)
    assert report.hours_per_rep == pytest.approx((1200 + 1600) / 2)
    assert report.fte_by_hours == pytest.approx(2240 / (1400 * 0.8))
    assert report.fte_by_accounts is None and report.binding == "hours"
    assert report.assumptions[0] == (
        "capacity: each rep's own selling hours per year, 1,600 for the 1 of 2 reps with none "
        "(1,400 on average) x 80% utilisation = 1,120 hours of workload per rep, as the "
        "alerts judge each rep"
    )
    # Ann carries exactly 80 % of her own 1,200 h: full, as sizing counts her
    assert loads["a"]["workload_capacity"] == pytest.approx(960.0)
    assert loads["a"]["hours_utilisation"] == pytest.approx(1.0)


def test_sizing_and_alerts_share_the_utilisation() -> None:
    reps = [Rep("a", "Ann", capacity_hours=1000.0)]
    plan, accounts = _team([(2, 700.0)], reps)
    inputs = KpiInputs.from_domain(accounts=accounts, plan=plan, reps=reps)
    for utilization in (0.5, 0.8, 1.0):
        report = size_team(plan, accounts, reps, utilization=utilization)
        (row,) = rep_capacity(inputs, utilization=utilization).iter_rows(named=True)
        assert row["workload_capacity"] == pytest.approx(report.effective_hours_per_rep)
        assert row["hours_utilisation"] == pytest.approx(report.fte_by_hours)


_reps_and_loads = st.lists(
    st.tuples(
        st.floats(200.0, 2400.0),  # the rep's selling hours
        st.integers(5, 600),  # their account limit
        st.integers(1, 60),  # accounts they hold
        st.floats(10.0, 3000.0),  # hours of workload they hold
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=40, deadline=None)
@given(_reps_and_loads, st.floats(0.3, 1.0))
def test_a_team_large_enough_leaves_someone_within_capacity(
    rows: list[tuple[float, int, int, float]], utilization: float
) -> None:
    """If sizing says the team there suffices on a limit, some rep is within it in the alerts;
    if every rep is over a limit, sizing asks for more reps on it."""
    reps = [
        Rep(f"r{i}", f"Rep {i}", capacity_hours=hours, capacity_accounts=limit)
        for i, (hours, limit, _, _) in enumerate(rows)
    ]
    plan, accounts = _team([(count, work) for _, _, count, work in rows], reps)
    report = size_team(plan, accounts, reps, utilization=utilization, group_by="territory")
    inputs = KpiInputs.from_domain(accounts=accounts, plan=plan, reps=reps)
    frame = rep_capacity(inputs, utilization=utilization)
    hours_use = frame["hours_utilisation"].to_list()
    accounts_use = frame["accounts_utilisation"].to_list()
    n = len(reps)
    assert report.fte_by_accounts is not None
    eps = 1e-9
    if report.fte_by_hours <= n:
        assert min(hours_use) <= 1 + eps
    if min(hours_use) > 1 + eps:
        assert report.fte_by_hours > n
    if report.fte_by_accounts <= n:
        assert min(accounts_use) <= 1 + eps
    if min(accounts_use) > 1 + eps:
        assert report.reps_needed > n
    # the team's capacity is the reps' capacities added up, as the alerts take them one by one
    team = team_capacity(reps, utilization=utilization)
    assert n * team.workload_hours_per_rep == pytest.approx(sum(frame["workload_capacity"]))
    assert report.fte_needed == pytest.approx(
        max(report.fte_by_hours, report.fte_by_accounts or 0.0)
    )
    assert report.reps_needed == math.ceil(round(report.fte_needed, 9))
