"""Demo regions, managers and account executives with home bases in real US metro areas."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from terraplan.data.demo_names import person_names
from terraplan.data.demo_zips import ZipArrays, haversine_km
from terraplan.domain import Rep, RepRole

#: Industries sold to, with their share of accounts (sums to 1).
INDUSTRIES: dict[str, float] = {
    "Professional Services": 0.14,
    "Retail": 0.12,
    "Healthcare": 0.11,
    "Construction": 0.10,
    "Manufacturing": 0.10,
    "Software": 0.08,
    "Financial Services": 0.08,
    "Hospitality": 0.07,
    "Logistics": 0.05,
    "Education": 0.04,
    "Agriculture": 0.03,
    "Energy": 0.03,
    "Telecommunications": 0.03,
    "Government": 0.02,
}
SEGMENTS: tuple[str, ...] = ("SMB", "Mid-Market", "Enterprise")
#: Product catalogue: name -> (unit price in USD, share of order lines).
PRODUCTS: dict[str, tuple[float, float]] = {
    "Core Platform": (1_200.0, 0.34),
    "Analytics Add-on": (450.0, 0.18),
    "Integration Hub": (800.0, 0.12),
    "Premium Support": (300.0, 0.16),
    "Training Services": (150.0, 0.12),
    "Field Devices": (95.0, 0.08),
}


@dataclass(frozen=True, slots=True)
class Region:
    """A sales region: its id, name, states (postal codes) and the managers leading it."""

    id: str
    name: str
    states: tuple[str, ...]
    manager_ids: tuple[str, ...] = ()
    n_reps: int = 0


#: Three regions covering the lower 48 states + DC, and (managers, reps) per region.
# fmt: off
REGION_STATES: dict[str, tuple[str, ...]] = {
    "West": ("AZ", "CA", "CO", "ID", "MT", "NM", "NV", "OR", "UT", "WA", "WY"),
    "Central": ("AL", "AR", "IA", "IL", "IN", "KS", "KY", "LA", "MI", "MN", "MO", "MS", "ND",
                "NE", "OH", "OK", "SD", "TN", "TX", "WI"),
    "East": ("CT", "DC", "DE", "FL", "GA", "MA", "MD", "ME", "NC", "NH", "NJ", "NY", "PA", "RI",
             "SC", "VA", "VT", "WV"),
}
# fmt: on
REGION_STAFF: dict[str, tuple[int, int]] = {"West": (1, 10), "Central": (2, 15), "East": (2, 15)}
#: Most account executives a single metro area gets.
MAX_REPS_PER_METRO = 3
#: Managers of one region sit at least this far apart (km).
MANAGER_SPACING_KM = 800.0


def region_of_state() -> dict[str, str]:
    return {state: name for name, states in REGION_STATES.items() for state in states}


@dataclass(frozen=True, slots=True)
class _Metro:
    code: str
    population: float
    cities: list[int]  # ZIP rows: the most populous ZIP of each city, biggest city first


def _metros(zips: ZipArrays, region: str) -> list[_Metro]:
    """Metro areas (CBSA) of a region, most populous first."""
    states = set(REGION_STATES[region])
    by_state: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    city_pop: dict[tuple[str, str, str], float] = defaultdict(float)
    city_best: dict[tuple[str, str, str], int] = {}
    for row in np.flatnonzero(zips.cbsa != ""):
        code = str(zips.cbsa[row])
        pop = float(zips.population[row])
        by_state[code][str(zips.state[row])] += pop
        key = (code, str(zips.state[row]), str(zips.city[row]))
        city_pop[key] += pop
        if key not in city_best or pop > zips.population[city_best[key]]:
            city_best[key] = int(row)
    # each metro's cities, found once (scanning every city per metro took most of a second)
    cities_of: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for key in city_pop:
        cities_of[key[0]].append(key)
    metros: list[_Metro] = []
    for code, pops in by_state.items():
        main_state = max(pops.items(), key=lambda kv: (kv[1], kv[0]))[0]
        if main_state not in states:
            continue
        cities = sorted(
            (k for k in cities_of[code] if k[1] in states),
            key=lambda k: (-city_pop[k], k),
        )
        metros.append(_Metro(code, sum(pops.values()), [city_best[k] for k in cities]))
    metros.sort(key=lambda m: (-m.population, m.code))
    return metros


def _rep_seats(metros: list[_Metro], n_reps: int) -> list[tuple[_Metro, int]]:
    """D'Hondt seats: each rep goes to the metro with the largest population per seat."""
    seats: dict[str, int] = defaultdict(int)
    out: list[tuple[_Metro, int]] = []
    for _ in range(n_reps):
        best = max(
            (m for m in metros if seats[m.code] < min(MAX_REPS_PER_METRO, len(m.cities))),
            key=lambda m: m.population / (seats[m.code] + 1),
        )
        out.append((best, seats[best.code]))
        seats[best.code] += 1
    return out


def build_team(
    rng: np.random.Generator, zips: ZipArrays, as_of: date
) -> tuple[list[Region], list[Rep]]:
    """Regions, managers (role manager) and account executives reporting to them."""
    total = sum(m + r for m, r in REGION_STAFF.values())
    names = person_names(rng, total)
    regions: list[Region] = []
    reps: list[Rep] = []
    industries = list(INDUSTRIES)
    weights = np.array(list(INDUSTRIES.values()))
    products = list(PRODUCTS)
    n_manager = n_rep = 0
    for region_index, (region, (n_managers, n_reps)) in enumerate(REGION_STAFF.items()):
        metros = _metros(zips, region)
        managers: list[Rep] = []
        for metro in metros:
            if len(managers) == n_managers:
                break
            row = metro.cities[0]
            if any(
                haversine_km(zips.lat[row], zips.lon[row], m.home_latitude, m.home_longitude)
                < MANAGER_SPACING_KM
                for m in managers
            ):
                continue
            n_manager += 1
            first, last = names.pop(0)
            managers.append(
                Rep(
                    id=f"MGR-{n_manager:02d}",
                    name=f"{first} {last}",
                    email=f"{first}.{last}@terraplan-demo.example".lower(),
                    role=RepRole.MANAGER,
                    home_postal_code=str(zips.zip[row]),
                    home_latitude=float(zips.lat[row]),
                    home_longitude=float(zips.lon[row]),
                    experience_years=float(np.round(rng.uniform(10, 22) * 2) / 2),
                    capacity_hours=1_600.0,
                    region=region,
                    hire_date=as_of - timedelta(days=int(rng.integers(700, 4000))),
                )
            )
        reps.extend(managers)
        for metro, seat in _rep_seats(metros, n_reps):
            row = metro.cities[seat]
            n_rep += 1
            first, last = names.pop(0)
            experience = float(np.round(rng.gamma(2.5, 2.4) * 2) / 2) + 0.5
            recent = n_rep % 7 == 3  # about one rep in seven is still ramping up
            tenure_days = (
                int(rng.integers(30, 270))
                if recent
                else int(rng.uniform(0.4, 1.0) * experience * 365) + 270
            )
            experience = max(experience, round(tenure_days / 365 * 2) / 2)
            segments = ["SMB", "Mid-Market"] if experience < 8 else ["Mid-Market", "Enterprise"]
            if experience < 3:
                segments = ["SMB"]
            manager = min(
                managers,
                key=lambda m: haversine_km(
                    zips.lat[row], zips.lon[row], m.home_latitude, m.home_longitude
                ),
            )
            reps.append(
                Rep(
                    id=f"REP-{n_rep:03d}",
                    name=f"{first} {last}",
                    email=f"{first}.{last}@terraplan-demo.example".lower(),
                    role=RepRole.ACCOUNT_EXECUTIVE,
                    home_postal_code=str(zips.zip[row]),
                    home_latitude=float(zips.lat[row]),
                    home_longitude=float(zips.lon[row]),
                    skills_industries=tuple(
                        sorted(rng.choice(industries, size=3, replace=False, p=weights).tolist())
                    ),
                    skills_segments=tuple(segments),
                    skills_products=tuple(
                        sorted(
                            rng.choice(products, size=int(rng.integers(2, 5)), replace=False)
                            .astype(str)
                            .tolist()
                        )
                    ),
                    experience_years=experience,
                    capacity_hours=1_600.0 if rng.random() > 0.1 else 1_200.0,
                    capacity_accounts=450,
                    manager_id=manager.id,
                    region=region,
                    hire_date=as_of - timedelta(days=tenure_days),
                )
            )
        regions.append(
            Region(
                id=f"R{region_index + 1}",
                name=region,
                states=REGION_STATES[region],
                manager_ids=tuple(m.id for m in managers),
                n_reps=n_reps,
            )
        )
    return regions, reps
