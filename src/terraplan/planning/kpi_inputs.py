"""Inputs of performance monitoring: columnar frames with a documented column contract.

Each frame may be a polars ``DataFrame``/``LazyFrame`` or a pyarrow ``Table``; column names are
the domain field names. Ids may be any type that is equal across frames (text from storage).

=============== ======================================================================== ==========
frame           required columns (type)                                                  optional
=============== ======================================================================== ==========
sales_lines     account_id, date (date), amount (float, negative = return)               id, product, quantity
opportunities   account_id, created_date (date), amount, is_closed (bool), is_won (bool) close_date, id, owner_id, stage, lead_source, deal_type
targets         period_start, period_end (dates), amount, territory_id, rep_id           metric (only "revenue" used)
accounts        id                                                                        potential, workload, segment, industry, owner_id, customer_type, name, closed_on
alignment       account_id, territory_id (leaf territory)                                 -
territories     id                                                                        parent_id, owner_id (primary rep), name, level
leads           id, created_date (date)                                                   converted_opportunity_id, territory_id, segment, industry
costs           territory_id, period_start, period_end (dates), amount (acquisition spend) -
reps            id                                                                        capacity_hours, capacity_accounts, name, active (bool), hire_date (date)
ownership       account_id, owner_id, valid_from, valid_to (dates; null = still)          -
shared_owners   territory_id, rep_id, share (float > 0)                                  rep_order
=============== ======================================================================== ==========

Closed accounts (``closed_on`` set) keep their sales and opportunities in the KPIs of periods;
a period's book (account count, potential, whitespace) holds them in the periods up to the month
they closed, where an account closed by the period's end is inactive; balance, capacity, priorities and the
unowned-account alert count open accounts only. A balance on another account sum reads the
accounts' ``annual_revenue``, ``employees`` or ``attributes`` (a struct, or JSON text as
storage gives it) the same way (:func:`terraplan.planning.kpi_balance.account_metric`).

Sales lines and opportunities of accounts known to neither ``accounts`` nor ``alignment`` are
ignored. Accounts without a territory still count for their segment and industry.

Ownership: who owned an account on which days (effective-dated, recorded at activations); when
given, KPIs by rep credit revenue, wins and pipeline to the owner of the day
(:mod:`terraplan.planning.kpi_credit`).

Hire dates: by rep, a rep's targets (their own and their territories') count only the days
on or after their ``hire_date`` (:func:`terraplan.planning.kpi_spread.hire_dates`); a rep
with none, or hired before the targets start, gets them whole.

Shared owners: the primary reps of territories that have several (one row each, ``share``
their weight, ``rep_order`` their place in the plan's order of the territory's reps, from 0;
without it, the frame's order). By rep, such a territory's accounts count for the rep who
holds them (their ``owner_id`` when it is one of those reps, else the territory's
``owner_id``), its leads for the rep whose turn they were (in ``rep_order`` order) and its
targets and costs are split by the shares; by territory nothing changes.

Leads: a lead counts toward a territory through ``territory_id`` (where routing put it) or, when
that is null, through the account of its converted opportunity. ``converted_opportunity_id``
names the opportunity it became (null while unconverted).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeAlias

import polars as pl

from terraplan.domain import (
    Account,
    Lead,
    Opportunity,
    Plan,
    Rep,
    SalesLine,
    Target,
)
from terraplan.errors import DataError
from terraplan.planning.alignment import account_territories

FrameLike: TypeAlias = Any  # pl.DataFrame | pl.LazyFrame | pyarrow.Table

REQUIRED: Mapping[str, tuple[str, ...]] = {
    "sales_lines": ("account_id", "date", "amount"),
    "opportunities": ("account_id", "created_date", "amount", "is_closed", "is_won"),
    "targets": ("period_start", "period_end", "amount", "territory_id", "rep_id"),
    "accounts": ("id",),
    "alignment": ("account_id", "territory_id"),
    "territories": ("id",),
    "leads": ("id", "created_date"),
    "costs": ("territory_id", "period_start", "period_end", "amount"),
    "reps": ("id",),
    "ownership": ("account_id", "owner_id", "valid_from", "valid_to"),
    "shared_owners": ("territory_id", "rep_id", "share"),
}

DATE_COLUMNS = (
    "date",
    "created_date",
    "close_date",
    "period_start",
    "period_end",
    "valid_from",
    "valid_to",
    "hire_date",
)


@dataclass(frozen=True)
class KpiInputs:
    """The frames KPIs, balance, alerts and priorities read (see the module docstring)."""

    sales_lines: FrameLike
    opportunities: FrameLike | None = None
    targets: FrameLike | None = None
    accounts: FrameLike | None = None
    alignment: FrameLike | None = None
    territories: FrameLike | None = None
    leads: FrameLike | None = None
    costs: FrameLike | None = None
    reps: FrameLike | None = None
    ownership: FrameLike | None = None
    shared_owners: FrameLike | None = None

    def frame(self, name: str) -> pl.LazyFrame | None:
        """The named input as a validated LazyFrame (None when not given)."""
        value = getattr(self, name)
        if value is None:
            return None
        return as_lazy(value, name)

    @classmethod
    def from_domain(
        cls,
        *,
        sales_lines: Iterable[SalesLine] = (),
        opportunities: Iterable[Opportunity] = (),
        targets: Iterable[Target] = (),
        accounts: Iterable[Account] = (),
        plan: Plan | None = None,
        reps: Iterable[Rep] = (),
        leads: Iterable[Lead] = (),
        lead_created: Mapping[str, date] | None = None,
        lead_conversions: Mapping[str, str] | None = None,
        lead_territories: Mapping[str, str] | None = None,
        costs: Iterable[tuple[str, date, date, float]] = (),
    ) -> KpiInputs:
        """Build inputs from domain objects (small cases, tests).

        The domain ``Lead`` has no creation date or conversion link yet, so they come as
        mappings keyed by lead id; leads without a ``lead_created`` entry are skipped.
        ``costs`` are ``(territory_id, period_start, period_end, amount)`` tuples.
        """
        lines = list(sales_lines)
        sales = pl.DataFrame(
            {
                "id": [s.id for s in lines],
                "account_id": [s.account_id for s in lines],
                "date": [s.date for s in lines],
                "amount": [float(s.amount) for s in lines],
                "product": [s.product for s in lines],
                "quantity": [s.quantity for s in lines],
            },
            schema={
                "id": pl.String,
                "account_id": pl.String,
                "date": pl.Date,
                "amount": pl.Float64,
                "product": pl.String,
                "quantity": pl.Float64,
            },
        )
        opps = list(opportunities)
        opp_frame = pl.DataFrame(
            {
                "id": [o.id for o in opps],
                "account_id": [o.account_id for o in opps],
                "owner_id": [o.owner_id for o in opps],
                "created_date": [o.created_date for o in opps],
                "close_date": [o.close_date for o in opps],
                "stage": [o.stage for o in opps],
                "amount": [float(o.amount) for o in opps],
                "is_closed": [o.is_closed for o in opps],
                "is_won": [o.is_won for o in opps],
                "lead_source": [o.lead_source for o in opps],
                "deal_type": [o.deal_type for o in opps],
            },
            schema={
                "id": pl.String,
                "account_id": pl.String,
                "owner_id": pl.String,
                "created_date": pl.Date,
                "close_date": pl.Date,
                "stage": pl.String,
                "amount": pl.Float64,
                "is_closed": pl.Boolean,
                "is_won": pl.Boolean,
                "lead_source": pl.String,
                "deal_type": pl.String,
            },
        )
        tgts = [t for t in targets if t.metric == "revenue"]
        target_frame = pl.DataFrame(
            {
                "id": [t.id for t in tgts],
                "territory_id": [t.territory_id for t in tgts],
                "rep_id": [t.rep_id for t in tgts],
                "period_start": [t.period_start for t in tgts],
                "period_end": [t.period_end for t in tgts],
                "amount": [float(t.amount) for t in tgts],
            },
            schema={
                "id": pl.String,
                "territory_id": pl.String,
                "rep_id": pl.String,
                "period_start": pl.Date,
                "period_end": pl.Date,
                "amount": pl.Float64,
            },
        )
        accs = list(accounts)
        account_frame = pl.DataFrame(
            {
                "id": [a.id for a in accs],
                "name": [a.name for a in accs],
                "potential": [a.potential for a in accs],
                "workload": [a.workload for a in accs],
                "segment": [a.segment for a in accs],
                "industry": [a.industry for a in accs],
                "customer_type": [a.customer_type for a in accs],
                "owner_id": [a.owner_id for a in accs],
                # what a balance may total besides potential and workload, as stored
                "annual_revenue": [a.annual_revenue for a in accs],
                "employees": [a.employees for a in accs],
                "attributes": [json.dumps(a.attributes) if a.attributes else None for a in accs],
            },
            schema={
                "id": pl.String,
                "name": pl.String,
                "potential": pl.Float64,
                "workload": pl.Float64,
                "segment": pl.String,
                "industry": pl.String,
                "customer_type": pl.String,
                "owner_id": pl.String,
                "annual_revenue": pl.Float64,
                "employees": pl.Float64,
                "attributes": pl.String,
            },
        )
        alignment = territories = None
        if plan is not None:
            entries = account_territories(plan, accs)
            alignment = pl.DataFrame(
                {"account_id": list(entries), "territory_id": list(entries.values())},
                schema={"account_id": pl.String, "territory_id": pl.String},
            )
            owners = [
                t.primary_owner_ids[0] if t.primary_owner_ids else None for t in plan.territories
            ]
            territories = pl.DataFrame(
                {
                    "id": [t.id for t in plan.territories],
                    "name": [t.name for t in plan.territories],
                    "parent_id": [t.parent_id for t in plan.territories],
                    "level": [t.level for t in plan.territories],
                    "owner_id": owners,
                },
                schema={
                    "id": pl.String,
                    "name": pl.String,
                    "parent_id": pl.String,
                    "level": pl.String,
                    "owner_id": pl.String,
                },
            )
        rep_list = list(reps)
        rep_frame = pl.DataFrame(
            {
                "id": [r.id for r in rep_list],
                "name": [r.name for r in rep_list],
                "capacity_hours": [r.capacity_hours for r in rep_list],
                "capacity_accounts": [r.capacity_accounts for r in rep_list],
                "active": [r.active for r in rep_list],
                "hire_date": [r.hire_date for r in rep_list],
            },
            schema={
                "id": pl.String,
                "name": pl.String,
                "capacity_hours": pl.Float64,
                "capacity_accounts": pl.Int64,
                "active": pl.Boolean,
                "hire_date": pl.Date,
            },
        )
        created = dict(lead_created or {})
        conversions = dict(lead_conversions or {})
        routed = dict(lead_territories or {})
        lead_list = [ld for ld in leads if ld.id in created]
        lead_frame = pl.DataFrame(
            {
                "id": [ld.id for ld in lead_list],
                "created_date": [created[ld.id] for ld in lead_list],
                "converted_opportunity_id": [conversions.get(ld.id) for ld in lead_list],
                "territory_id": [routed.get(ld.id) for ld in lead_list],
                "industry": [ld.industry for ld in lead_list],
            },
            schema={
                "id": pl.String,
                "created_date": pl.Date,
                "converted_opportunity_id": pl.String,
                "territory_id": pl.String,
                "industry": pl.String,
            },
        )
        cost_list = list(costs)
        cost_frame = pl.DataFrame(
            {
                "territory_id": [c[0] for c in cost_list],
                "period_start": [c[1] for c in cost_list],
                "period_end": [c[2] for c in cost_list],
                "amount": [float(c[3]) for c in cost_list],
            },
            schema={
                "territory_id": pl.String,
                "period_start": pl.Date,
                "period_end": pl.Date,
                "amount": pl.Float64,
            },
        )
        return cls(
            sales_lines=sales,
            opportunities=opp_frame,
            targets=target_frame,
            accounts=account_frame,
            alignment=alignment,
            territories=territories,
            leads=lead_frame if lead_list else None,
            costs=cost_frame if cost_list else None,
            reps=rep_frame if rep_list else None,
            shared_owners=shared_owner_frame(plan) if plan is not None else None,
        )


def shared_owner_frame(plan: Plan) -> pl.DataFrame | None:
    """``territory_id, rep_id, share`` for the territories of ``plan`` with several primary
    reps (None when there are none): see the module docstring."""
    rows = [
        (t.id, o.rep_id, o.share, order)
        for t in plan.territories
        if len(t.primary_owner_ids) > 1
        for order, o in enumerate(o for o in t.owners if o.rep_id in t.primary_owner_ids)
    ]
    if not rows:
        return None
    return pl.DataFrame(
        rows,
        schema={
            "territory_id": pl.String,
            "rep_id": pl.String,
            "share": pl.Float64,
            "rep_order": pl.Int32,
        },
        orient="row",
    )


def as_lazy(value: FrameLike, name: str) -> pl.LazyFrame:
    """Convert a polars/Arrow frame to a LazyFrame and check the required columns.

    Raises :class:`DataError` (details: file=name, field, reason) for a missing column or a
    value that is not a frame. Date-time columns named in the contract become dates.
    """
    if isinstance(value, pl.LazyFrame):
        lazy = value
    elif isinstance(value, pl.DataFrame):
        lazy = value.lazy()
    else:
        try:
            frame = pl.from_arrow(value)
        except Exception as exc:  # polars raises several types for a non-Arrow value
            raise DataError(
                f"{name}: expected a polars DataFrame/LazyFrame or an Arrow table",
                details={"file": name, "reason": type(value).__name__},
            ) from exc
        if not isinstance(frame, pl.DataFrame):
            raise DataError(f"{name}: expected a table", details={"file": name})
        lazy = frame.lazy()
    schema = lazy.collect_schema()
    for column in REQUIRED.get(name, ()):
        if column not in schema:
            raise DataError(
                f"{name}: missing column {column!r}",
                details={"file": name, "field": column, "reason": "missing column"},
            )
    casts = [
        pl.col(c).cast(pl.Date)
        for c in DATE_COLUMNS
        if c in schema and isinstance(schema[c], pl.Datetime)
    ]
    numeric = [
        pl.col(c).cast(pl.Float64)
        for c in ("amount", "potential", "workload", "capacity_hours")
        if c in schema and schema[c] != pl.Float64 and schema[c].is_numeric()
    ]
    if casts or numeric:
        lazy = lazy.with_columns(casts + numeric)
    return lazy


def has_column(lazy: pl.LazyFrame, column: str) -> bool:
    return column in lazy.collect_schema()


def optional_columns(
    lazy: pl.LazyFrame, columns: Sequence[str], dtype: Any = pl.String
) -> pl.LazyFrame:
    """Add any missing ``columns`` as nulls of ``dtype``."""
    schema = lazy.collect_schema()
    missing = [pl.lit(None, dtype=dtype).alias(c) for c in columns if c not in schema]
    return lazy.with_columns(missing) if missing else lazy


def closed_flags(as_of: date) -> tuple[pl.Expr, pl.Expr]:
    """``closed`` (closed on or before ``as_of``) and ``undated`` (closed, with no close
    date) of opportunities with ``is_closed`` and ``close_date``.

    A closed opportunity counts on its close date. One stored without a close date (none
    can be imported now; older imports let them in) cannot be placed in time: it is in no
    KPI of closed deals (wins, win rate, deal size, sales cycle, leads won) and in no
    pipeline, as it is left out of the revenue history (:mod:`terraplan.planning.revenue`);
    never a win in one KPI and missing from another's revenue. The KPI notes count them."""
    is_closed = pl.col("is_closed").fill_null(False)
    return (
        (is_closed & (pl.col("close_date") <= as_of)).fill_null(False).alias("closed"),
        (is_closed & pl.col("close_date").is_null()).alias("undated"),
    )
