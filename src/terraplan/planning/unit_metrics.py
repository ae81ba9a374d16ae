"""Account figures summed onto geo units, so that a design can balance them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from terraplan.domain import Account, GeoKind, GeoUnit

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


def unplaced_accounts_note(units: Sequence[GeoUnit], accounts: Sequence[Account]) -> str | None:
    """A note naming the accounts that no unit can hold because they lack the key (a county
    for counties, a postal code for ZIP and custom units): their figures are in no territory
    of the design, which must not go unsaid."""
    unit_key = account_unit_key(units)
    lacking = [a for a in accounts if not unit_key(a)]
    if not lacking:
        return None
    what = (
        "postal code"
        if _by_postal_code(units)
        else "county (no ZIP code or coordinates to find it)"
    )
    names = ", ".join(a.name for a in lacking[:3]) + (", ..." if len(lacking) > 3 else "")
    count = f"{len(lacking):,} accounts have" if len(lacking) != 1 else "1 account has"
    return f"{count} no {what} and {'is' if len(lacking) == 1 else 'are'} left out of the design: {names}"
