"""Word lists and seeded generators of plausible company, person and street names for the demo.

All choices go through a ``numpy.random.Generator``; the same generator state gives the
same names.
"""

from __future__ import annotations

import numpy as np

SURNAMES: tuple[str, ...] = (
    "Abbott", "Alvarez", "Archer", "Bailey", "Baker", "Barnes", "Bell", "Bennett", "Blake",
    "Brooks", "Bryant", "Burke", "Butler", "Campbell", "Carter", "Castillo", "Chen", "Clark",
    "Coleman", "Collins", "Cooper", "Cruz", "Daniels", "Davis", "Delgado", "Dixon", "Dunn",
    "Edwards", "Ellis", "Evans", "Fischer", "Fleming", "Flores", "Ford", "Foster", "Garcia",
    "Gibson", "Gordon", "Graham", "Grant", "Gray", "Greene", "Griffin", "Hale", "Hamilton",
    "Harper", "Harris", "Hayes", "Henderson", "Holland", "Howard", "Hughes", "Hunt", "Jensen",
    "Johnson", "Jordan", "Kaplan", "Keller", "Kelly", "Kennedy", "Kim", "Knight", "Lambert",
    "Larsen", "Lawson", "Lee", "Lewis", "Lopez", "Lynch", "Marsh", "Martin", "Mason", "Meyer",
    "Miller", "Mitchell", "Moore", "Morales", "Morgan", "Murphy", "Nash", "Nguyen", "Nolan",
    "Olsen", "Ortiz", "Owens", "Palmer", "Parker", "Patel", "Perry", "Peterson", "Porter",
    "Powell", "Price", "Quinn", "Ramirez", "Reed", "Reyes", "Reynolds", "Richards", "Rivera",
    "Roberts", "Russell", "Ryan", "Sanders", "Schmidt", "Shaw", "Silva", "Simmons", "Singh",
    "Spencer", "Stewart", "Stone", "Sullivan", "Taylor", "Thompson", "Torres", "Tucker",
    "Turner", "Vargas", "Wagner", "Walker", "Wallace", "Walsh", "Ward", "Warren", "Watson",
    "Weber", "Wells", "West", "Wheeler", "Whitman", "Williams", "Wong", "Wright", "Young",
)  # fmt: skip

FIRST_NAMES: tuple[str, ...] = (
    "Aaron", "Adriana", "Alex", "Alicia", "Amir", "Ana", "Andre", "Angela", "Ben", "Bianca",
    "Brandon", "Carla", "Carlos", "Chloe", "Chris", "Dana", "Daniel", "Deepa", "Derek", "Diana",
    "Elena", "Eric", "Fatima", "Felix", "Gabriel", "Grace", "Hannah", "Hector", "Irene", "Isaac",
    "Jamal", "Jasmine", "Jason", "Jenna", "Jorge", "Julia", "Karen", "Kevin", "Laura", "Leah",
    "Liam", "Lucia", "Marcus", "Maria", "Mark", "Maya", "Megan", "Miguel", "Nadia", "Nathan",
    "Nina", "Noah", "Olivia", "Omar", "Paula", "Priya", "Rachel", "Raj", "Rebecca", "Ricardo",
    "Rosa", "Ryan", "Samuel", "Sara", "Sean", "Sofia", "Steven", "Tanya", "Tom", "Vanessa",
    "Victor", "Wendy", "Yusuf", "Zoe",
)  # fmt: skip

COMPANY_WORDS: tuple[str, ...] = (
    "Acorn", "Apex", "Arbor", "Atlas", "Beacon", "Birch", "Blue Ridge", "Bluewater", "Boulder",
    "Bright", "Canyon", "Cardinal", "Cedar", "Centric", "Clearview", "Coastal", "Cobalt",
    "Compass", "Copper", "Crescent", "Crest", "Delta", "Eagle", "Elm", "Evergreen", "Falcon",
    "First", "Frontier", "Granite", "Harbor", "Heartland", "Highland", "Horizon", "Iron",
    "Keystone", "Lakeside", "Liberty", "Lighthouse", "Lone Star", "Maple", "Meridian", "Mesa",
    "Midland", "Milestone", "Northstar", "Oak", "Orchard", "Pacific", "Paramount", "Peak",
    "Pine", "Pinnacle", "Pioneer", "Prairie", "Redwood", "Ridge", "River", "Riverside", "Rock",
    "Sage", "Silver", "Skyline", "Summit", "Sterling", "Stonebridge", "Sunrise", "Timber",
    "Trident", "True North", "Union", "Valley", "Vista", "Westwind", "Willow",
)  # fmt: skip

#: What a company does, by industry (a word placed before the legal suffix).
INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "Software": ("Software", "Systems", "Labs", "Digital", "Data", "Cloud"),
    "Manufacturing": ("Manufacturing", "Industries", "Fabrication", "Machining", "Products"),
    "Healthcare": ("Health", "Medical", "Clinics", "Care", "Diagnostics"),
    "Financial Services": ("Financial", "Capital", "Bancorp", "Insurance", "Advisors"),
    "Retail": ("Outfitters", "Market", "Stores", "Goods", "Supply"),
    "Construction": ("Construction", "Builders", "Contracting", "Homes", "Paving"),
    "Education": ("Academy", "Learning", "College", "Schools", "Education"),
    "Logistics": ("Logistics", "Freight", "Transport", "Distribution", "Shipping"),
    "Energy": ("Energy", "Power", "Solar", "Utilities", "Resources"),
    "Professional Services": ("Consulting", "Partners", "Associates", "Group", "Advisory"),
    "Hospitality": ("Hospitality", "Hotels", "Restaurants", "Resorts", "Foods"),
    "Agriculture": ("Farms", "Agri", "Growers", "Seeds", "Ranch"),
    "Telecommunications": ("Telecom", "Networks", "Communications", "Wireless", "Fiber"),
    "Government": ("Authority", "District", "Agency", "Services", "Commission"),
}

LEGAL_SUFFIXES: tuple[str, ...] = ("Inc.", "LLC", "Co.", "Corp.", "Ltd.", "Group", "")

STREET_NAMES: tuple[str, ...] = (
    "Main", "Oak", "Maple", "Park", "Washington", "Lake", "Hill", "Pine", "Cedar", "Elm",
    "Market", "Church", "Center", "River", "Sunset", "Jefferson", "Lincoln", "Highland",
    "Industrial", "Commerce", "Madison", "Franklin", "Spring", "Ridge", "Meadow", "Mill",
)  # fmt: skip
STREET_KINDS: tuple[str, ...] = ("St", "Ave", "Rd", "Blvd", "Dr", "Pkwy", "Way", "Ln")


def _pick(rng: np.random.Generator, words: tuple[str, ...], n: int) -> list[str]:
    return [words[i] for i in rng.integers(0, len(words), size=n)]


def company_names(rng: np.random.Generator, industries: list[str]) -> list[str]:
    """One plausible company name per entry of ``industries`` (same length)."""
    n = len(industries)
    pattern = rng.choice(4, size=n, p=[0.35, 0.3, 0.2, 0.15])
    surname_a = _pick(rng, SURNAMES, n)
    surname_b = _pick(rng, SURNAMES, n)
    word = _pick(rng, COMPANY_WORDS, n)
    suffix = _pick(rng, LEGAL_SUFFIXES, n)
    picks = rng.random(n)
    names: list[str] = []
    for i, industry in enumerate(industries):
        options = INDUSTRY_WORDS.get(industry, ("Group",))
        trade = options[int(picks[i] * len(options))]
        if pattern[i] == 0:
            core = f"{word[i]} {trade}"
        elif pattern[i] == 1:
            core = f"{surname_a[i]} {trade}"
        elif pattern[i] == 2:
            other = surname_b[i] if surname_b[i] != surname_a[i] else "Sons"
            core = f"{surname_a[i]} & {other}"
        else:
            core = f"{word[i]} {surname_a[i]} {trade}"
        names.append(f"{core} {suffix[i]}".strip())
    return names


def person_names(rng: np.random.Generator, n: int) -> list[tuple[str, str]]:
    """``n`` distinct (first, last) name pairs."""
    seen: set[tuple[str, str]] = set()
    out: list[tuple[str, str]] = []
    while len(out) < n:
        pair = (
            FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))],
            SURNAMES[int(rng.integers(len(SURNAMES)))],
        )
        if pair not in seen:
            seen.add(pair)
            out.append(pair)
    return out


def street_addresses(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` street lines such as ``"1420 Commerce Blvd"``."""
    numbers = rng.integers(1, 9900, size=n)
    names = _pick(rng, STREET_NAMES, n)
    kinds = _pick(rng, STREET_KINDS, n)
    return [f"{numbers[i]} {names[i]} {kinds[i]}" for i in range(n)]


def email_domain(company: str) -> str:
    """A made-up e-mail domain from a company name (``"Apex Data LLC"`` -> ``apexdata.example``)."""
    letters = "".join(ch for ch in company.lower().split(" inc.")[0] if ch.isalnum())
    return f"{letters[:24] or 'company'}.example"
