"""The one registry of performance KPIs: name, unit, direction and definition.

The CLI, the API, the docs and the tests all read :data:`KPIS`. Every name is also a column of
the frame returned by :func:`terraplan.planning.kpis.compute_kpis`, in this order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from terraplan.domain.amounts import exact_figure
from terraplan.errors import InvalidParameterError

if TYPE_CHECKING:
    import polars as pl

#: The groupings a KPI can be computed for.
DIMENSIONS: tuple[str, ...] = ("territory", "region", "rep", "segment", "industry")
#: The groupings by an account attribute, which an account may lack.
ATTRIBUTE_DIMENSIONS: tuple[str, ...] = ("segment", "industry")


def missing_group(dimension: str) -> str:
    """The key of the group of accounts with no value for ``dimension``: ``(no industry)``.

    Such accounts form their own group, so the groups of a dimension add up to the whole."""
    return f"(no {dimension})"


@dataclass(frozen=True, slots=True)
class KpiDefinition:
    """One KPI.

    ``higher_is_better`` is True/False for KPIs with a direction, None for context figures
    (targets, potential ...). ``unit`` is one of "currency", "ratio", "count", "days",
    "currency_per_customer".
    """

    name: str
    label: str
    unit: str
    higher_is_better: bool | None
    definition: str


KPIS: tuple[KpiDefinition, ...] = (
    KpiDefinition(
        "revenue",
        "Revenue",
        "currency",
        True,
        "Sum of sales line amounts dated in the period up to the as-of date; returns and "
        "credit notes (negative lines) reduce it; without sales lines, the amounts of "
        "opportunities won, credit memos and downgrades (won, negative) reducing it (net "
        "revenue). An empty period has revenue 0.",
    ),
    KpiDefinition(
        "revenue_prior_year",
        "Revenue, same period last year",
        "currency",
        None,
        "Revenue over the same dates one year earlier (for a period in progress: from its start "
        "to the as-of date, both shifted back one year, an as-of date on a month's last day to "
        "that month's last day: as of 28 February 2025 a quarter or year to date compares "
        "with last year to 29 February 2024, as February 2025 alone does; a period ending on "
        "the as-of date is complete and compares with the whole period a year earlier, 29 "
        "February included, as does a year to date on its year's last day). Null (unknown, "
        "not 0) when the sales history starts after the first month of those dates.",
    ),
    KpiDefinition(
        "revenue_growth",
        "Growth vs last year",
        "ratio",
        True,
        "revenue / revenue_prior_year - 1; null when revenue_prior_year is null or <= 0.",
    ),
    KpiDefinition(
        "target",
        "Target",
        "currency",
        None,
        "Revenue targets spread evenly over their days, summed over the whole period; a day "
        "covered by targets of several lengths counts once, from the shortest. A group "
        "uses targets set on it directly, else the sum over its territories; a rep with "
        "targets of their own in any period gets only their own (a rep hired in July has none "
        "for the first quarter, not the first quarter of the territory they took over, which "
        "their predecessor keeps). By rep, targets (their own and their territories') count "
        "only the days from the rep's hire date (reps' hire_date): a rep hired on 10 August "
        "who took over a territory gets 22/31 of its August target and its later months, and "
        "none for a period before the hire; null when none.",
    ),
    KpiDefinition(
        "attainment",
        "Attainment",
        "ratio",
        True,
        "revenue / target; null when the target is missing or 0.",
    ),
    KpiDefinition(
        "elapsed_share",
        "Elapsed share of period",
        "ratio",
        None,
        "Days from the period start to min(period end, as-of) / days in the period (0..1).",
    ),
    KpiDefinition(
        "pace_to_target",
        "Pace to target",
        "ratio",
        True,
        "revenue / the targets of the days from the period start to min(period end, as-of) "
        "(spread as target is): 1.0 means on track to hit the target by the period end; with "
        "targets even over the period it is attainment / elapsed_share, with months of "
        "different targets each month weighs its own; null when attainment is null or no "
        "target covers the days gone. A group with targets of its own in the period is paced "
        "on them alone (none of their days gone yet: null), as its target and attainment use "
        "them.",
    ),
    KpiDefinition(
        "open_pipeline",
        "Open pipeline",
        "currency",
        True,
        "Amount of opportunities open at the end of the period's last month (capped at the "
        "as-of date): created by then and not closed by then. A credit (a won opportunity of "
        "a negative amount) is never pipeline.",
    ),
    KpiDefinition(
        "pipeline_coverage",
        "Pipeline coverage",
        "ratio",
        True,
        "open_pipeline / (target - revenue); null when there is no target or it is already met.",
    ),
    KpiDefinition(
        "win_rate",
        "Win rate",
        "ratio",
        True,
        "Won / closed opportunities, counted by close date in the period (a closed opportunity "
        "stored without one counts in no period, nor in revenue or pipeline); a credit memo or "
        "downgrade (won, negative amount) is no won deal and counts in neither; a won deal of "
        "0 is a win; null when none closed.",
    ),
    KpiDefinition(
        "lead_conversion_rate",
        "Lead to opportunity",
        "ratio",
        True,
        "Leads created in the period that were converted to an opportunity by the as-of date "
        "(its opportunity created by then: the day the lead converted; a lead whose "
        "opportunity is not among the opportunities counts as converted) / leads created in "
        "the period; null when there are no leads.",
    ),
    KpiDefinition(
        "lead_win_rate",
        "Lead to won",
        "ratio",
        True,
        "Leads created in the period whose converted opportunity is won (as of the as-of date) "
        "/ leads created in the period; null when there are no leads.",
    ),
    KpiDefinition(
        "new_customers",
        "New customers",
        "count",
        True,
        "Accounts whose first month with positive net sales or, when earlier, with a deal "
        "won (0 or more; a credit is no deal) falls in the period: an account is new once, so "
        "the renewal of a deal won or billed before the sales lines start (a prepaid "
        "multi-year deal, a free renewal) is no new customer; nor is an account that won a "
        "deal of a renewal or expansion type (Existing Business, Renewal, Upsell, Add-On...) "
        "in or before that month, unless a New Business deal was won in that month.",
    ),
    KpiDefinition(
        "acquisition_cost",
        "Acquisition spend",
        "currency",
        None,
        "Acquisition spend (costs input) spread evenly over its days, summed over the period "
        "up to the as-of date; null when no costs are given for the group.",
    ),
    KpiDefinition(
        "customer_acquisition_cost",
        "Customer acquisition cost",
        "currency_per_customer",
        False,
        "acquisition_cost / new_customers; null without costs or new customers.",
    ),
    KpiDefinition(
        "average_deal_size",
        "Average deal size",
        "currency",
        True,
        "Mean amount of opportunities won (closed) in the period, deals of 0 included, "
        "credits and downgrades (negative amounts) left out; null when none won.",
    ),
    KpiDefinition(
        "sales_cycle_days",
        "Sales cycle length",
        "days",
        False,
        "Mean days from created_date to close_date of opportunities won in the period "
        "(credits left out).",
    ),
    KpiDefinition(
        "new_business_won",
        "New business won",
        "currency",
        True,
        "Amount of opportunities of type New Business (the CRM's Type or Deal Type) won"
        " in the period, credits of that type netted; 0 when none.",
    ),
    KpiDefinition(
        "existing_business_won",
        "Renewals and expansion won",
        "currency",
        True,
        "Amount of opportunities of type Existing Business, Renewal, Upsell, Add-On,"
        " Expansion, Cross-Sell, Upgrade or Downgrade won in the period, credits and"
        " downgrades netted; 0 when none. Deals of no type count in neither.",
    ),
    KpiDefinition(
        "account_count",
        "Accounts",
        "count",
        None,
        "Accounts aligned to the group (current alignment) and open at some time in the "
        "period: a closed account counts in the periods up to the month it closed.",
    ),
    KpiDefinition(
        "revenue_per_account",
        "Revenue per account",
        "currency",
        True,
        "revenue / account_count; null when the group has no accounts.",
    ),
    KpiDefinition(
        "potential",
        "Potential (period share)",
        "currency",
        None,
        "Sum of account potential (per year) x period_years over the accounts counted in "
        "account_count, where period_years = months of the period elapsed by the as-of date "
        "/ 12 (a partial month counts by its days); an account without a potential adds "
        "nothing. Null (unknown, not 0) when none of those accounts has a potential.",
    ),
    KpiDefinition(
        "penetration",
        "Penetration",
        "ratio",
        True,
        "revenue / potential (period share); null when potential is 0 or missing.",
    ),
    KpiDefinition(
        "whitespace",
        "Whitespace",
        "currency",
        None,
        "Sum over the accounts of account_count with a potential of max(potential x "
        "period_years - account revenue in the period, 0): potential not yet bought; null "
        "when potential is null (no account with a potential, not nothing left to sell).",
    ),
    KpiDefinition(
        "inactive_accounts",
        "Inactive accounts",
        "count",
        False,
        "Accounts of account_count with no month of positive net sales and no opportunity created in the "
        "N months (inactive_months, `kpis --inactive-months`, default 6; 12 or more for annual billing) ending with the period's last month "
        "(capped at the as-of month: a year to date looks back from the reporting month); "
        "an account closed by then is inactive.",
    ),
)

KPI_NAMES: tuple[str, ...] = tuple(k.name for k in KPIS)
#: The KPIs that count things (accounts, customers): unit "count".
COUNT_KPIS: tuple[str, ...] = tuple(k.name for k in KPIS if k.unit == "count")


def whole_counts(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (a KPI table, computed here or in a warehouse) with each count KPI column
    as integers when all its values are whole: files and the API give ``529`` accounts, not
    ``529.0``. Nulls stay null; a column holding a fraction is left as it is."""
    import polars as pl

    def whole(values: pl.Series) -> bool:
        values = values.drop_nulls()
        return bool(values.is_finite().all() and (values % 1 == 0).all())

    return frame.with_columns(
        pl.col(name).cast(pl.Int64)
        for name in COUNT_KPIS
        if name in frame.columns and frame.schema[name].is_float() and whole(frame[name])
    )


def shown_value(value: object) -> object:
    """A KPI value as files and the API give it: a float rounded to 12 significant digits
    (sums of cents carry binary noise: ``1027879.6000000001`` is ``1027879.6``); anything
    else as it is."""
    if isinstance(value, float):
        return exact_figure(value)
    return value


def kpi_definition(name: str) -> KpiDefinition:
    """Look a KPI up by name; raise :class:`InvalidParameterError` for an unknown name."""
    for kpi in KPIS:
        if kpi.name == name:
            return kpi
    raise InvalidParameterError(
        f"unknown KPI {name!r}", details={"field": "kpi", "allowed": list(KPI_NAMES)}
    )
