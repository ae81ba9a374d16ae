"""Names to show for geo units, accounts, reps and plans: "Banks County, GA", not 13011.

Messages and summaries meant for people name things; these lookups give the names for a set
of ids in one read each (an id that is not found stays as it is).
"""

from __future__ import annotations

from collections.abc import Iterable

from terraplan.data.counties import county_labels
from terraplan.storage.unit_of_work import UnitOfWork


def _unit_label(name: str, state: str | None) -> str:
    return f"{name}, {state}" if state and not name.endswith(f", {state}") else name


def unit_names(uow: UnitOfWork, ids: Iterable[str]) -> dict[str, str]:
    """``id -> "Banks County, GA"`` for the geo units among ``ids``: the stored units, else
    the bundled US counties; an unknown id is named by itself."""
    wanted = set(ids)
    if not wanted:
        return {}
    stored = {u.id: _unit_label(u.name, u.state) for u in uow.geo_units.list(any_of={"id": wanted})}
    missing = wanted - set(stored)
    bundled = county_labels() if missing else {}
    return {u: stored.get(u) or bundled.get(u) or u for u in wanted}


def account_names(uow: UnitOfWork, ids: Iterable[str]) -> dict[str, str]:
    """``id -> name`` of the accounts among ``ids`` (an unknown id named by itself)."""
    wanted = set(ids)
    if not wanted:
        return {}
    found = {a.id: a.name for a in uow.accounts.list(any_of={"id": wanted})}
    return {a: found.get(a) or a for a in wanted}


def rep_names(uow: UnitOfWork, ids: Iterable[str]) -> dict[str, str]:
    """``id -> name`` of the reps among ``ids`` (an unknown id named by itself)."""
    wanted = set(ids)
    if not wanted:
        return {}
    found = {r.id: r.name for r in uow.reps.list(any_of={"id": wanted})}
    return {r: found.get(r) or r for r in wanted}


def listed(names: Iterable[str], *, first: int = 5) -> str:
    """``"A"``, ``"A and B"``, ``"A, B and C"``; past ``first`` names, ``"A, …, E and 3
    more"``."""
    items = list(names)
    if len(items) > first:
        return f"{', '.join(items[:first])} and {len(items) - first:,} more"
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"
