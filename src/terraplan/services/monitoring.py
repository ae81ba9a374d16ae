"""Performance monitoring of a stored plan: KPIs, balance, alerts, priorities and the HTML
report, computed from the plan's data (:mod:`terraplan.services.monitoring_data`)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, replace
from datetime import date
from typing import Any

import polars as pl

from terraplan.planning.alerts import Alert, AlertReport, AlertThresholds, evaluate_alerts
from terraplan.planning.balance_criteria import BalanceCriteria
from terraplan.planning.fiscal import FiscalCalendar
from terraplan.planning.kpi_balance import territory_balance
from terraplan.planning.kpi_registry import COUNT_KPIS
from terraplan.planning.kpis import compute_kpis, data_dates
from terraplan.planning.priorities import PriorityWeights, prioritise_accounts
from terraplan.planning.report_html import render_report_html
from terraplan.services.monitoring_data import MonitoringCache, PlanData, load_plan_data
from terraplan.services.territory_lookup import territory_named
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def plan_kpis(
    db: Database,
    plan_id: str,
    *,
    periods: list[str] | None = None,
    dimensions: list[str] | None = None,
    cache: MonitoringCache | None = None,
    fiscal: FiscalCalendar | None = None,
    as_of: date | None = None,
    inactive_months: int = 6,
) -> tuple[PlanData, pl.DataFrame]:
    """The plan's KPIs for ``periods`` (quarters, years and YTD of the ``fiscal`` calendar)
    as of ``as_of`` (default: :func:`latest_fact`), inactive accounts over
    ``inactive_months``. The returned data's ``as_of`` is the date the figures were computed
    at."""

    def reporting_day(data: PlanData) -> date | None:
        if as_of is not None:
            return as_of
        return data.as_of if data.as_of is not None else data_dates(data.inputs)[1]

    def compute(data: PlanData) -> pl.DataFrame:
        day = reporting_day(data)
        kwargs: dict[str, Any] = {
            "periods": periods,
            "as_of": day,
            "fiscal": fiscal,
            "inactive_months": inactive_months,
        }
        if dimensions:
            kwargs["dimensions"] = tuple(dimensions)
        return compute_kpis(data.inputs, **kwargs)

    if cache is not None:
        key = (
            "kpis", tuple(periods or ()), tuple(dimensions or ()), fiscal, as_of, inactive_months
        )  # fmt: skip
        data, frame = cache.memo(db, plan_id, key, compute)
    else:
        data = load_plan_data(db, plan_id)
        frame = compute(data)
    day = reporting_day(data)
    if day == data.as_of:
        return data, frame
    return replace(data, as_of=day, future_facts=None), frame


def plan_balance(
    db: Database,
    plan_id: str,
    *,
    balance: Mapping[str, float] | None = None,
    balance_tolerance: float | None = None,
) -> tuple[BalanceCriteria, pl.DataFrame]:
    """Each checked territory's totals against its target, by the plan's balance criteria
    (overridden by ``balance`` / ``balance_tolerance``)."""
    data = load_plan_data(db, plan_id)
    criteria = data.balance_criteria(balance=balance, tolerance=balance_tolerance)
    return criteria, territory_balance(data.inputs, criteria=criteria)


def plan_alerts(
    db: Database,
    plan_id: str,
    *,
    period: str | None = None,
    thresholds: AlertThresholds | None = None,
    balance: Mapping[str, float] | None = None,
    balance_tolerance: float | None = None,
    cache: MonitoringCache | None = None,
    fiscal: FiscalCalendar | None = None,
) -> tuple[PlanData, AlertReport]:
    """Alerts; balance is judged by the plan's own criteria unless ``balance`` (metric ->
    tolerance) or ``balance_tolerance`` override them."""

    def compute(data: PlanData) -> AlertReport:
        return evaluate_alerts(
            data.inputs,
            period=period,
            as_of=data.as_of,
            thresholds=thresholds,
            design_totals=data.design_totals,
            criteria=data.balance_criteria(balance=balance, tolerance=balance_tolerance),
            fiscal=fiscal,
        )

    if cache is not None:
        key = (
            "alerts",
            period,
            repr(thresholds),
            tuple(sorted((balance or {}).items())),
            balance_tolerance,
            fiscal,
        )
        data, report = cache.memo(db, plan_id, key, compute)
        return data, report
    data = load_plan_data(db, plan_id)
    return data, compute(data)


def alert_notes(report: AlertReport, *, reps: Collection[str] | None = None) -> list[str]:
    """Every note of an alert report, each once: its balance criteria's (a design metric not
    checked, one no account carries) and the report's own (checks that could not run). The
    one list the CLI prints, in each format, and the API gives.

    ``reps``: the reps a manager or a rep sees; the capacity note then names and counts
    those reps only (the company-wide one lists every rep with their book of accounts)."""
    criteria = report.criteria.notes if report.criteria is not None else ()
    own = report.notes if reps is None else tuple(report.capacity_gap.notes(reps))
    return list(dict.fromkeys((*criteria, *own)))


def alert_subject_names(data: PlanData, alerts: Iterable[Alert]) -> dict[tuple[str, str], str]:
    """``(subject_kind, subject_id) -> name`` of the alerts' subjects: a territory's, a rep's
    or an account's name, looked up by the subject's kind (a territory and a rep may share an
    id); a subject without a name is named by its id. The one naming of alert subjects, for
    the CLI, the API and the report."""
    from terraplan.services.kpi_notes import group_names

    subjects = {(a.subject_kind, a.subject_id) for a in alerts}
    accounts = {subject_id for kind, subject_id in subjects if kind == "account"}
    names = {
        "territory": group_names(data, "territory"),
        "rep": group_names(data, "rep"),
        "account": _account_names(data, accounts) if accounts else {},
    }
    return {
        (kind, subject_id): names.get(kind, {}).get(subject_id) or subject_id
        for kind, subject_id in subjects
    }


def alert_records(data: PlanData, alerts: Sequence[Alert]) -> list[dict[str, Any]]:
    """The ``alerts`` as files and the API give them: each alert's fields, its ``subject``
    by name (:func:`alert_subject_names`), and a count's value as an integer (an account
    count of ``573``, not ``573.0``)."""
    names = alert_subject_names(data, alerts)
    return [
        {
            **asdict(a),
            "value": int(a.value)
            if a.metric in COUNT_KPIS and a.value is not None and float(a.value).is_integer()
            else a.value,
            "subject": names[a.subject_kind, a.subject_id],
        }
        for a in alerts
    ]


def _account_names(data: PlanData, ids: set[str]) -> dict[str, str]:
    """The names of the accounts among ``ids`` (an alert names an account, not its CRM id)."""
    accounts = data.inputs.frame("accounts")
    if accounts is None or "name" not in accounts.collect_schema().names():
        return {}
    found = accounts.filter(pl.col("id").cast(pl.String).is_in(sorted(ids))).select("id", "name")
    return {str(i): n for i, n in found.collect().iter_rows() if n}


def territory_priorities(
    db: Database,
    plan_id: str,
    territory_id: str,
    *,
    top: int = 50,
    weights: PriorityWeights | None = None,
) -> pl.DataFrame:
    data = load_plan_data(db, plan_id)
    territory_id = territory_named(data.plan, territory_id)
    ranked = prioritise_accounts(data.inputs, as_of=data.as_of, weights=weights, top_n=top)
    accounts = data.inputs.accounts
    assert isinstance(accounts, pl.DataFrame)
    names = accounts.select(pl.col("id").alias("account_id"), pl.col("name").alias("account"))
    return ranked.filter(pl.col("territory_id") == territory_id).join(
        names, on="account_id", how="left"
    )


def plan_report_html(
    db: Database, plan_id: str, *, period: str | None = None, fiscal: FiscalCalendar | None = None
) -> str:
    data = load_plan_data(db, plan_id)
    kpis = compute_kpis(data.inputs, as_of=data.as_of, dimensions=("territory",), fiscal=fiscal)
    criteria = data.balance_criteria()
    alerts = evaluate_alerts(
        data.inputs,
        kpis=kpis,
        period=period,
        as_of=data.as_of,
        design_totals=data.design_totals,
        criteria=criteria,
        fiscal=fiscal,
    )
    balance = territory_balance(data.inputs, criteria=criteria)
    from terraplan.planning.report_html import report_period
    from terraplan.services.kpi_notes import (
        credits_note,
        future_facts_note,
        grouping_notes,
        potential_note,
        prior_year_note,
        recut_note,
        revenue_source_note,
        undated_closed_note,
    )
    from terraplan.services.kpi_target_notes import target_coverage_note
    from terraplan.services.report_map import report_names, territory_shapes

    # the notes `terraplan kpis` prints beside the same figures, for the period the report's
    # table shows (its chart says what its own months need): a report read without them
    # restates closed quarters (a realigned plan's) without a word, and one with notes on
    # every period since the history began says growth is unknown where it shows it
    territories = kpis.filter(pl.col("dimension") == "territory")
    period = report_period(territories, period, as_of=data.as_of, fiscal=fiscal)
    shown = territories.filter(pl.col("period") == period)
    notes = [
        *future_facts_note(data),
        *revenue_source_note(data),
        *undated_closed_note(data),
        *credits_note(data),
        *grouping_notes(data, "territory", territories["key"].unique().to_list()),
        *prior_year_note(data, shown),
        *potential_note(data, shown),
        *target_coverage_note(data, shown),
        *recut_note(data, "territory", shown),
    ]

    with UnitOfWork(db) as uow:
        names, reps = report_names(uow, data.plan)
        shapes = territory_shapes(uow, data.plan)
    return render_report_html(
        kpis,
        period=period,
        alerts=alerts,
        balance=balance,
        title=f"{data.plan.name} ({data.plan.id})",
        as_of=data.as_of,
        balance_criteria=criteria.describe(),
        names=names,
        reps=reps,
        shapes=shapes,
        fiscal=fiscal,
        notes=notes,
        subject_names=alert_subject_names(data, alerts.alerts),
    )
