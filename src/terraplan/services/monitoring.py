"""Performance monitoring of a stored plan: KPI inputs from the database, KPIs, alerts, priorities, report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from terraplan.domain import Plan
from terraplan.errors import NotFoundError
from terraplan.io.geocoding import ZipDirectory
from terraplan.planning.alerts import AlertReport, AlertThresholds, evaluate_alerts
from terraplan.planning.balance_criteria import BalanceCriteria, plan_balance_criteria
from terraplan.planning.kpi_balance import territory_balance
from terraplan.planning.kpi_inputs import KpiInputs
from terraplan.planning.kpis import compute_kpis
from terraplan.planning.priorities import PriorityWeights, prioritise_accounts
from terraplan.planning.report_html import render_report_html
from terraplan.rules import RuleSet, assign_batch
from terraplan.services.alignment import plan_alignment_frame
from terraplan.services.ownership import plan_rule_set
from terraplan.storage import bulk
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True, eq=False)
class PlanData:
    plan: Plan
    inputs: KpiInputs
    as_of: date | None
    alignment_source: str
    design_totals: dict[str, float] | None
    #: The plan's stored ``design`` report (balance criteria), None when it was not designed.
    design: dict[str, Any] | None = None

    def balance_criteria(
        self, *, balance: Mapping[str, float] | None = None, tolerance: float | None = None
    ) -> BalanceCriteria:
        """The plan's balance criteria (its design's), overridden by flags when given."""
        return plan_balance_criteria(self.plan, self.design, balance=balance, tolerance=tolerance)


def _frame(connection: Any, kind: str, columns: list[str]) -> pl.DataFrame:
    frame = pl.from_arrow(bulk.read_arrow(connection, kind, columns))
    assert isinstance(frame, pl.DataFrame)
    return frame


def load_plan_data(db: Database, plan_id: str) -> PlanData:
    """Everything monitoring reads, for one plan, as Polars frames.

    The account -> territory alignment is :func:`terraplan.services.alignment.plan_alignment`,
    the answer every use case shares.
    """
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        baseline = uow.plan_results.get(plan_id, "baseline")
        design = uow.plan_results.get(plan_id, "design")
        connection = uow.connection
        sales = _frame(connection, "sales_lines", ["id", "account_id", "date", "amount", "product"])
        opportunities = _frame(
            connection,
            "opportunities",
            [
                "id",
                "account_id",
                "owner_id",
                "created_date",
                "close_date",
                "stage",
                "amount",
                "is_closed",
                "is_won",
            ],
        )
        targets = _frame(
            connection,
            "targets",
            [
                "id",
                "period_start",
                "period_end",
                "amount",
                "territory_id",
                "rep_id",
                "plan_id",
                "metric",
            ],
        )
        accounts = _frame(
            connection,
            "accounts",
            [
                "id",
                "name",
                "potential",
                "workload",
                "segment",
                "industry",
                "owner_id",
                "customer_type",
                "county_fips",
                "postal_code",
            ],
        )
        reps = _frame(connection, "reps", ["id", "name", "capacity_hours", "capacity_accounts"])
        costs = _frame(
            connection,
            "acquisition_costs",
            ["territory_id", "period_start", "period_end", "amount"],
        )
        leads = _frame(
            connection,
            "leads",
            [
                "id",
                "company",
                "created_date",
                "converted_opportunity_id",
                "postal_code",
                "country",
                "state",
                "industry",
                "employees",
                "annual_revenue",
                "source",
            ],
        )
        try:
            rule_set, _ = plan_rule_set(uow, plan)
        except NotFoundError:
            rule_set = None
        alignment, source = plan_alignment_frame(uow, plan, accounts)
    targets = _finest_targets(targets.filter(pl.col("plan_id") == plan_id).drop("plan_id"))
    primary = {
        t.id: next((o.rep_id for o in t.owners if o.role.value == "primary"), None)
        for t in plan.territories
    }
    territories = pl.DataFrame(
        {
            "id": [t.id for t in plan.territories],
            "parent_id": [t.parent_id for t in plan.territories],
            "owner_id": [primary[t.id] for t in plan.territories],
            "name": [t.name for t in plan.territories],
            "level": [t.level for t in plan.territories],
        },
        schema={
            "id": pl.String,
            "parent_id": pl.String,
            "owner_id": pl.String,
            "name": pl.String,
            "level": pl.String,
        },
    )
    territory_ids = {t.id for t in plan.territories}
    costs = costs.filter(pl.col("territory_id").is_in(list(territory_ids)))
    inputs = KpiInputs(
        costs=costs if costs.height else None,
        leads=_routed_leads(leads, rule_set),
        sales_lines=sales,
        opportunities=opportunities,
        targets=targets,
        accounts=accounts.drop("county_fips", "postal_code"),
        alignment=alignment,
        territories=territories,
        reps=reps,
    )
    as_of = sales["date"].max() if sales.height else None
    totals = {str(k): float(v) for k, v in (baseline or {}).get("potential", {}).items()} or None
    return PlanData(plan, inputs, as_of, source, totals, design)  # type: ignore[arg-type]


def _routed_leads(leads: pl.DataFrame, rule_set: RuleSet | None) -> pl.DataFrame | None:
    """Leads with a creation date, and the territory the plan's rules route them to.

    Leads carry a ZIP but no county; the county FIPS comes from the ZIP table so that
    county-based rules (those generated by a design) can place them.
    """
    leads = leads.filter(pl.col("created_date").is_not_null())
    if leads.height == 0:
        return None
    territory: list[str | None] = [None] * leads.height
    if rule_set is not None:
        zips = ZipDirectory()
        counties = [
            location.county_fips if (location := zips.lookup(code)) is not None else None
            for code in leads["postal_code"].to_list()
        ]
        routed = assign_batch(
            leads.with_columns(pl.Series("county_fips", counties, dtype=pl.String)), rule_set
        )
        territory = routed["territory_id"].to_list()
    return leads.select("id", "created_date", "converted_opportunity_id", "industry").with_columns(
        pl.Series("territory_id", territory, dtype=pl.String)
    )


def _finest_targets(targets: pl.DataFrame) -> pl.DataFrame:
    """Keep one layer of targets per territory or rep: the monthly ones when there are any.

    ``terraplan targets`` stores a year target and its twelve months for the same territory;
    summing both would count the target twice.
    """
    monthly = (pl.col("period_end") - pl.col("period_start")).dt.total_days() < 31
    subject = pl.concat_str(
        [pl.col("territory_id").fill_null(""), pl.lit("|"), pl.col("rep_id").fill_null("")]
    )
    return (
        targets.with_columns(monthly.alias("_monthly"), subject.alias("_subject"))
        .with_columns(pl.col("_monthly").any().over("_subject").alias("_has_monthly"))
        .filter(pl.col("_monthly") | ~pl.col("_has_monthly"))
        .drop("_monthly", "_subject", "_has_monthly")
    )


def plan_kpis(
    db: Database,
    plan_id: str,
    *,
    periods: list[str] | None = None,
    dimensions: list[str] | None = None,
) -> tuple[PlanData, pl.DataFrame]:
    data = load_plan_data(db, plan_id)
    kwargs: dict[str, Any] = {"periods": periods, "as_of": data.as_of}
    if dimensions:
        kwargs["dimensions"] = tuple(dimensions)
    return data, compute_kpis(data.inputs, **kwargs)


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
) -> tuple[PlanData, AlertReport]:
    """Alerts; balance is judged by the plan's own criteria unless ``balance`` (metric ->
    tolerance) or ``balance_tolerance`` override them."""
    data = load_plan_data(db, plan_id)
    report = evaluate_alerts(
        data.inputs,
        period=period,
        as_of=data.as_of,
        thresholds=thresholds,
        design_totals=data.design_totals,
        criteria=data.balance_criteria(balance=balance, tolerance=balance_tolerance),
    )
    return data, report


def territory_priorities(
    db: Database,
    plan_id: str,
    territory_id: str,
    *,
    top: int = 50,
    weights: PriorityWeights | None = None,
) -> pl.DataFrame:
    data = load_plan_data(db, plan_id)
    ranked = prioritise_accounts(data.inputs, as_of=data.as_of, weights=weights, top_n=top)
    accounts = data.inputs.accounts
    assert isinstance(accounts, pl.DataFrame)
    names = accounts.select(pl.col("id").alias("account_id"), pl.col("name").alias("account"))
    return ranked.filter(pl.col("territory_id") == territory_id).join(
        names, on="account_id", how="left"
    )


def plan_report_html(db: Database, plan_id: str, *, period: str | None = None) -> str:
    data = load_plan_data(db, plan_id)
    kpis = compute_kpis(data.inputs, as_of=data.as_of, dimensions=("territory",))
    criteria = data.balance_criteria()
    alerts = evaluate_alerts(
        data.inputs,
        kpis=kpis,
        period=period,
        as_of=data.as_of,
        design_totals=data.design_totals,
        criteria=criteria,
    )
    balance = territory_balance(data.inputs, criteria=criteria)
    return render_report_html(
        kpis,
        period=period,
        alerts=alerts,
        balance=balance,
        title=f"{data.plan.name} ({data.plan.id})",
        as_of=data.as_of,
        balance_criteria=criteria.describe(),
    )
