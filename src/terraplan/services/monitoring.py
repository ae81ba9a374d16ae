"""Performance monitoring of a stored plan: KPI inputs from the database, KPIs, alerts, priorities, report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from terraplan.domain import Plan, RecordKind
from terraplan.errors import NotFoundError
from terraplan.planning.alerts import AlertReport, AlertThresholds, evaluate_alerts
from terraplan.planning.kpi_balance import territory_balance
from terraplan.planning.kpi_inputs import KpiInputs
from terraplan.planning.kpis import compute_kpis
from terraplan.planning.priorities import PriorityWeights, prioritise_accounts
from terraplan.planning.report_html import render_report_html
from terraplan.rules import RuleSet, assign_batch
from terraplan.services.locations import zip_locator
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


def _frame(connection: Any, kind: str, columns: list[str]) -> pl.DataFrame:
    frame = pl.from_arrow(bulk.read_arrow(connection, kind, columns))
    assert isinstance(frame, pl.DataFrame)
    return frame


def load_plan_data(db: Database, plan_id: str) -> PlanData:
    """Everything monitoring reads, for one plan, as Polars frames.

    The account -> territory alignment is the plan's latest rule run (``terraplan rules apply``)
    when there is one, else the plan's account alignment plus its geo alignment matched on the
    accounts' county FIPS or ZIP.
    """
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        assignments = [
            a
            for a in uow.assignments.current(plan_id)
            if a.record_kind == "account" and a.territory_id
        ]
        baseline = uow.plan_results.get(plan_id, "baseline")
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
    targets = _finest_targets(targets.filter(pl.col("plan_id") == plan_id).drop("plan_id"))
    if assignments:
        alignment = pl.DataFrame(
            {
                "account_id": [a.record_id for a in assignments],
                "territory_id": [a.territory_id for a in assignments],
            }
        )
        source = "rule assignments"
    else:
        alignment = _derived_alignment(plan, accounts)
        source = "plan alignment (geo units and named accounts)"
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
    return PlanData(plan, inputs, as_of, source, totals)  # type: ignore[arg-type]


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
        routed = assign_batch(leads, rule_set, locate=zip_locator())
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


def _derived_alignment(plan: Plan, accounts: pl.DataFrame) -> pl.DataFrame:
    named = plan.alignment_map(RecordKind.ACCOUNT)
    geo = plan.alignment_map(RecordKind.GEO_UNIT)
    units = pl.DataFrame(
        {"unit": list(geo), "geo_territory": list(geo.values())},
        schema={"unit": pl.String, "geo_territory": pl.String},
    )
    frame = (
        accounts.select("id", "county_fips", "postal_code")
        .join(
            units.rename({"unit": "county_fips", "geo_territory": "by_county"}),
            on="county_fips",
            how="left",
        )
        .join(
            units.rename({"unit": "postal_code", "geo_territory": "by_zip"}),
            on="postal_code",
            how="left",
        )
        .with_columns(
            pl.col("id").replace_strict(named, default=None, return_dtype=pl.String).alias("named")
        )
        .select(
            pl.col("id").alias("account_id"),
            pl.coalesce("named", "by_county", "by_zip").alias("territory_id"),
        )
        .filter(pl.col("territory_id").is_not_null())
    )
    return frame


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


def plan_alerts(
    db: Database,
    plan_id: str,
    *,
    period: str | None = None,
    thresholds: AlertThresholds | None = None,
) -> tuple[PlanData, AlertReport]:
    data = load_plan_data(db, plan_id)
    report = evaluate_alerts(
        data.inputs,
        period=period,
        as_of=data.as_of,
        thresholds=thresholds,
        design_totals=data.design_totals,
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
    alerts = evaluate_alerts(
        data.inputs, kpis=kpis, period=period, as_of=data.as_of, design_totals=data.design_totals
    )
    balance = territory_balance(data.inputs)
    return render_report_html(
        kpis,
        period=period,
        alerts=alerts,
        balance=balance,
        title=f"{data.plan.name} ({data.plan.id})",
        as_of=data.as_of,
    )
