"""Reps the rep data gives no capacity are named in one note with their load, not passed as
fine: also when no account carries a workload (a CRM export with neither column said
nothing at all, as if every rep were within capacity)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl

from terraplan.planning.alerts import AlertThresholds, evaluate_alerts
from terraplan.planning.kpi_inputs import KpiInputs

from .test_alerts import inputs

AS_OF = date(2026, 5, 31)
QUIET = AlertThresholds(balance_tolerance=9, min_pace=0, min_pipeline_coverage=0)


def _crm_book(workload: bool) -> KpiInputs:
    """Three reps holding 18, 18 and 6 accounts (one territory each) and an inactive rep with
    none; no rep carries capacity_hours or capacity_accounts, as a CRM users export."""
    counts = {"T1": 18, "T2": 6, "T3": 18}
    ids = [f"{t}-{i}" for t, n in counts.items() for i in range(n)]
    accounts = pl.DataFrame(
        {
            "id": ids,
            "potential": [None] * len(ids),
            "workload": [12.5 if workload else None] * len(ids),
        },
        schema={"id": pl.String, "potential": pl.Float64, "workload": pl.Float64},
    )
    base = inputs({"T1": 1.0, "T2": 1.0, "T3": 1.0}, capacity=None)
    return replace(
        base,
        accounts=accounts,
        alignment=pl.DataFrame({"account_id": ids, "territory_id": [i[:2] for i in ids]}),
        reps=pl.DataFrame(
            {
                "id": ["rep_T1", "rep_T2", "rep_T3", "rep_X"],
                "name": ["Ana Ruiz", "Dana Lee", "Cara Diaz", "Ben Ode"],
                "capacity_hours": [None, None, None, None],
                "capacity_accounts": [None, None, None, None],
                "active": [True, True, True, False],
            },
            schema_overrides={"capacity_hours": pl.Float64, "capacity_accounts": pl.Int64},
        ),
    )


def test_no_capacity_and_no_workload_names_the_reps_with_their_accounts_once() -> None:
    report = evaluate_alerts(_crm_book(workload=False), as_of=AS_OF, thresholds=QUIET)
    assert [a for a in report.alerts if a.kind == "rep_capacity"] == []
    capacity = [n for n in report.notes if "capacity" in n]
    assert capacity == [
        "rep capacity was not checked, as the rep data gives no capacity_hours or "
        "capacity_accounts; the reps' load: Ana Ruiz (18 accounts); Cara Diaz (18 accounts); "
        "Dana Lee (6 accounts) (import them)"
    ]  # Ben holds nothing: there is no load to judge


def test_no_capacity_with_workload_gives_hours_too() -> None:
    report = evaluate_alerts(_crm_book(workload=True), as_of=AS_OF, thresholds=QUIET)
    assert report.notes == (
        "rep capacity was not checked, as the rep data gives no capacity_hours or "
        "capacity_accounts; the reps' load: Ana Ruiz (18 accounts, 225 h); Cara Diaz "
        "(18 accounts, 225 h); Dana Lee (6 accounts, 75 h) (import them; `terraplan capacity` "
        "sizes the team from the workload instead)",
    )


def test_many_reps_are_counted_past_five() -> None:
    base = inputs({f"T{i}": 1.0 for i in range(1, 9)}, capacity=None)
    report = evaluate_alerts(base, as_of=AS_OF, thresholds=QUIET)
    (text,) = report.notes
    assert text.count(" account") == 5 and "; 3 more (import them" in text
