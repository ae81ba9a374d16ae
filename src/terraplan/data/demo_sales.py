"""Demo sales history (monthly-ish invoice lines) and opportunities, vectorised with numpy."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from terraplan.data.demo_accounts import CUSTOMER_TYPE_NAMES, LEAD_SOURCES
from terraplan.data.demo_people import PRODUCTS
from terraplan.domain import Account, Opportunity, SalesLine

#: Relative sales by calendar month (a Q4 peak, a slow January and summer).
SEASONALITY: dict[int, float] = {
    1: 0.80, 2: 0.85, 3: 1.00, 4: 0.95, 5: 0.95, 6: 1.05,
    7: 0.90, 8: 0.90, 9: 1.05, 10: 1.10, 11: 1.20, 12: 1.45,
}  # fmt: skip
#: Yearly growth of the business.
GROWTH_PER_YEAR = 0.09
#: Invoice lines per month by segment (customers buying every month or so).
LINES_PER_MONTH: dict[str, float] = {"SMB": 0.7, "Mid-Market": 1.35, "Enterprise": 2.7}
RETURN_SHARE = 0.012
#: Opportunities per account and year by customer type group, and win rates.
OPPORTUNITIES_PER_YEAR: dict[str, float] = {"customer": 0.65, "prospect": 0.45, "partner": 0.3}
WIN_RATE: dict[str, float] = {"customer": 0.38, "prospect": 0.2, "partner": 0.3}
#: Mean sales cycle (days) by segment.
SALES_CYCLE_DAYS: dict[str, float] = {"SMB": 35.0, "Mid-Market": 80.0, "Enterprise": 160.0}
OPEN_STAGES: tuple[str, ...] = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Proposal",
    "Negotiation",
)


def month_starts(start: date, end: date) -> list[date]:
    """First day of every month from ``start``'s month through ``end``'s month."""
    out: list[date] = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _group(customer_type: str | None) -> str:
    if customer_type in CUSTOMER_TYPE_NAMES:
        return "customer"
    if customer_type and "Partner" in customer_type:
        return "partner"
    return "prospect"


def build_sales_lines(
    rng: np.random.Generator, accounts: list[Account], start: date, end: date
) -> list[SalesLine]:
    """Invoice lines of the customers between ``start`` and ``end`` (inclusive), by date.

    Each customer buys ``LINES_PER_MONTH`` times a month (by segment, some start buying
    during the window) for a yearly spend of a share of its potential; months weigh by
    seasonality and growth (so Q4 sells most); about 1.2 % of lines are returns (negative amount and quantity).
    """
    customers = [a for a in accounts if a.customer_type in CUSTOMER_TYPE_NAMES]
    months = month_starts(start, end)
    n_months = len(months)
    season = np.array([SEASONALITY[m.month] for m in months])
    trend = (1.0 + GROWTH_PER_YEAR) ** (np.arange(n_months) / 12.0)
    weight = season * trend
    cumulative = np.concatenate([[0.0], np.cumsum(weight)])
    n = len(customers)
    if n == 0:
        return []
    segment = np.array([a.segment or "SMB" for a in customers], dtype=object)
    potential = np.array([a.potential or 0.0 for a in customers])
    rate = np.array([LINES_PER_MONTH[s] for s in segment]) * rng.lognormal(0.0, 0.3, n)
    first = np.where(rng.random(n) < 0.85, 0, rng.integers(1, max(n_months - 3, 2), n))
    counts = rng.poisson(rate * (n_months - first))
    owner = np.repeat(np.arange(n), counts)
    total = int(counts.sum())
    low = cumulative[first[owner]]
    u = low + rng.random(total) * (cumulative[-1] - low)
    month = np.clip(np.searchsorted(cumulative, u, side="right") - 1, first[owner], n_months - 1)
    wallet = rng.beta(2.0, 4.0, n)
    base = potential * wallet / (12.0 * rate)
    raw = base[owner] * rng.lognormal(-0.18, 0.6, total)
    names = list(PRODUCTS)
    prices = np.array([PRODUCTS[p][0] for p in names])
    shares = np.array([PRODUCTS[p][1] for p in names])
    product = rng.choice(len(names), size=total, p=shares / shares.sum())
    quantity = np.maximum(1.0, np.round(raw / prices[product]))
    unit_price = prices[product] * rng.uniform(0.8, 1.0, total)  # after discount
    is_return = rng.random(total) < RETURN_SHARE
    returned = np.maximum(1.0, np.floor(quantity * rng.uniform(0.2, 1.0, total)))
    quantity = np.where(is_return, -returned, quantity)
    amount = np.round(quantity * unit_price, 2)
    month_length = np.array(
        [((months[i + 1] if i + 1 < n_months else end + timedelta(days=1)) - months[i]).days
         for i in range(n_months)]
    )  # fmt: skip
    day = (rng.random(total) * month_length[month]).astype(np.int64)
    ordinal = np.array([m.toordinal() for m in months])[month] + day
    ordinal = np.minimum(ordinal, end.toordinal())
    order = np.lexsort((owner, ordinal))
    dates: dict[int, date] = {}
    lines: list[SalesLine] = []
    for k, i in enumerate(order.tolist(), start=1):
        when = int(ordinal[i])
        day_date = dates.get(when)
        if day_date is None:
            day_date = dates[when] = date.fromordinal(when)
        lines.append(
            SalesLine(
                id=f"SL-{k:07d}",
                account_id=customers[int(owner[i])].id,
                date=day_date,
                amount=float(amount[i]),
                product=names[int(product[i])],
                quantity=float(quantity[i]),
            )
        )
    return lines


def build_opportunities(
    rng: np.random.Generator, accounts: list[Account], start: date, as_of: date
) -> list[Opportunity]:
    """Opportunities created between ``start`` and ``as_of``: closed (won/lost) and open ones.

    An opportunity closes ``SALES_CYCLE_DAYS`` (by segment, gamma-distributed) after it was
    created; if that is after ``as_of`` it is still open, in a stage by how far it has come,
    with the expected close date.
    """
    n = len(accounts)
    if n == 0:
        return []
    group = np.array([_group(a.customer_type) for a in accounts], dtype=object)
    years = (as_of - start).days / 365.25
    rate = np.array([OPPORTUNITIES_PER_YEAR[g] for g in group]) * years
    counts = rng.poisson(rate)
    owner = np.repeat(np.arange(n), counts)
    total = int(counts.sum())
    span = (as_of - start).days + 1
    created = start.toordinal() + (rng.random(total) * span).astype(np.int64)
    segment = np.array([accounts[i].segment or "SMB" for i in owner.tolist()], dtype=object)
    cycle_mean = np.array([SALES_CYCLE_DAYS[s] for s in segment])
    cycle = np.maximum(7, np.round(cycle_mean * rng.gamma(2.0, 0.5, total))).astype(np.int64)
    close = created + cycle
    closed = close <= as_of.toordinal()
    win_rate = np.array([WIN_RATE[g] for g in group[owner]])
    won = closed & (rng.random(total) < win_rate)
    progress = np.clip((as_of.toordinal() - created) / cycle, 0.0, 0.999)
    open_stage = (progress * len(OPEN_STAGES)).astype(np.int64)
    potential = np.array([accounts[i].potential or 0.0 for i in owner.tolist()])
    amount = np.maximum(1_000.0, np.round(potential * rng.lognormal(np.log(0.25), 0.6, total), -2))
    names = list(PRODUCTS)
    product = rng.integers(0, len(names), total)
    source = rng.integers(0, len(LEAD_SOURCES), total)
    order = np.lexsort((owner, created))
    opportunities: list[Opportunity] = []
    for k, i in enumerate(order.tolist(), start=1):
        account = accounts[int(owner[i])]
        if closed[i]:
            stage = "Closed Won" if won[i] else "Closed Lost"
        else:
            stage = OPEN_STAGES[int(open_stage[i])]
        product_name = names[int(product[i])]
        opportunities.append(
            Opportunity(
                id=f"OPP-{k:06d}",
                account_id=account.id,
                created_date=date.fromordinal(int(created[i])),
                amount=float(amount[i]),
                stage=stage,
                owner_id=account.owner_id,
                name=f"{account.name} - {product_name}",
                close_date=date.fromordinal(int(close[i])),
                is_closed=bool(closed[i]),
                is_won=bool(won[i]),
                product=product_name,
                lead_source=LEAD_SOURCES[int(source[i])],
            )
        )
    return opportunities
