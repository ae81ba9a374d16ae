"""US states and countries as people type them, and their codes; the shapes of a US ZIP and
of a county FIPS code (plain Python, no I/O).

One table of spellings for every reader: imports and tables assigned at once read whole columns
with Polars expressions built on it (:mod:`terraplan.rules.place_columns`); routing one record
reads it here (:func:`normalize_record_places`), so that a lead typed in is read as an import
reads it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

US_STATES: dict[str, str] = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "DC": "District of Columbia",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
    "PR": "Puerto Rico",
    "GU": "Guam",
    "VI": "U.S. Virgin Islands",
    "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}

STATE_SPELLINGS = {
    "washington dc": "DC",
    "washington d c": "DC",
    "virgin islands": "VI",
    # AP-style abbreviations ("Mass.", "Calif."), dots and case removed by :func:`place_key`
    "ala": "AL",
    "ariz": "AZ",
    "ark": "AR",
    "calif": "CA",
    "cal": "CA",
    "colo": "CO",
    "conn": "CT",
    "del": "DE",
    "fla": "FL",
    "ill": "IL",
    "ind": "IN",
    "kan": "KS",
    "kans": "KS",
    "mass": "MA",
    "mich": "MI",
    "minn": "MN",
    "miss": "MS",
    "mont": "MT",
    "neb": "NE",
    "nebr": "NE",
    "nev": "NV",
    "okla": "OK",
    "ore": "OR",
    "oreg": "OR",
    "penn": "PA",
    "penna": "PA",
    "tenn": "TN",
    "tex": "TX",
    "wash": "WA",
    "w va": "WV",
    "wis": "WI",
    "wisc": "WI",
    "wyo": "WY",
}

#: Country spellings (normalised by :func:`place_key`) -> ISO 3166 alpha-2.
COUNTRIES: dict[str, str] = {
    "us": "US",
    "usa": "US",
    # US territories use USPS ZIPs and are sold as part of the US: US rows, geocoded
    "puerto rico": "US",
    "pr": "US",
    "pri": "US",
    "guam": "US",
    "gu": "US",
    "us virgin islands": "US",
    "u s virgin islands": "US",
    "virgin islands": "US",
    "vi": "US",
    "american samoa": "US",
    "northern mariana islands": "US",
    "mp": "US",
    "u s": "US",
    "u s a": "US",
    "united states": "US",
    "united states of america": "US",
    "america": "US",
    "ca": "CA",
    "can": "CA",
    "canada": "CA",
    "mx": "MX",
    "mex": "MX",
    "mexico": "MX",
    "méxico": "MX",
    "gb": "GB",
    "gbr": "GB",
    "uk": "GB",
    "u k": "GB",
    "united kingdom": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "ie": "IE",
    "irl": "IE",
    "ireland": "IE",
    "de": "DE",
    "deu": "DE",
    "germany": "DE",
    "deutschland": "DE",
    "fr": "FR",
    "fra": "FR",
    "france": "FR",
    "es": "ES",
    "esp": "ES",
    "spain": "ES",
    "españa": "ES",
    "it": "IT",
    "ita": "IT",
    "italy": "IT",
    "italia": "IT",
    "nl": "NL",
    "nld": "NL",
    "netherlands": "NL",
    "the netherlands": "NL",
    "holland": "NL",
    "be": "BE",
    "bel": "BE",
    "belgium": "BE",
    "ch": "CH",
    "che": "CH",
    "switzerland": "CH",
    "at": "AT",
    "aut": "AT",
    "austria": "AT",
    "se": "SE",
    "swe": "SE",
    "sweden": "SE",
    "no": "NO",
    "nor": "NO",
    "norway": "NO",
    "dk": "DK",
    "dnk": "DK",
    "denmark": "DK",
    "fi": "FI",
    "fin": "FI",
    "finland": "FI",
    "pl": "PL",
    "pol": "PL",
    "poland": "PL",
    "pt": "PT",
    "prt": "PT",
    "portugal": "PT",
    "au": "AU",
    "aus": "AU",
    "australia": "AU",
    "nz": "NZ",
    "nzl": "NZ",
    "new zealand": "NZ",
    "jp": "JP",
    "jpn": "JP",
    "japan": "JP",
    "cn": "CN",
    "chn": "CN",
    "china": "CN",
    "in": "IN",
    "ind": "IN",
    "india": "IN",
    "br": "BR",
    "bra": "BR",
    "brazil": "BR",
    "brasil": "BR",
    "sg": "SG",
    "sgp": "SG",
    "singapore": "SG",
    "il": "IL",
    "isr": "IL",
    "israel": "IL",
}


#: A ZIP with or without its +4: 5 digits, or 3-4 that lost their leading zeros in a
#: spreadsheet (``2134`` -> ``02134``, ``2134-1234`` -> ``02134``: the dash marks a ZIP+4, so
#: the part before it is the ZIP), or a spreadsheet float (``"2134.0"``). Group 1 is the ZIP
#: before padding. The same reading as routing's (:func:`terraplan.rules.fields.zip5`).
DASHED_ZIP = r"^([0-9]{3,5})(?:\.0+|-[0-9]{4})?$"
#: A ZIP+4 written without its dash (``941071234``: ZIP 94107; nine digits can only be 5 + 4).
UNDASHED_ZIP4 = r"^[0-9]{9}(?:\.0+)?$"
#: What a US ZIP may look like in a file: :data:`DASHED_ZIP` or :data:`UNDASHED_ZIP4`. Not
#: 6-8 digits: ``21341234`` may be ``02134-1234`` that lost its zero or a mistyped ZIP+4.
US_ZIP_SHAPE = f"{DASHED_ZIP}|{UNDASHED_ZIP4}"
#: A county FIPS code that lost its leading zero in a spreadsheet (``6075``: San Francisco).
CUT_FIPS = r"^[0-9]{4}$"


def place_key(text: str) -> str:
    """``text`` as the spelling tables are keyed: lower case, dots and separators as single
    spaces, trimmed (``" N.Y. "`` -> ``"n y"``)."""
    return _SPACES.sub(" ", _SEPARATORS.sub(" ", text.lower())).strip()


_SEPARATORS = re.compile(r"[.\-_,]+")
_SPACES = re.compile(r"\s+")


def _state_keys() -> dict[str, str]:
    table = {code.lower(): code for code in US_STATES}
    table.update(
        {name.lower().replace(".", " ").replace("  ", " "): c for c, name in US_STATES.items()}
    )
    table.update({name.lower(): c for c, name in US_STATES.items()})
    table.update({" ".join(code.lower()): code for code in US_STATES})  # "c a" from "C.A."
    table.update(STATE_SPELLINGS)
    return table


#: Every state spelling (keyed by :func:`place_key`) -> its USPS code.
STATE_KEYS: dict[str, str] = _state_keys()


def state_code(text: str) -> str | None:
    """The USPS code of a US state spelling (``"Texas"``, ``"Calif."``, ``" ny"``), else None."""
    return STATE_KEYS.get(place_key(text))


def country_code(text: str) -> str | None:
    """The ISO alpha-2 code of a country spelling (``"USA"``, ``"Portugal"``), else None."""
    return COUNTRIES.get(place_key(text))


def normalize_record_places(record: Mapping[str, Any]) -> dict[str, Any]:
    """``record`` (one lead or account typed in, e.g. to route it) with its country and, when
    it is in the US (no country, or the US), its state as codes, as an import writes them
    (``"California"``, ``" ca"`` -> ``CA``, ``"portugal"`` -> ``PT``); unknown spellings are
    kept, trimmed. Its postal code is trimmed (blank: None), whatever the country."""
    out = dict(record)
    if isinstance(out.get("postal_code"), str):
        # an import stores a postal code trimmed (any country): " 6494 " is area 6494
        out["postal_code"] = out["postal_code"].strip() or None
    country = out.get("country")
    if isinstance(country, str):
        out["country"] = country = country_code(country) or country.strip()
    state = out.get("state")
    if isinstance(state, str) and (country is None or country in ("", "US")):
        out["state"] = state_code(state) or state.strip()
    return out
