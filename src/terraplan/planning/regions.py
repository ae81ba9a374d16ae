"""A plan's regions from its reps: each territory goes under the region of its primary reps.

KPIs by region, region balance, region rollups of targets and a manager's region follow the
plan's hierarchy (a territory's parent). A designed plan has none; every rep has a ``region``
(the CRM's department or division). :func:`regions_from_reps` turns the second into the first:

- the territories that carry the plan (those holding geo units or accounts, and every one that
  is not a parent, except an empty ``region``-level one) each get as parent the region their
  primary reps name; reps without a region do not count;
- a territory with no primary rep, whose primary reps have no region, or whose primary reps
  name two regions is left without a parent, and said (by name) in :attr:`Unplaced.reason`;
- one region territory per region (named as the region, level ``region``): an existing region
  or parent territory of that name (any case) is kept with its id; a new one's id is made
  from the name (``North East`` -> ``north-east``, ``-2`` after it when the plan has that id);
- region and parent territories no territory is under any more are removed from the plan
  (they hold nothing: the plan's records are in the territories above).

Region names are compared without regard to case or spacing (``West`` and `` west``); a
region is named as most reps write it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from terraplan.domain import Plan, Rep, Territory
from terraplan.domain.ids import is_usable_id

REGION_LEVEL = "region"


@dataclass(frozen=True, slots=True)
class Unplaced:
    """A territory left without a region, and why (in plain words, by name)."""

    territory_id: str
    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class RegionHierarchy:
    """The plan's territories with their regions (``territories``: the new list), and what
    changed: ``parents`` (territory id -> its new parent, None: none; only changed ones),
    the region territories ``added`` and ``removed``, the territories ``unplaced``, and
    ``regions``: each region territory's id -> the ids of the territories under it."""

    territories: tuple[Territory, ...]
    parents: Mapping[str, str | None]
    added: tuple[Territory, ...]
    removed: tuple[Territory, ...]
    unplaced: tuple[Unplaced, ...]
    regions: Mapping[str, tuple[str, ...]]
    #: Kept region territories whose level became ``region`` (e.g. a rule set's parent).
    relevelled: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.parents or self.added or self.removed or self.relevelled)


def region_key(text: str) -> str:
    """How two region names are compared: without case and extra spaces."""
    return " ".join(text.split()).casefold()


def region_names(reps: Sequence[Rep]) -> dict[str, str]:
    """Region key -> the region's name, as most reps write it (ties: the first in sort order)."""
    spellings: dict[str, Counter[str]] = {}
    for rep in reps:
        if rep.region and rep.region.strip():
            written = " ".join(rep.region.split())
            spellings.setdefault(region_key(written), Counter())[written] += 1
    return {key: min(counts, key=lambda s: (-counts[s], s)) for key, counts in spellings.items()}


def _slug(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9_.-]+", "-", name.casefold()).strip("-.")[:60] or "region"
    candidate, n = base, 2
    while candidate in taken or not is_usable_id(candidate):
        candidate = f"{base}-{n}"
        n += 1
    return candidate


def _region_of(
    territory: Territory, reps: Mapping[str, Rep], names: Mapping[str, str]
) -> str | Unplaced:
    """The key of the region the territory's primary reps name, or why it has none."""
    owners = territory.primary_owner_ids
    if not owners:
        return Unplaced(territory.id, territory.name, f"{territory.name} has no primary rep")
    keys: dict[str, list[str]] = {}
    for rep_id in owners:
        rep = reps.get(rep_id)
        who = rep.name if rep else rep_id
        if rep is not None and rep.region and rep.region.strip():
            keys.setdefault(region_key(rep.region), []).append(who)
    if len(keys) == 1:
        return next(iter(keys))
    if not keys:
        who = ", ".join(reps[r].name if r in reps else r for r in owners)
        verb = "has" if len(owners) == 1 else "have"
        return Unplaced(
            territory.id,
            territory.name,
            f"{territory.name}'s primary {'rep' if len(owners) == 1 else 'reps'} {who} "
            f"{verb} no region",
        )
    split = "; ".join(f"{', '.join(w)} in {names[k]}" for k, w in sorted(keys.items()))
    return Unplaced(
        territory.id,
        territory.name,
        f"{territory.name}'s primary reps are in different regions ({split})",
    )


def regions_from_reps(plan: Plan, reps: Sequence[Rep]) -> RegionHierarchy:
    """The plan's hierarchy from its territories' primary reps' regions (see the module)."""
    holding = {entry.territory_id for entry in plan.alignment}
    parent_ids = {t.parent_id for t in plan.territories if t.parent_id}
    structural = [
        t
        for t in plan.territories
        if t.id not in holding and (t.id in parent_ids or t.level == REGION_LEVEL)
    ]
    structural_ids = {t.id for t in structural}
    leaves = [t for t in plan.territories if t.id not in structural_ids]
    names = region_names(reps)
    by_id = {r.id: r for r in reps}

    wanted: dict[str, str] = {}  # leaf id -> region key
    unplaced: list[Unplaced] = []
    for leaf in leaves:
        found = _region_of(leaf, by_id, names)
        if isinstance(found, Unplaced):
            unplaced.append(found)
        else:
            wanted[leaf.id] = found

    # a region territory per region: an existing one of that name, else a new one
    region_ids: dict[str, str] = {}
    taken = {t.id for t in plan.territories}
    reusable = sorted(structural, key=lambda t: t.level != REGION_LEVEL)  # regions first
    added: list[Territory] = []
    for key in sorted(set(wanted.values()), key=lambda k: names[k]):
        kept = next(
            (t for t in reusable if region_key(t.name) == key and t.id not in region_ids.values()),
            None,
        )
        if kept is not None:
            region_ids[key] = kept.id
            continue
        new = Territory(_slug(names[key], taken), names[key], level=REGION_LEVEL)
        taken.add(new.id)
        region_ids[key] = new.id
        added.append(new)

    kept_regions = set(region_ids.values())
    parent_of = {leaf: region_ids[key] for leaf, key in wanted.items()}
    parents: dict[str, str | None] = {}
    relevelled: list[str] = []
    territories: list[Territory] = []
    for territory in plan.territories:
        if territory.id in structural_ids and territory.id not in kept_regions:
            continue  # removed: nothing is under it any more
        if territory.id in kept_regions:
            new_parent, level = None, REGION_LEVEL
        else:
            new_parent, level = parent_of.get(territory.id), territory.level
        if new_parent != territory.parent_id:
            parents[territory.id] = new_parent
        if level != territory.level:
            relevelled.append(territory.id)
        territories.append(replace(territory, parent_id=new_parent, level=level))
    territories.extend(added)
    removed = tuple(t for t in structural if t.id not in kept_regions)
    under: dict[str, list[str]] = {rid: [] for rid in region_ids.values()}
    for leaf_id, rid in parent_of.items():
        under[rid].append(leaf_id)
    return RegionHierarchy(
        territories=tuple(territories),
        parents=parents,
        added=tuple(added),
        removed=removed,
        unplaced=tuple(unplaced),
        regions={rid: tuple(ids) for rid, ids in under.items()},
        relevelled=tuple(relevelled),
    )
