"""Account figures summed onto geo units, so that a design can balance them."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple, Protocol

from terraplan.domain import Account, GeoKind, GeoUnit
from terraplan.rules.fields import is_us, zip5


class ZipPlace(Protocol):
    """What the ZIP table says of a ZIP (the io layer's ``ZipLocation`` is one)."""

    @property
    def state(self) -> str: ...
    @property
    def zip_type(self) -> str | None: ...
    @property
    def population(self) -> float | None: ...


#: ZIP code -> what the ZIP table says of it (None: not in the table).
ZipLookup = Callable[[str], ZipPlace | None]

#: Account figures that can be summed onto geo units to balance them (``count`` = number of accounts).
ACCOUNT_METRICS = ("potential", "workload", "annual_revenue", "count")


def account_unit_key(units: Sequence[GeoUnit]) -> Callable[[Account], str | None]:
    """How an account is matched to one of ``units``: by county FIPS for counties, by postal
    code for ZIP and custom units (e.g. another country's postal areas)."""
    if _by_postal_code(units):
        return lambda account: account.postal_code
    return lambda account: account.county_fips


def _by_postal_code(units: Sequence[GeoUnit]) -> bool:
    return any(u.kind in (GeoKind.ZIP, GeoKind.CUSTOM) for u in units)


def sum_account_metrics(
    units: Sequence[GeoUnit], accounts: Sequence[Account], metrics: Sequence[str]
) -> list[GeoUnit]:
    """``units`` with the totals of ``metrics`` over ``accounts`` added to their attributes.

    Accounts are matched to counties by county FIPS and to ZIP and custom units (e.g. another
    country's postal areas) by postal code; units without accounts get 0; a metric a unit
    already carries is kept. ``count`` counts accounts; a missing figure counts as 0.
    """
    missing = [m for m in metrics if any(m not in u.attributes for u in units)]
    if not missing:
        return list(units)
    unit_key = account_unit_key(units)
    totals: dict[str, dict[str, float]] = {}
    for account in accounts:
        key = unit_key(account)
        if key is None:
            continue
        row = totals.setdefault(key, dict.fromkeys(missing, 0.0))
        for metric in missing:
            row[metric] += 1.0 if metric == "count" else float(getattr(account, metric) or 0.0)
    return [
        replace(
            u, attributes={**dict.fromkeys(missing, 0.0), **totals.get(u.id, {}), **u.attributes}
        )
        for u in units
    ]


class Why(NamedTuple):
    """Why accounts are left out: said of a count of them, of one, and in brackets."""

    plural: str
    singular: str
    short: str


_NO_KEY_COUNTY = Why(
    "have no ZIP code or coordinates to find their county",
    "has no ZIP code or coordinates to find its county",
    "no ZIP code or coordinates to find it",
)
_OUTSIDE_US = Why("are outside the US", "is outside the US", "outside the US")
_NOT_A_ZIP = Why(
    "have a postal code that is not a US ZIP",
    "has a postal code that is not a US ZIP",
    "postal codes that are not US ZIPs",
)
_UNKNOWN_ZIP = Why(
    "are at ZIPs not in the ZIP table",
    "is at a ZIP not in the ZIP table",
    "at ZIPs not in the ZIP table",
)
_NO_POSTAL = Why("have no postal code", "has no postal code", "no postal code")
_NOT_AN_AREA = Why(
    "have a postal code that is none of the areas",
    "has a postal code that is none of the areas",
    "postal codes that are none of the areas",
)
_PO_BOX = Why("are at PO-Box ZIPs", "is at a PO-Box ZIP", "at PO-Box ZIPs")
_NO_RESIDENTS = Why(
    "are at ZIPs with no residents", "is at a ZIP with no residents", "at ZIPs with no residents"
)
_OTHER_STATE = Why(
    "are in US states the design does not cover",
    "is in a US state the design does not cover",
    "in US states the design does not cover",
)
_OTHER_ZIP = Why(
    "are at ZIPs that are not design units",
    "is at a ZIP that is not a design unit",
    "at ZIPs that are not design units",
)
#: The groups whose accounts have a known county (a county design holds them).
_COUNTY_KNOWN = (_PO_BOX, _NO_RESIDENTS)
_NOT_A_UNIT = "not one of the design's units"


@dataclass(frozen=True, slots=True)
class UnplacedAccount:
    """An account no unit of a design holds: ``group`` says why for a count of them,
    ``reason`` for this one (empty when the group says it all)."""

    account: Account
    group: Why
    reason: str = ""


def unplaced_accounts(
    units: Sequence[GeoUnit],
    accounts: Sequence[Account],
    *,
    locate: ZipLookup | None = None,
    market: Collection[str] = (),
) -> list[UnplacedAccount]:
    """The accounts none of ``units`` holds, in the order given, each with why.

    Counties hold the accounts with a county FIPS. ZIP units hold the accounts whose postal
    code is one of them: the others are named too (no postal code, a postal code outside the
    US, a PO-Box ZIP or one without residents, which are no ZIP units), except those of a
    US state the design does not cover (a ``--states`` design). Custom units: the accounts
    without a postal code. ``locate``: the ZIP table (what a ZIP that is no unit is);
    ``market``: the states of a whole-market design (units of all of them, or of none, name
    every account they cannot hold).
    """
    if not _by_postal_code(units):
        states = {u.state for u in units if u.state}
        counties = {u.id for u in units}
        whole = _whole_market(states, market)
        out: list[UnplacedAccount] = []
        for a in accounts:
            if not a.county_fips:
                if _in_scope(a, a.state if is_us(a.country) else None, states, whole):
                    out.append(_without_county(a))
            elif whole and a.county_fips not in counties:
                beyond = _beyond(a, a.state, states)
                if beyond is not None:
                    out.append(beyond)
        return out
    ids = {u.id for u in units}
    if not any(u.kind is GeoKind.ZIP for u in units):
        return [_off_the_areas(a, ids) for a in accounts if a.postal_code not in ids]
    states = {u.state for u in units if u.state}
    out = []
    whole = _whole_market(states, market)
    for a in accounts:
        if a.postal_code in ids:
            continue
        if not is_us(a.country):
            if _in_scope(a, None, states, whole):
                out.append(UnplacedAccount(a, _OUTSIDE_US, _not_us_postal(a)))
            continue
        if not a.postal_code:
            if _in_scope(a, a.state, states, whole):
                out.append(UnplacedAccount(a, _NO_POSTAL))
            continue
        code = zip5(a.postal_code)
        place = locate(code) if code is not None and locate is not None else None
        state = place.state if place is not None else a.state
        if not _in_scope(a, state, states, whole):
            continue
        out.append(_beyond(a, state, states) or _off_the_units(a, code, place))
    return out


def _in_scope(account: Account, state: str | None, states: Collection[str], whole: bool) -> bool:
    """Whether a design of units in ``states`` is meant to hold ``account`` (in ``state``;
    None: unknown, or outside the US). A design of some states (``--states``) holds its
    states' accounts, not those of other states nor of other countries; a design of the
    whole market (:func:`_whole_market`) names every account it cannot hold. Unknown states
    count as inside."""
    if whole:
        return True
    if not is_us(account.country):
        return False
    return not state or state in states


def _whole_market(states: Collection[str], market: Collection[str]) -> bool:
    """Units with no states, or of every state of the contiguous US and DC (the default ZIP
    and county units): a design of the whole market, not of some states."""
    if not states:
        return True
    return bool(market) and set(states) >= set(market)


def _beyond(account: Account, state: str | None, states: Collection[str]) -> UnplacedAccount | None:
    """An account of a whole-market design in a US state none of its units is in (Alaska,
    Hawaii, Puerto Rico), else None."""
    if not states or not state or state in states:
        return None
    return UnplacedAccount(account, _OTHER_STATE, f"{state} is not among the design's states")


def _without_county(account: Account) -> UnplacedAccount:
    if not is_us(account.country):
        return UnplacedAccount(account, _OUTSIDE_US, _not_us_postal(account))
    if account.postal_code and zip5(account.postal_code) is None:
        return UnplacedAccount(account, _NOT_A_ZIP, _not_a_zip(account))
    if account.postal_code:
        return UnplacedAccount(
            account, _UNKNOWN_ZIP, f"ZIP {zip5(account.postal_code)} is not in the ZIP table"
        )
    return UnplacedAccount(account, _NO_KEY_COUNTY)


def _off_the_areas(account: Account, ids: Collection[str]) -> UnplacedAccount:
    """Why a custom design's areas do not hold ``account``: no postal code, or one that is no
    area's id (e.g. a code whose leading zeros a spreadsheet dropped)."""
    if not account.postal_code:
        return UnplacedAccount(account, _NO_POSTAL)
    code = account.postal_code
    widths = sorted({len(i) for i in ids if len(i) > len(code)})
    padded = next((code.zfill(w) for w in widths if code.zfill(w) in ids), None)
    hint = f"; area {padded} is, with leading zeros" if padded else ""
    return UnplacedAccount(account, _NOT_AN_AREA, f"postal code {code} is none of the areas{hint}")


def _off_the_units(account: Account, code: str | None, place: ZipPlace | None) -> UnplacedAccount:
    if code is None:
        return UnplacedAccount(account, _NOT_A_ZIP, _not_a_zip(account))
    if place is None:
        return UnplacedAccount(
            account, _UNKNOWN_ZIP, f"ZIP {code} is not in the ZIP table, {_NOT_A_UNIT}"
        )
    if code != account.postal_code:
        return UnplacedAccount(
            account, _OTHER_ZIP, f"postal code {account.postal_code!r} is not written as ZIP {code}"
        )
    if place.zip_type == "PO_Box":
        return UnplacedAccount(account, _PO_BOX, f"ZIP {code} is a PO-Box ZIP, {_NOT_A_UNIT}")
    if not place.population:
        return UnplacedAccount(
            account, _NO_RESIDENTS, f"ZIP {code} has no residents, {_NOT_A_UNIT}"
        )
    return UnplacedAccount(account, _OTHER_ZIP, f"ZIP {code} is {_NOT_A_UNIT}")


def _not_us_postal(account: Account) -> str:
    country = str(account.country or "").strip() or "not the US"
    if not account.postal_code:
        return f"country {country}"
    return f"postal code {account.postal_code} is not a US postal code: country {country}"


def _not_a_zip(account: Account) -> str:
    return f"postal code {account.postal_code!r} is not a US ZIP"


def _named(items: Sequence[UnplacedAccount], limit: int = 3) -> str:
    """A few accounts by name, each with its reason when it has one."""
    names = [
        f"{u.account.name} ({u.reason})" if u.reason else u.account.name for u in items[:limit]
    ]
    return ", ".join(names) + (", ..." if len(items) > limit else "")


def _accounts(count: int, group: Why) -> str:
    return f"{count:,} accounts {group.plural}" if count != 1 else f"1 account {group.singular}"


def unplaced_accounts_note(
    units: Sequence[GeoUnit],
    accounts: Sequence[Account],
    *,
    locate: ZipLookup | None = None,
    market: Collection[str] = (),
) -> str | None:
    """A note naming the accounts that no unit can hold (:func:`unplaced_accounts`): how many,
    their potential, a few names and why. Their figures are in no territory of the design,
    which must not go unsaid."""
    found = unplaced_accounts(units, accounts, locate=locate, market=market)
    if not found:
        return None
    groups: dict[Why, list[UnplacedAccount]] = {}
    for item in found:
        groups.setdefault(item.group, []).append(item)
    potential = sum(u.account.potential or 0.0 for u in found)
    worth = f" (potential {potential:,.0f})" if potential else ""
    one = len(found) == 1
    if not _by_postal_code(units) and _OTHER_STATE not in groups:
        subject = f"{len(found):,} accounts have" if not one else "1 account has"
        lead = f"{subject} no county"
    elif not _by_postal_code(units):
        subject = f"{len(found):,} accounts are" if not one else "1 account is"
        lead = f"{subject} in none of the design's counties"
    else:
        kind = "ZIP" if any(u.kind is GeoKind.ZIP for u in units) else "custom"
        subject = f"{len(found):,} accounts are" if not one else "1 account is"
        lead = f"{subject} in none of the design's {kind} units"
    verb = "is" if one else "are"
    if len(groups) == 1:
        text = (
            f"{lead} ({found[0].group.short}) and {verb} left out of the design: "
            f"{_named(found)}{worth}"
        )
    else:
        parts = "; ".join(
            f"{_accounts(len(items), group)}: {_named(items)}" for group, items in groups.items()
        )
        text = f"{lead} and {verb} left out of the design{worth}: {parts}"
    return text + _advice(groups)


def _advice(groups: Mapping[Why, Sequence[UnplacedAccount]]) -> str:
    """PO-Box ZIPs and ZIPs without residents have a county: say what would hold them."""
    held = [
        g.plural.removeprefix("are ")
        for g in _COUNTY_KNOWN
        if any(u.account.county_fips for u in groups.get(g, ()))
    ]
    if not held:
        return ""
    return (
        f". The accounts {' and '.join(held)} have a known county: a county design (--units "
        "counties) holds them; rules generated from this design leave them unassigned (gaps) "
        "unless a rule names their ZIPs"
    )


def unlocated_accounts_message(lacking: Sequence[Account]) -> str:
    """Why a design on accounts cannot place ``lacking`` (accounts without coordinates) and
    what to do: accounts outside the US have a postal code, just not a US one, so they are
    told apart from US accounts with no ZIP code; one fix each, not one per run."""
    foreign = [a for a in lacking if not is_us(a.country)]
    home = [a for a in lacking if is_us(a.country)]
    parts: list[str] = []
    if foreign:
        by_country: dict[str, int] = {}
        for a in foreign:
            code = str(a.country or "").strip() or "unknown"
            by_country[code] = by_country.get(code, 0) + 1
        countries = ", ".join(
            f"{code} {n:,}"
            for code, n in sorted(by_country.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        shown = ", ".join(
            f"{a.name} ({a.id}, "
            + (f"postal code {a.postal_code}, " if a.postal_code else "")
            + f"country {str(a.country or '').strip() or 'unknown'})"
            for a in foreign[:5]
        ) + (", ..." if len(foreign) > 5 else "")
        subject = f"{len(foreign):,} accounts are" if len(foreign) != 1 else "1 account is"
        parts.append(
            f"{subject} outside the US ({countries}), without latitude/longitude; a postal code "
            f"outside the US is not a US postal code, so nothing places them: {shown}. Design "
            "the US with --states (the states to design, e.g. --states CA,NV,OR,WA), which "
            "leaves other countries out; plan the other countries apart (custom units of their "
            "postal areas, `terraplan import geo_units`, and --units custom), or give those "
            "accounts latitude and longitude"
        )
    if home:
        shown = ", ".join(f"{a.name} ({a.id})" if a.name else repr(a.id) for a in home[:5]) + (
            ", ..." if len(home) > 5 else ""
        )
        subject = f"{len(home):,} accounts have" if len(home) != 1 else "1 account has"
        parts.append(
            f"{subject} no latitude/longitude and no ZIP code to place them: {shown}; import "
            "their ZIP codes or coordinates, or design on counties or ZIPs (--units counties, "
            "--units zips), which leave such accounts out and name them"
        )
    return "; and ".join(parts) if len(parts) > 1 else parts[0]
