"""The constraints of a matching: ``(rep id, territory id)`` pairs given by the user (must,
must not, current) and keeping each manager's team inside the manager's region.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from terraplan.domain import Plan, Rep
from terraplan.domain.names import name_key
from terraplan.errors import InvalidParameterError
from terraplan.planning.match_costs import MatchFacts
from terraplan.planning.reps_support import SELLING_ROLES, ancestor_at_level


def index_pairs(
    items: Iterable[tuple[str, str]],
    rep_ix: Mapping[str, int],
    terr_ix: Mapping[str, int],
    what: str,
    warnings: list[str],
    *,
    strict: bool,
) -> list[tuple[int, int]]:
    """``(rep id, territory id)`` pairs as ``(row, column)`` of the cost matrix; an unknown id
    raises :class:`InvalidParameterError` when ``strict``, else is skipped with a warning."""
    out: list[tuple[int, int]] = []
    for item in items:
        try:
            rep_id, terr_id = item
        except (TypeError, ValueError):
            raise InvalidParameterError(
                f"{what}: expected (rep id, territory id) pairs, got {item!r}",
                details={"parameter": what},
            ) from None
        if rep_id not in rep_ix or terr_id not in terr_ix:
            missing = (
                f"rep {rep_id!r} (not an active selling rep)"
                if rep_id not in rep_ix
                else f"territory {terr_id!r} (not a leaf territory of the plan)"
            )
            if strict:
                raise InvalidParameterError(
                    f"{what}: unknown {missing}", details={"parameter": what, "pair": item}
                )
            warnings.append(f"{what}: ignored pair with unknown {missing}")
            continue
        out.append((rep_ix[rep_id], terr_ix[terr_id]))
    return out


def by_id_or_name(
    items: Iterable[tuple[str, str]],
    reps: Sequence[Rep],
    territories: Sequence[Any],
    what: str,
) -> list[tuple[str, str]]:
    """``(rep, territory)`` pairs as typed, each side an id or a name (``Chloe
    Archer:Territory 12``), as ids; a rep who exists but cannot be matched (inactive, a
    manager) is refused by name, saying why (it read as "unknown"), and so is a name two reps
    (or territories) share, naming their ids, as ``plans owners`` does."""
    rep_by_name: dict[str, list[str]] = {}
    for known in reps:
        rep_by_name.setdefault(name_key(known.name), []).append(known.id)
    territory_by_name: dict[str, list[str]] = {}
    for territory in territories:
        territory_by_name.setdefault(name_key(territory.name), []).append(territory.id)
    rep_ids = {r.id: r for r in reps}
    territory_ids = {t.id for t in territories}

    def one(
        value: str, ids: Mapping[str, Any] | set[str], names: dict[str, list[str]], noun: str
    ) -> str:
        if value in ids:
            return value
        found = names.get(name_key(value), [])
        if len(found) > 1:
            raise InvalidParameterError(
                f"{what}: {len(found)} {noun} are named {value!r} ({', '.join(sorted(found))}): "
                "give the id",
                details={"parameter": what, "value": value, "ids": sorted(found)},
            )
        return found[0] if found else value

    out = []
    for item in items:
        try:
            rep_text, territory_text = item
        except (TypeError, ValueError):
            out.append(item)  # index_pairs says what is wrong with it
            continue
        rep_id = one(str(rep_text), rep_ids, rep_by_name, "reps")
        found = rep_ids.get(rep_id)
        if found is not None and (not found.active or found.role not in SELLING_ROLES):
            why = "is inactive" if not found.active else "is a manager, not a selling rep"
            raise InvalidParameterError(
                f"{what}: {found.name or found.id} {why}: pick an active selling rep",
                details={"parameter": what, "pair": list(item)},
            )
        out.append(
            (rep_id, one(str(territory_text), territory_ids, territory_by_name, "territories"))
        )
    return out


def region_mask(
    plan: Plan, reps: Sequence[Rep], facts: MatchFacts, level: str, allowed: np.ndarray
) -> None:
    """Clear ``allowed`` ``(n_reps, n_territories)`` in place outside the region of each rep's
    manager; nothing changes when the plan has no territory at ``level``."""
    if not any(t.level == level for t in plan.territories):
        return
    up = ancestor_at_level(plan, level)
    regions = {t.id for t in plan.territories if t.level == level}
    by_name = {t.name.strip().lower(): t.id for t in plan.territories if t.level == level}
    by_id = {r.id: r for r in reps}
    manager_region: dict[str, str | None] = {}

    def region_of(manager_id: str) -> str | None:
        if manager_id in manager_region:
            return manager_region[manager_id]
        found = {
            up[t.id]
            for t in plan.territories
            if any(o.rep_id == manager_id for o in t.owners) and up[t.id] in regions
        }
        manager = by_id.get(manager_id)
        if not found and manager is not None and manager.region:
            key = manager.region.strip()
            rid = key if key in regions else by_name.get(key.lower())
            if rid is not None:
                found = {rid}
        result = next(iter(found)) if len(found) == 1 else None
        if len(found) > 1:
            facts.warnings.append(f"manager {manager_id!r} spans several regions; team not limited")
        manager_region[manager_id] = result
        return result

    terr_region = np.array([up[t.id] for t in facts.territories])
    for i, rep in enumerate(facts.reps):
        if rep.manager_id is None:
            continue
        region = region_of(rep.manager_id)
        if region is not None:
            allowed[i] &= terr_region == region
