"""What monitoring reads of a stored plan: :class:`PlanData` (the KPI inputs from the
database, the plan's alignment, design and reporting day) and :class:`MonitoringCache`, which
keeps it and the figures computed from it while the data behind them is unchanged."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import polars as pl

from terraplan.domain import Plan
from terraplan.errors import NotFoundError
from terraplan.planning.balance_criteria import (
    MONITORED_METRICS,
    BalanceCriteria,
    plan_balance_criteria,
)
from terraplan.planning.kpi_credit import crediting_note, record_owner_periods, today_owners
from terraplan.planning.kpi_groups import account_table, territory_table
from terraplan.planning.kpi_hires import before_hire_unowned, hire_note
from terraplan.planning.kpi_inputs import KpiInputs, shared_owner_frame
from terraplan.planning.revenue import parse_source, revenue_frame
from terraplan.rules import RuleSet, assign_batch
from terraplan.services.alignment import plan_alignment_frame
from terraplan.services.locations import zip_locator
from terraplan.services.ownership import plan_rule_set
from terraplan.services.ownership_periods import crm_owner_frame
from terraplan.services.plan_scopes import scope_account_ids, scope_territories
from terraplan.services.reporting_day import latest_fact
from terraplan.services.rules_follow import pending_rules, rules_alignment
from terraplan.storage import bulk
from terraplan.storage.database import Database
from terraplan.storage.fingerprint import monitoring_fingerprint
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
    #: Where revenue came from: ``sales_lines``, ``opportunities`` (Closed Won) or ``none``.
    revenue_source: str = "sales_lines"
    #: KPIs by rep: which dates have no owner of the day and whom they are credited to
    #: (None: every date has its owner).
    crediting_note: str | None = None
    #: The latest fact when it lies after the day the data was loaded, which is then the
    #: default reporting day instead (a typo such as 2052 must not move every period).
    future_facts: date | None = None

    def balance_criteria(
        self, *, balance: Mapping[str, float] | None = None, tolerance: float | None = None
    ) -> BalanceCriteria:
        """The plan's balance criteria (its design's), overridden by flags when given (a flag
        may name a numeric attribute the open accounts carry); a metric no open account
        carries is not checked (a note says so), and one some lack is checked with a note
        that they count as 0."""
        from terraplan.planning.kpi_balance import carried_metrics

        others = [m for m in balance or {} if m not in MONITORED_METRICS and m != "count"]
        criteria = plan_balance_criteria(
            self.plan,
            self.design,
            balance=balance,
            tolerance=tolerance,
            attributes=carried_metrics(self.inputs, others) if others else (),
        )
        return _measurable(criteria, self.inputs)


def _measurable(criteria: BalanceCriteria, inputs: KpiInputs) -> BalanceCriteria:
    """``criteria`` less the account metrics no open account carries, with notes."""
    from dataclasses import replace

    from terraplan.planning.kpi_balance import account_metric_table

    summed = [m for m in criteria.tolerances if m != "account_count"]
    accounts = account_metric_table(inputs, summed).collect()
    tolerances = dict(criteria.tolerances)
    notes = list(criteria.notes)
    for metric in summed:
        carries = f"a {metric}" if metric in ("potential", "workload") else metric
        lacking = accounts[metric].null_count()
        if accounts.height and lacking == accounts.height and len(tolerances) > 1:
            del tolerances[metric]
            notes.append(f"no account carries {carries}, so {metric} balance is not checked")
        elif accounts.height and lacking == accounts.height:
            # the plan's only metric: kept (something must be checked), but its zeros said
            notes.append(
                f"no account carries {carries}: every territory reads 0 against the plan's "
                f"{metric} balance; import it (or check another metric: --balance)"
            )
        elif lacking:
            notes.append(
                f"{lacking:,} of {accounts.height:,} accounts have no {metric}: they count as 0"
                f" in {metric} balance"
            )
    if tolerances == dict(criteria.tolerances) and notes == list(criteria.notes):
        return criteria
    return replace(criteria, tolerances=tolerances, notes=tuple(notes))


def _frame(connection: Any, kind: str, columns: list[str]) -> pl.DataFrame:
    frame = pl.from_arrow(bulk.read_arrow(connection, kind, columns))
    assert isinstance(frame, pl.DataFrame)
    return frame


class MonitoringCache:
    """Plan data and computed KPI/alert tables per plan, valid while the data behind them is
    unchanged (:func:`terraplan.storage.fingerprint.monitoring_fingerprint`). Thread-safe;
    keeps the ``max_plans`` most recently used plans. The API keeps one per app."""

    def __init__(self, max_plans: int = 4) -> None:
        self.max_plans = max_plans
        self._lock = threading.Lock()
        self._entries: OrderedDict[
            tuple[str, str], tuple[tuple[Any, ...], PlanData, dict[Any, Any]]
        ]
        self._entries = OrderedDict()

    def _entry(
        self, db: Database, plan_id: str, revenue_source: str
    ) -> tuple[PlanData, dict[Any, Any]]:
        with db.connect() as connection:
            fingerprint = monitoring_fingerprint(connection, plan_id)
        key = (plan_id, revenue_source)
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] == fingerprint:
                self._entries.move_to_end(key)
                return hit[1], hit[2]
        data = _load_plan_data(db, plan_id, revenue_source=revenue_source)
        results: dict[Any, Any] = {}
        with self._lock:
            self._entries[key] = (fingerprint, data, results)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_plans:
                self._entries.popitem(last=False)
        return data, results

    def plan_data(self, db: Database, plan_id: str, revenue_source: str = "auto") -> PlanData:
        return self._entry(db, plan_id, revenue_source)[0]

    def memo(
        self,
        db: Database,
        plan_id: str,
        key: Any,
        compute: Callable[[PlanData], Any],
        revenue_source: str = "auto",
    ) -> tuple[PlanData, Any]:
        """``compute(data)`` once per data version and ``key`` (a hashable description of the
        question, e.g. the periods and dimensions asked)."""
        data, results = self._entry(db, plan_id, revenue_source)
        with self._lock:
            if key in results:
                return data, results[key]
        value = compute(data)
        with self._lock:
            results[key] = value
        return data, value


def load_plan_data(
    db: Database,
    plan_id: str,
    *,
    revenue_source: str = "auto",
    cache: MonitoringCache | None = None,
) -> PlanData:
    """Everything monitoring reads, for one plan (from ``cache`` when it is current)."""
    if cache is not None:
        return cache.plan_data(db, plan_id, revenue_source)
    return _load_plan_data(db, plan_id, revenue_source=revenue_source)


def _load_plan_data(db: Database, plan_id: str, *, revenue_source: str = "auto") -> PlanData:
    """Everything monitoring reads, for one plan, as Polars frames.

    The account -> territory alignment is :func:`terraplan.services.alignment.plan_alignment`,
    the answer every use case shares. Revenue is :func:`terraplan.planning.revenue.revenue_frame`
    (sales lines, else Closed Won opportunities; ``revenue_source`` chooses), as for targets.
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
                "deal_type",
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
                "closed_on",
                # what a plan may be balanced on besides potential and workload
                "annual_revenue",
                "employees",
                "attributes",
            ],
        )
        inside = scope_account_ids(uow, plan.scope)
        if inside is not None:
            # a scoped plan reports on its part of the market: the other accounts (and their
            # sales and opportunities) belong to the plans of theirs
            ids = sorted(inside)
            accounts = accounts.filter(pl.col("id").is_in(ids))
            sales = sales.filter(pl.col("account_id").is_in(ids))
            opportunities = opportunities.filter(pl.col("account_id").is_in(ids))
        # the hire date: by rep, no credit and no target before it
        reps = _frame(
            connection,
            "reps",
            ["id", "name", "capacity_hours", "capacity_accounts", "active", "hire_date"],
        )
        hires = reps.select("id", "hire_date").filter(pl.col("hire_date").is_not_null())
        costs = _frame(
            connection,
            "acquisition_costs",
            ["territory_id", "period_start", "period_end", "amount", "plan_id"],
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
        ownership = ownership_frame(connection)
        crm_owners = crm_owner_frame(connection, accounts.select("id", "owner_id"))
        try:
            rule_set, _ = plan_rule_set(uow, plan)
        except NotFoundError:
            rule_set = None
        alignment, source = plan_alignment_frame(uow, plan, accounts, in_scope=inside)
        pending = pending_rules(uow, plan)
    if pending:
        # Rules saved after the plan's alignment (not applied yet): its accounts are counted
        # where those rules send them, as its activation will and `plans compare` does.
        known = {t.id for t in plan.territories}
        routed = rules_alignment(db, plan)
        alignment = pl.DataFrame(
            {
                "account_id": [a for a, t in routed.items() if t in known],
                "territory_id": [t for t in routed.values() if t in known],
            },
            schema={"account_id": pl.String, "territory_id": pl.String},
        )
        source = f"the plan's saved rules (version {pending}, not applied yet)"
    revenue = revenue_frame(sales, opportunities, source=parse_source(revenue_source))
    # one layer per day (a year and its months count once) is taken inside compute_kpis
    targets = targets.filter(pl.col("plan_id") == plan_id).drop("plan_id")
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
    if plan.scope is not None:
        plan, territories, source = scope_territories(plan, territories, alignment, source)
        targets = targets.filter(pl.col("territory_id").is_in(territories["id"].to_list()))
    territory_ids = {t.id for t in plan.territories}
    # a cost counts in its own plan; one stored before costs named a plan (plan_id null)
    # counts wherever its territory id is
    costs = costs.filter(
        pl.col("territory_id").is_in(list(territory_ids))
        & (pl.col("plan_id").is_null() | (pl.col("plan_id") == plan_id))
    ).drop("plan_id")
    # an account the plan places with no recorded owner: credited to the CRM's owner (who
    # sold there), not to the owner a plan not yet activated gives its territory
    ownership = pl.concat(
        [ownership, record_owner_periods(ownership, crm_owners, alignment, reps["id"].to_list())]
    )
    plan_leads = _routed_leads(leads, rule_set)
    if plan_leads is not None and plan.scope is not None:
        # the leads a scoped plan's rules send to another part of the market are not its own
        plan_leads = plan_leads.filter(pl.col("territory_id").is_in(list(territory_ids)))
    inputs = KpiInputs(
        costs=costs if costs.height else None,
        leads=plan_leads,
        sales_lines=revenue.frame,
        opportunities=opportunities,
        targets=targets,
        accounts=accounts.drop("county_fips", "postal_code"),
        alignment=alignment,
        territories=territories,
        reps=reps,
        ownership=ownership,
        shared_owners=shared_owner_frame(plan),
    )
    as_of = latest_fact(revenue.frame, opportunities)
    future = None
    if as_of is not None and as_of > date.today():
        as_of, future = date.today(), as_of
    totals = {str(k): float(v) for k, v in (baseline or {}).get("potential", {}).items()} or None
    first_day = revenue.frame["date"].min() if revenue.frame.height else None
    coded = account_table(inputs).collect()
    owners_today = today_owners(coded, territory_table(inputs))
    note = crediting_note(
        ownership if ownership.height else None,
        owners_today,
        first_day,  # type: ignore[arg-type]
    )
    # no rep is credited before their hire date: who sold then is not known
    unowned, taken = before_hire_unowned(ownership, hires.rename({"id": "rep_id"}), owners_today)
    if taken.height:
        inputs = replace(inputs, ownership=unowned)
        names = dict(zip(reps["id"].to_list(), reps["name"].to_list(), strict=True))
        hired = hire_note(taken, names, first_day)  # type: ignore[arg-type]
        note = "; ".join(n for n in (note, hired) if n) or None
    return PlanData(
        plan,
        inputs,
        as_of,
        source,
        totals,
        design,
        revenue.source,
        note,
        future,
    )


def ownership_frame(connection: Any) -> pl.DataFrame:
    """Every account's ownership periods: ``account_id, owner_id, valid_from, valid_to``."""
    from sqlalchemy import select

    from terraplan.storage.orm import OwnershipPeriodRow as Row

    rows = connection.execute(
        select(Row.record_id, Row.owner_id, Row.valid_from, Row.valid_to).where(
            Row.record_kind == "account"
        )
    ).all()
    schema = {
        "account_id": pl.String,
        "owner_id": pl.String,
        "valid_from": pl.Date,
        "valid_to": pl.Date,
    }
    periods = pl.DataFrame(rows, schema=schema, orient="row")
    before = _crm_owner_periods(connection, periods)
    return pl.concat([before, periods]) if before.height else periods


def _crm_owner_periods(connection: Any, periods: pl.DataFrame) -> pl.DataFrame:
    """For each account whose owner a rule run, activation or owner sync changed: the owner
    the CRM gave it, from :data:`CRM_HISTORY_START` to the day before its first recorded
    period. The CRM export's owner is the best word on who sold there before the plan (the
    plan's new owner did not)."""
    from terraplan.planning.kpi_credit import CRM_HISTORY_START
    from terraplan.storage.plan_records import first_owner_changes

    first_old = {
        account: old
        for account, old in connection.execute(first_owner_changes())
        if old is not None
    }
    crm = pl.DataFrame(
        {"account_id": list(first_old), "crm_owner": list(first_old.values())},
        schema={"account_id": pl.String, "crm_owner": pl.String},
    )
    if crm.height == 0 or periods.height == 0:
        return periods.clear()
    first = periods.sort("valid_from").group_by("account_id", maintain_order=True).first()
    return (
        first.join(crm, on="account_id")
        .filter(pl.col("crm_owner") != pl.col("owner_id"))
        .select(
            "account_id",
            pl.col("crm_owner").alias("owner_id"),
            pl.lit(CRM_HISTORY_START).alias("valid_from"),
            (pl.col("valid_from") - pl.duration(days=1)).alias("valid_to"),
        )
    )


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
