"""Demo accounts (at real ZIP centroids, owned by the nearest rep of their region) and leads."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np

from terraplan.data.demo_names import company_names, email_domain, person_names, street_addresses
from terraplan.data.demo_people import INDUSTRIES, region_of_state
from terraplan.data.demo_zips import ZipArrays, distance_matrix_km
from terraplan.domain import Account, Lead, Opportunity, Rep, RepRole

#: Salesforce ``Account.Type`` values and their shares.
CUSTOMER_TYPES: dict[str, float] = {
    "Customer - Direct": 0.31,
    "Customer - Channel": 0.07,
    "Prospect": 0.57,
    "Channel Partner / Reseller": 0.03,
    "Technology Partner": 0.02,
}
CUSTOMER_TYPE_NAMES: tuple[str, ...] = ("Customer - Direct", "Customer - Channel")
#: Revenue per employee (USD per year) and buying-potential factor by industry.
INDUSTRY_ECONOMICS: dict[str, tuple[float, float]] = {
    "Professional Services": (180_000, 1.0),
    "Retail": (220_000, 0.7),
    "Healthcare": (160_000, 1.1),
    "Construction": (250_000, 0.8),
    "Manufacturing": (300_000, 1.2),
    "Software": (280_000, 1.6),
    "Financial Services": (400_000, 1.5),
    "Hospitality": (90_000, 0.6),
    "Logistics": (260_000, 1.0),
    "Education": (120_000, 0.9),
    "Agriculture": (350_000, 0.6),
    "Energy": (700_000, 1.3),
    "Telecommunications": (450_000, 1.4),
    "Government": (150_000, 1.0),
}
#: Serving effort (hours per year) of a customer by segment; prospects take half. With the
#: default 20,000 accounts the total (about 49,500 h) is what the demo's 40 account
#: executives can carry at 1,600 h x 80 % utilisation (51,200 h): ``terraplan capacity``
#: answers about 39 reps needed for the 40 the demo ships.
SEGMENT_WORKLOAD: dict[str, float] = {"SMB": 1.7, "Mid-Market": 6.2, "Enterprise": 20.5}
#: Share of accounts owned by a rep other than the nearest one (history, exceptions).
OFF_ALIGNMENT_SHARE = 0.06
#: Rounds and step (km per unit of log workload ratio) of the current alignment's balancing.
BALANCING_ROUNDS = 20
BALANCING_STEP_KM = 60.0
#: Share of accounts that are subsidiaries of an enterprise account.
SUBSIDIARY_SHARE = 0.01
NATIONAL_MEDIAN_INCOME = 75_000.0
LEAD_SOURCES: tuple[str, ...] = (
    "Web",
    "Webinar",
    "Trade Show",
    "Referral",
    "Partner",
    "Paid Search",
    "Content Download",
)
LEAD_STATUSES: tuple[str, ...] = ("Open - Not Contacted", "Working - Contacted", "Nurturing")


def segment_of(employees: np.ndarray) -> np.ndarray:
    """``SMB`` under 100 employees, ``Mid-Market`` under 1,000, else ``Enterprise``."""
    return np.where(employees < 100, "SMB", np.where(employees < 1000, "Mid-Market", "Enterprise"))


def _employees(rng: np.random.Generator, n: int, *, mu: float = 3.4) -> np.ndarray:
    """Heavy-tailed company sizes (log-normal, 1 .. 250,000 employees)."""
    return np.clip(np.round(np.exp(rng.normal(mu, 2.0, size=n))), 1, 250_000).astype(np.int64)


def _sample_zips(rng: np.random.Generator, zips: ZipArrays, n: int) -> np.ndarray:
    """ZIP rows drawn in proportion to population."""
    weights = zips.population / zips.population.sum()
    return rng.choice(len(zips), size=n, p=weights)


def _owners(
    rng: np.random.Generator,
    zips: ZipArrays,
    rows: np.ndarray,
    reps: list[Rep],
    workload: np.ndarray,
) -> list[str]:
    """The current alignment: each account goes to an account executive of its region.

    Like a hand-made alignment: the nearest rep by home base, with per-rep distance offsets
    nudged ``BALANCING_ROUNDS`` times towards equal workload (a weighted Voronoi split, so
    workloads end up unequal but not absurdly so); a few accounts then go to the second
    nearest rep (history, exceptions). ``workload`` has shape ``(len(rows),)``, hours/year.
    """
    regions = region_of_state()
    sellers = [r for r in reps if r.role is RepRole.ACCOUNT_EXECUTIVE]
    owners = np.empty(len(rows), dtype=object)
    account_region = np.array([regions[s] for s in zips.state[rows]], dtype=object)
    off = rng.random(len(rows)) < OFF_ALIGNMENT_SHARE
    for region in sorted(set(account_region)):
        team = [r for r in sellers if r.region == region]
        mask = np.flatnonzero(account_region == region)
        dist = distance_matrix_km(
            zips.lat[rows[mask]],
            zips.lon[rows[mask]],
            np.array([r.home_latitude for r in team], dtype=float),
            np.array([r.home_longitude for r in team], dtype=float),
        )
        offset = np.zeros(len(team))
        for round_number in range(BALANCING_ROUNDS):
            load = np.bincount(
                np.argmin(dist + offset, axis=1), weights=workload[mask], minlength=len(team)
            )
            ratio = np.log(np.maximum(load, 1.0) / max(load.mean(), 1.0))
            offset += BALANCING_STEP_KM / (1 + round_number) * np.clip(ratio, -1.0, 1.0)
        order = np.argsort(dist + offset, axis=1, kind="stable")
        pick = np.where(off[mask], order[:, 1], order[:, 0])
        ids = np.array([r.id for r in team], dtype=object)
        owners[mask] = ids[pick]
    return owners.tolist()


def build_accounts(
    rng: np.random.Generator, zips: ZipArrays, reps: list[Rep], n: int
) -> list[Account]:
    """``n`` accounts; ids ``ACC-000001`` ...; a few subsidiaries name an enterprise parent."""
    rows = _sample_zips(rng, zips, n)
    industries = rng.choice(list(INDUSTRIES), size=n, p=list(INDUSTRIES.values())).astype(str)
    names = company_names(rng, industries.tolist())
    streets = street_addresses(rng, n)
    types = rng.choice(list(CUSTOMER_TYPES), size=n, p=list(CUSTOMER_TYPES.values()))
    employees = _employees(rng, n)
    segments = segment_of(employees)
    rev_per_employee = np.array([INDUSTRY_ECONOMICS[i][0] for i in industries])
    industry_factor = np.array([INDUSTRY_ECONOMICS[i][1] for i in industries])
    revenue = np.round(employees * rev_per_employee * rng.lognormal(0.0, 0.5, n), -3)
    income = np.where(np.isfinite(zips.income[rows]), zips.income[rows], NATIONAL_MEDIAN_INCOME)
    households = np.maximum(zips.households[rows], 1.0)
    local = (income / NATIONAL_MEDIAN_INCOME) ** 0.5 * (
        households / np.median(zips.households)
    ) ** 0.1
    potential = np.round(
        900.0 * employees**0.85 * industry_factor * local * rng.lognormal(0.0, 0.35, n), -2
    )
    potential = np.maximum(potential, 500.0)
    is_customer = np.isin(types, CUSTOMER_TYPE_NAMES)
    workload = np.round(
        np.array([SEGMENT_WORKLOAD[s] for s in segments])
        * np.where(is_customer, 1.0, 0.5)
        * rng.uniform(0.8, 1.25, n),
        1,
    )
    owners = _owners(rng, zips, rows, reps, workload)
    parents: dict[int, int] = {}
    enterprise = np.flatnonzero(segments == "Enterprise")
    if enterprise.size:
        others = np.flatnonzero(segments != "Enterprise")
        n_children = min(round(n * SUBSIDIARY_SHARE), int(others.size))
        for child in rng.choice(others, size=n_children, replace=False).tolist():
            parents[child] = int(enterprise[rng.integers(enterprise.size)])
    accounts: list[Account] = []
    for i in range(n):
        row = int(rows[i])
        parent = parents.get(i)
        name = names[i]
        industry = str(industries[i])
        if parent is not None:
            name = f"{names[parent]} ({zips.city[row]})"
            industry = str(industries[parent])
        accounts.append(
            Account(
                id=f"ACC-{i + 1:06d}",
                name=name,
                street=streets[i],
                city=str(zips.city[row]) or None,
                state=str(zips.state[row]),
                postal_code=str(zips.zip[row]),
                country="US",
                latitude=float(zips.lat[row]),
                longitude=float(zips.lon[row]),
                county_fips=str(zips.county_fips[row]) or None,
                industry=industry,
                customer_type=str(types[i]),
                segment=str(segments[i]),
                employees=int(employees[i]),
                annual_revenue=float(revenue[i]),
                potential=float(potential[i]),
                workload=float(workload[i]),
                parent_id=None if parent is None else f"ACC-{parent + 1:06d}",
                owner_id=owners[i],
            )
        )
    return accounts


def build_leads(rng: np.random.Generator, zips: ZipArrays, n: int, as_of: date) -> list[Lead]:
    """``n`` inbound leads created in the 90 days up to ``as_of``; ids ``LEAD-00001`` ..."""
    rows = _sample_zips(rng, zips, n)
    industries = rng.choice(list(INDUSTRIES), size=n, p=list(INDUSTRIES.values())).astype(str)
    names = company_names(rng, industries.tolist())
    contacts = [person_names(rng, 1)[0] for _ in range(n)]
    employees = _employees(rng, n, mu=3.0)
    rev_per_employee = np.array([INDUSTRY_ECONOMICS[i][0] for i in industries])
    revenue = np.round(employees * rev_per_employee * rng.lognormal(0.0, 0.5, n), -3)
    known_revenue = rng.random(n) < 0.7
    sources = rng.choice(LEAD_SOURCES, size=n, p=[0.3, 0.12, 0.1, 0.12, 0.08, 0.18, 0.1])
    statuses = rng.choice(LEAD_STATUSES, size=n, p=[0.5, 0.35, 0.15])
    ages = rng.integers(0, 90, size=n)
    leads: list[Lead] = []
    for i in range(n):
        row = int(rows[i])
        first, last = contacts[i]
        leads.append(
            Lead(
                id=f"LEAD-{i + 1:05d}",
                company=names[i],
                postal_code=str(zips.zip[row]),
                country="US",
                state=str(zips.state[row]),
                city=str(zips.city[row]) or None,
                latitude=float(zips.lat[row]),
                longitude=float(zips.lon[row]),
                industry=str(industries[i]),
                employees=int(employees[i]),
                annual_revenue=float(revenue[i]) if known_revenue[i] else None,
                source=str(sources[i]),
                email=f"{first}.{last}@{email_domain(names[i])}".lower(),
                created_date=as_of - timedelta(days=int(ages[i])),
                attributes={
                    "contact_name": f"{first} {last}",
                    "status": str(statuses[i]),
                },
            )
        )
    return leads


def convert_leads(
    rng: np.random.Generator,
    leads: list[Lead],
    opportunities: list[Opportunity],
    *,
    rate: float = 0.2,
    window_days: int = 60,
) -> list[Lead]:
    """Mark about ``rate`` of the leads older than a month as converted.

    A converted lead names an opportunity created within ``window_days`` after the lead
    (status "Converted"), so that lead -> opportunity -> won conversion can be measured.
    """
    if not opportunities:
        return leads
    ordered = sorted(opportunities, key=lambda o: (o.created_date, o.id))
    days = np.array([o.created_date.toordinal() for o in ordered])
    converted: list[Lead] = []
    draws = rng.random(len(leads))
    picks = rng.random(len(leads))
    for lead, draw, pick in zip(leads, draws, picks, strict=True):
        if lead.created_date is None or draw >= rate:
            converted.append(lead)
            continue
        start = lead.created_date.toordinal()
        low = int(np.searchsorted(days, start, side="left"))
        high = int(np.searchsorted(days, start + window_days, side="right"))
        if high <= low:
            converted.append(lead)
            continue
        opportunity = ordered[low + int(pick * (high - low))]
        converted.append(
            replace(
                lead,
                converted_opportunity_id=opportunity.id,
                attributes={**lead.attributes, "status": "Converted"},
            )
        )
    return converted
