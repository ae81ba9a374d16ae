"""What a reader of a KPI table must be told beside the figures: why a table is empty, whose
figures are left out or shared, and which dates the figures cannot speak for (plain words,
each once), and the names the groups are called by."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from terraplan.planning.kpi_registry import ATTRIBUTE_DIMENSIONS, missing_group
from terraplan.services.monitoring_data import PlanData


def grouping_notes(data: PlanData, dimension: str, keys: Sequence[object]) -> list[str]:
    """What a reader of a KPI table by ``dimension`` with groups ``keys`` must know: why it has
    no rows, or that no account has the attribute grouped by (plain words, each once)."""
    name = data.plan.name
    territories = data.plan.territories
    if keys:
        if dimension in ATTRIBUTE_DIMENSIONS and set(keys) == {missing_group(dimension)}:
            article = "an" if dimension[:1] in "aeiou" else "a"
            return [f"no account has {article} {dimension}: all are in {missing_group(dimension)}"]
        # by rep, an owner of the day may still be credited with them: said by territory only
        if dimension in {"territory", "region"}:
            return _outside_note(data)
        if dimension == "rep":
            return [*_shared_note(data), *_vacant_note(data), *_outside_note(data, by_rep=True)]
        return []
    if not territories:
        return [f"plan {name} has no territories"]
    if dimension == "region":
        return [
            f"plan {name} has no regions: none of its territories has a parent territory "
            "(a region sums the territories under it); ask --by territory, or give it its "
            f"reps' regions (`terraplan plans regions {data.plan.id} --from reps`)"
        ]
    if dimension == "rep":
        return [f"no territory of plan {name} has a primary owner; ask --by territory"]
    if dimension in ATTRIBUTE_DIMENSIONS:
        return [f"no accounts are stored, so there is no {dimension} to group by"]
    return []


def group_names(data: PlanData, by: str) -> dict[str, str]:
    """Names of the KPI groups (territories, regions, reps) by id: names, not ids."""
    if by in {"territory", "region"}:
        return {t.id: t.name for t in data.plan.territories}
    reps = data.inputs.frame("reps") if data.inputs.reps is not None else None
    if by == "rep" and reps is not None:
        found = reps.collect()
        if "name" in found.columns:
            from terraplan.domain.names import distinct_labels

            # two reps called Alex Kim are "Alex Kim (R1)" and "Alex Kim (R2)", not two rows
            # that read the same
            named = [(str(i), n) for i, n in found.select("id", "name").iter_rows() if n]
            return distinct_labels(named)
    return {}


def prior_year_note(data: PlanData, frame: pl.DataFrame) -> list[str]:
    """Why growth is empty in some rows of a KPI ``frame``: last year's dates lie before the
    sales history (one note, with the history's first day)."""
    if "revenue_prior_year" not in frame.columns or frame["revenue_prior_year"].null_count() == 0:
        return []
    sales = data.inputs.frame("sales_lines")
    first = None if sales is None else sales.select(pl.col("date").min()).collect().item()
    # the warehouse run reads no facts here: its tables' first day is not known to this side
    since = f" on {first.isoformat()}," if first is not None else ""
    unknown = frame.filter(pl.col("revenue_prior_year").is_null())["period"].unique().sort()
    periods = ", ".join(unknown.head(3).to_list()) + (", ..." if unknown.len() > 3 else "")
    return [
        f"growth is empty for {periods}: the {_history(data)} starts{since} after the start of "
        "the same dates a year earlier, so last year's revenue there is unknown"
    ]


#: KPIs that count from the start of the sales history (see :func:`history_start_note`).
HISTORY_KPIS = ("new_customers", "inactive_accounts")


def history_start_note(
    data: PlanData, frame: pl.DataFrame, *, inactive_months: int = 6
) -> list[str]:
    """New customers and inactive accounts of periods near the start of the sales history:
    an account's first month with sales is its first month *in the history*, so in the
    history's first year an account that bought before it counts as new; and an inactive
    account's look-back of ``inactive_months`` months reaching before the history finds no
    sales there. One note naming the periods (growth has :func:`prior_year_note`)."""
    if frame.is_empty() or not {"period", "period_start", "period_end"} <= set(frame.columns):
        return []
    sales = data.inputs.frame("sales_lines")
    first = None if sales is None else sales.select(pl.col("date").min()).collect().item()
    if not isinstance(first, date):
        return []
    spans = frame.select("period", "period_start", "period_end").unique().sort("period_start")
    # a won deal makes a customer too: won deals older than the sales start the count earlier
    won = _first_won(data)
    acquired = first if won is None or won >= first else won
    year_on = _months_after(acquired.replace(day=1), 12)
    new = [p for p, start, _ in spans.iter_rows() if start < year_on]
    inactive = []
    for period, _, end in spans.iter_rows():
        last = min(end, data.as_of) if data.as_of is not None else end
        # by month, as the KPI counts: a history from 11 January covers January
        if _months_after(last.replace(day=1), 1 - inactive_months) < first.replace(day=1):
            inactive.append(period)
    parts = []
    if new and "new_customers" in frame.columns and acquired < first:
        parts.append(
            f"new customers in {_some(new)} count accounts whose first sale or won deal "
            f"falls there (won deals are known from {acquired.isoformat()}), so an account "
            "that bought before that counts as new in its first year"
        )
    elif new and "new_customers" in frame.columns:
        parts.append(
            f"new customers in {_some(new)} count accounts whose first sales in the history "
            "fall there, so an account that bought before the history starts counts as new "
            "in its first year"
        )
    if inactive and "inactive_accounts" in frame.columns:
        parts.append(
            f"inactive accounts in {_some(inactive)} look back {inactive_months} months, to "
            "before the history starts, where no sales are known"
        )
    if not parts:
        return []
    return [f"the {_history(data)} starts on {first.isoformat()}: " + "; ".join(parts)]


def _first_won(data: PlanData) -> date | None:
    """The close date of the earliest deal won by the as-of date (none without opportunities):
    from then on, new customers count won deals as well as sales."""
    opps = data.inputs.frame("opportunities")
    if opps is None or not {"is_won", "close_date"} <= set(opps.collect_schema().names()):
        return None
    won = pl.col("is_won").fill_null(False) & pl.col("close_date").is_not_null()
    if data.as_of is not None:
        won = won & (pl.col("close_date") <= data.as_of)
    day = opps.filter(won).select(pl.col("close_date").min()).collect().item()
    return day if isinstance(day, date) else None


def _months_after(day: date, months: int) -> date:
    """The first of the month ``months`` after ``day``'s (``day`` is a month's first)."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _some(periods: Sequence[str]) -> str:
    return ", ".join(periods[:3]) + (", ..." if len(periods) > 3 else "")


def _history(data: PlanData) -> str:
    if data.inputs.frame("sales_lines") is None:
        return "revenue history in the tables"
    if data.revenue_source == "opportunities":
        return "revenue history (Closed Won opportunities)"
    return "sales history"


def revenue_source_note(data: PlanData) -> list[str]:
    """Where revenue came from, when it is not sales lines: every output that shows revenue
    says so."""
    if data.revenue_source == "opportunities":
        return [
            "revenue is the amount of Closed Won opportunities on their close dates (no sales "
            "lines are stored)"
        ]
    return []


def undated_closed_note(data: PlanData) -> list[str]:
    """Closed opportunities stored without a close date (imports refuse them now; older ones
    let them in): every KPI leaves them out, since none can place them in time (one note)."""
    opps = data.inputs.frame("opportunities")
    if opps is None:
        return []
    names = opps.collect_schema().names()
    if "is_closed" not in names:
        return []
    close = pl.col("close_date") if "close_date" in names else pl.lit(None, dtype=pl.Date)
    undated = pl.col("is_closed").fill_null(False) & close.is_null()
    won = pl.col("is_won").fill_null(False) if "is_won" in names else pl.lit(False)
    found = opps.select(undated.sum().alias("n"), (undated & won).sum().alias("won")).collect()
    count, wins = int(found["n"][0] or 0), int(found["won"][0] or 0)
    if not count:
        return []
    noun = "opportunity is" if count == 1 else "opportunities are"
    return [
        f"{count:,} closed {noun} stored without a close date ({wins:,} won): left out of"
        " revenue, win rate, deal size, sales cycle and pipeline, which are dated by it;"
        " import them again with their close dates"
    ]


def credits_note(data: PlanData) -> list[str]:
    """Won opportunities of a negative amount (credit memos, downgrades) closed by the as-of
    date: how many, their total and how they count (one note)."""
    opps = data.inputs.frame("opportunities")
    if opps is None or not {"is_won", "close_date"} <= set(opps.collect_schema().names()):
        return []
    credit = pl.col("is_won").fill_null(False) & (pl.col("amount") < 0)
    if data.as_of is not None:
        credit = credit & (pl.col("close_date") <= data.as_of)
    found = opps.filter(credit.fill_null(False)).select(
        pl.len().alias("n"), pl.col("amount").cast(pl.Float64).sum().alias("total")
    )
    row = found.collect().row(0)
    count, total = int(row[0]), float(row[1] or 0.0)
    if not count:
        return []
    noun = "won opportunity has" if count == 1 else "won opportunities have"
    # revenue is netted by them only when it comes from the won deals (sales lines else)
    reduced = (
        "revenue and the won amounts by type"
        if data.revenue_source == "opportunities"
        else "the won amounts by type (revenue is the sales lines)"
    )
    return [
        f"{count:,} {noun} a negative amount (credits, downgrades: {total:,.2f} in all):"
        f" they reduce {reduced}, and count in no win rate, average deal size, sales"
        " cycle, pipeline or new customers"
    ]


def future_facts_note(data: PlanData) -> list[str]:
    """Records dated after today: the figures are reported as of today and leave them out."""
    if data.future_facts is None or data.as_of is None:
        return []
    return [
        f"some records are dated after today, up to {data.future_facts.isoformat()}: the "
        f"figures are as of today ({data.as_of.isoformat()}) and leave them out; check those "
        "dates, or name the day (--as-of, as_of in the API)"
    ]


def _shared_note(data: PlanData) -> list[str]:
    """Territories with several primary reps: by rep each counts the accounts they hold and a
    share of the territory's targets, which a reader of two partial rows must be told."""
    if data.inputs.frame("shared_owners") is None:  # e.g. KPIs the warehouse computed
        return []
    shared = [t for t in data.plan.territories if len(t.primary_owner_ids) > 1]
    if not shared:
        return []
    names = group_names(data, "rep")
    first = shared[0]
    reps = ", ".join(names.get(r, r) for r in first.primary_owner_ids)
    more = f" and {len(shared) - 1} more territories" if len(shared) > 1 else ""
    return [
        f"{first.name}{more} {'are' if more else 'is'} shared by several primary reps ({reps}"
        f"{', ...' if more else ''}): each rep counts the accounts they own there, the leads "
        "routing hands them in turn and a share "
        "of the territory's targets (by their weights); by territory the figures are whole"
    ]


def _vacant_note(data: PlanData) -> list[str]:
    """Leaf territories with accounts and no primary rep (vacant): by rep their accounts and
    potential, which follow today's owner, are in no row, while their sales and pipeline go to
    the owner of the day (the CRM's owner where no activation recorded one), as the vacant
    territory alert and the Team tab say (said, with the way out)."""
    aligned = data.inputs.frame("alignment")
    if aligned is None:
        return []
    parents = {t.parent_id for t in data.plan.territories}
    vacant = [t for t in data.plan.territories if t.id not in parents and not t.primary_owner_ids]
    if not vacant:
        return []
    holding = set(
        aligned.select(pl.col("territory_id").cast(pl.String)).unique().collect()["territory_id"]
    )
    empty_handed = [t for t in vacant if t.id in holding]
    if not empty_handed:
        return []
    first = empty_handed[0]
    more = f" and {len(empty_handed) - 1} more territories" if len(empty_handed) > 1 else ""
    return [
        f"{first.name}{more} {'have' if more else 'has'} no primary rep (vacant): by rep, "
        f"{'their' if more else 'its'} open accounts and potential are in no row, so those "
        "columns add up to less than the company (by territory they are counted); the sales "
        "and pipeline there stay with the rep who owned each account on the day (the CRM's "
        "owner where no activation recorded one), in no row where no rep did; give it an "
        "owner (`terraplan plans owners`)"
    ]


def _outside_note(data: PlanData, *, by_rep: bool = False) -> list[str]:
    """Accounts with sales or opportunities but no territory in the plan: a table by
    territory or region leaves their figures out, one by segment or industry counts them.
    ``by_rep``: only those with no recorded owner either (an owner of the day is credited
    with the others)."""
    accounts = data.inputs.frame("accounts")
    if accounts is None:
        return []
    aligned = data.inputs.frame("alignment")
    active = [
        frame.select(pl.col("account_id").cast(pl.String))
        for frame in (data.inputs.frame("sales_lines"), data.inputs.frame("opportunities"))
        if frame is not None
    ]
    if not active:
        return []
    with_facts = pl.concat(active).unique()
    schema = accounts.collect_schema()
    outside = accounts.select(
        pl.col("id").cast(pl.String),
        *([pl.col("name")] if "name" in schema else []),
        *([pl.col("owner_id").cast(pl.String)] if by_rep and "owner_id" in schema else []),
    ).join(with_facts, left_on="id", right_on="account_id", how="semi")
    if aligned is not None:
        placed = aligned.select(pl.col("account_id").cast(pl.String))
        outside = outside.join(placed, left_on="id", right_on="account_id", how="anti")
    owned = data.inputs.frame("ownership") if by_rep else None
    if owned is not None:
        recorded = owned.select(pl.col("account_id").cast(pl.String))
        outside = outside.join(recorded, left_on="id", right_on="account_id", how="anti")
    found = outside.sort("id").collect()
    if found.height == 0:
        return []
    names = found["name" if "name" in found.columns else "id"].fill_null(found["id"]).to_list()
    shown = ", ".join(str(n) for n in names[:3]) + (", ..." if len(names) > 3 else "")
    count = (
        f"{found.height:,} accounts with sales or opportunities are"
        if found.height != 1
        else ("1 account with sales or opportunities is")
    )
    whose = "its" if found.height == 1 else "their"
    if by_rep:
        return [
            f"{count} in no territory of plan {data.plan.name} and no owner is recorded for "
            f"{'it' if found.height == 1 else 'them'} ({shown}): {whose} figures are in no rep's "
            "row, so the rows add up to less than the company (by industry or by segment they "
            f"count){_owners_on_accounts(data, found)}"
        ]
    return [
        f"{count} in no territory of plan {data.plan.name} ({shown}): "
        f"{whose} figures are in no row here (by industry or by segment they count)"
    ]


def _owners_on_accounts(data: PlanData, found: pl.DataFrame) -> str:
    """The by-rep note's tail naming how many of the accounts ``found`` (``id``, ``name``,
    ``owner_id``) have an owner on the account record (the CRM's) that no row credits yet:
    "no owner is recorded" means no ownership history, which a plan's activation writes."""
    if "owner_id" not in found.columns:
        return ""
    owned = found.filter(pl.col("owner_id").is_not_null())
    if owned.height == 0:
        return ""
    first = owned.row(0, named=True)
    owner = group_names(data, "rep").get(first["owner_id"], first["owner_id"])
    account = first.get("name") or first["id"]
    some = "it has" if found.height == 1 else f"{owned.height:,} of them have"
    return (
        f"; {some} an owner on the account record (e.g. {account}: {owner}), credited"
        " with them once a plan is activated (activation records each account's owner)"
    )


LEAD_KPIS = ("lead_conversion_rate", "lead_win_rate")


def lead_note(data: PlanData, dimension: str, frame: pl.DataFrame) -> list[str]:
    """Why lead conversion is empty, or counts only some leads, in a KPI ``frame`` by
    ``dimension``: a lead counts in a group by a field of its own (its territory is where the
    plan's rules route it; its own segment or industry), never through the account it
    converted to, and a lead without that field is in no group (one note)."""
    leads = data.inputs.frame("leads")
    if leads is None or frame.is_empty() or not any(k in frame.columns for k in LEAD_KPIS):
        return []
    field = dimension if dimension in ATTRIBUTE_DIMENSIONS else "territory_id"
    if field not in leads.collect_schema().names():
        leads = leads.with_columns(pl.lit(None, dtype=pl.String).alias(field))
    if {"period_start", "period_end"} <= set(frame.columns):
        first, last = frame["period_start"].min(), frame["period_end"].max()
        if data.as_of is not None and isinstance(last, date):
            last = min(last, data.as_of)
        leads = leads.filter(pl.col("created_date").is_between(first, last))
    counts = leads.select(pl.len().alias("all"), pl.col(field).null_count().alias("without"))
    total, without = (int(v) for v in counts.collect().row(0))
    if not without:
        return []
    if field == "territory_id":
        lacking = f"no rule of plan {data.plan.name} places"
        fix = "rules on a lead's ZIP, state or industry place it: `terraplan route`"
    else:
        lacking = f"no {dimension} is known for"
        fix = "see them by territory or industry"
    if without == total and field == "segment":
        return [
            "leads carry no segment, so lead conversion and lead win rate are empty by "
            f"segment (a lead counts by its own fields, not the account it became: {fix})"
        ]
    if without == total:
        return [
            f"{lacking} any of the {total:,} leads created in these periods, so lead "
            f"conversion and lead win rate are empty by {dimension} (a lead counts by its own "
            f"fields, not the account it became: {fix})"
        ]
    return [
        f"{lacking} {without:,} of the {total:,} leads created in these periods: lead "
        f"conversion and lead win rate by {dimension} count the other {total - without:,}"
    ]


def recut_note(
    data: PlanData, dimension: str, frame: pl.DataFrame, *, source_shown: bool = True
) -> list[str]:
    """KPIs by territory or region of days before a realigned plan took effect: the accounts
    are counted in this plan's territories on those days too, so a realignment restates
    closed quarters (a territory's first quarter read 125 % under the plan then in force and
    87 % under the one from July). Said once, for a plan made from another; by rep, revenue
    follows the owner of the day and needs no such note. ``source_shown`` False (a rep, who
    does not see an archived plan past its time): the plan it was made from is not offered."""
    start, before = data.plan.effective_from, data.plan.based_on_plan_id
    if (
        dimension not in ("territory", "region")
        or start is None
        or before is None
        or "period_start" not in frame.columns
        or frame.is_empty()
    ):
        return []
    first = frame["period_start"].min()
    if not isinstance(first, date) or first >= start:
        return []
    groups = "territories" if dimension == "territory" else "regions"
    said = (
        f"{dimension} figures of days before {start}, when plan {data.plan.id} took effect, "
        f"count the accounts in its {groups} as they are now"
    )
    if not source_shown:
        return [f"{said}; by rep, each rep's figures follow the accounts they owned on each day"]
    return [f"{said}; plan {before}, which it was made from, shows them in its own"]


def inactive_reps_note(data: PlanData, frame: pl.DataFrame) -> list[str]:
    """By rep: reps marked inactive (left the company) among the rows, so that a row ending
    in -100 % growth reads as a rep who left, not one who stopped selling."""
    reps = data.inputs.frame("reps") if data.inputs.reps is not None else None
    if reps is None or frame.is_empty() or "active" not in reps.collect_schema().names():
        return []
    shown = {str(k) for k in frame["key"].unique().to_list()}
    gone = [
        str(rep_id)
        for rep_id, active in reps.select("id", "active").collect().iter_rows()
        if active is False and str(rep_id) in shown
    ]
    if not gone:
        return []
    names = group_names(data, "rep")
    listed = sorted(names.get(r, r) for r in gone)
    who = ", ".join(listed[:5]) + (f" and {len(listed) - 5} more" if len(listed) > 5 else "")
    verb = "is" if len(listed) == 1 else "are"
    return [
        f"{who} {verb} marked inactive (left): their rows hold what they sold while they "
        "owned accounts"
    ]


#: KPIs read from the accounts' potential (see :func:`potential_note`).
POTENTIAL_KPIS = ("potential", "penetration", "whitespace")


def potential_note(data: PlanData, frame: pl.DataFrame) -> list[str]:
    """Open accounts without a potential, when a KPI ``frame`` shows potential, penetration or
    whitespace: where no account carries one, those are empty (unknown, not 0: a whitespace
    of 0 reads "nothing left to sell"); where some lack it, the figures count the others
    (one note, the counts as the balance note gives them)."""
    from terraplan.planning.kpi_groups import open_account_table

    if frame.is_empty() or not any(k in frame.columns for k in POTENTIAL_KPIS):
        return []
    if data.inputs.frame("accounts") is None:
        return []
    accounts = open_account_table(data.inputs)
    counts = accounts.select(
        pl.len().alias("all"), pl.col("potential").null_count().alias("without")
    ).collect()
    total, lacking = (int(v) for v in counts.row(0))
    if not lacking:
        return []
    if lacking == total:
        return [
            "no account carries a potential: potential, penetration and whitespace are empty "
            "(unknown, not 0); import it with the accounts to see them"
        ]
    return [
        f"{lacking:,} of {total:,} accounts have no potential: potential, penetration and "
        f"whitespace count the other {total - lacking:,} (a group none of whose accounts has "
        "one reads empty)"
    ]
