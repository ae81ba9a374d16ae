"""A territory left vacant (its rep left in August, open headcount "TBH" on next year's
plan) holds accounts no one works: ``alerts`` said nothing of it (an audit's Territory 31,
76 accounts and 1.4 M of revenue, no primary rep), only of a territory whose rep is marked
inactive. It is now a warning naming the territory and its open accounts; a territory shared
by several primary reps, a parent territory and an empty one are not vacant."""

from __future__ import annotations

from datetime import date

import polars as pl

from terraplan.planning.alerts import AlertThresholds, evaluate_alerts
from terraplan.planning.kpi_inputs import KpiInputs
from terraplan.planning.vacant_territories import vacant_territories


def _inputs() -> KpiInputs:
    """T1 owned; T31 vacant with two open accounts and a closed one; T40 vacant and empty;
    T50 has no owner of its own but two shared primary reps; R1 is the region above them."""
    accounts = ["A1", "V1", "V2", "V3", "S1"]
    return KpiInputs(
        sales_lines=pl.DataFrame(
            {"account_id": accounts, "date": [date(2026, 2, 1)] * 5, "amount": [100.0] * 5}
        ),
        accounts=pl.DataFrame(
            {
                "id": accounts,
                "potential": [10.0] * 5,
                "owner_id": ["005AVA", "005AVA", None, None, "005BEN"],
                "closed_on": [None, None, None, date(2026, 3, 1), None],
            },
            schema={
                "id": pl.String,
                "potential": pl.Float64,
                "owner_id": pl.String,
                "closed_on": pl.Date,
            },
        ),
        alignment=pl.DataFrame(
            {"account_id": accounts, "territory_id": ["T1", "T31", "T31", "T31", "T50"]}
        ),
        territories=pl.DataFrame(
            {
                "id": ["R1", "T1", "T31", "T40", "T50"],
                "parent_id": [None, "R1", "R1", "R1", "R1"],
                "name": ["Great Lakes", "Columbus", "Cleveland (TBH)", "Empty", "Shared"],
                "owner_id": [None, "005CAL", None, None, None],
            },
            schema={
                "id": pl.String,
                "parent_id": pl.String,
                "name": pl.String,
                "owner_id": pl.String,
            },
        ),
        shared_owners=pl.DataFrame(
            {"territory_id": ["T50", "T50"], "rep_id": ["005BEN", "005DEE"], "share": [1.0, 1.0]}
        ),
        reps=pl.DataFrame({"id": ["005CAL", "005AVA", "005BEN", "005DEE"]}),
    )


def test_a_territory_with_open_accounts_and_no_primary_rep_is_vacant() -> None:
    assert vacant_territories(_inputs()) == [("T31", "Cleveland (TBH)", 2)]


def test_alerts_warn_of_the_vacant_territory_with_its_open_accounts() -> None:
    limits = AlertThresholds(balance_tolerance=9, min_pace=0, min_pipeline_coverage=0)
    report = evaluate_alerts(_inputs(), as_of=date(2026, 11, 30), thresholds=limits)
    vacant = [a for a in report.alerts if a.kind == "vacant_territory"]
    assert [(a.subject_id, a.severity) for a in vacant] == [("T31", "warning")]
    assert vacant[0].reason.startswith("no primary rep (vacant): its 2 open accounts")
