"""Benchmark: rep-to-territory matching and target setting at scale.

1. 2,000 reps x 2,000 territories matched with ``match_reps`` (4 cost parts, managers'
   teams kept inside their regions). Baseline: a greedy matcher (each rep in turn takes its
   cheapest free allowed territory) on the same cost matrix — its cost / optimal is printed.
2. Targets for a 5-level hierarchy (4 areas > 20 regions > 200 districts > 1,000
   sub-districts > 10,000 territories) x 12 months with ``set_targets``. Baseline: the same
   top-down largest-remainder split written as a per-record Python loop.

Run: ``.venv/bin/python benchmarks/match_targets.py``. Prints seconds; the goal is < 10 s each.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from datetime import date

import numpy as np

from terraplan.domain import (
    Account,
    AlignmentEntry,
    OwnerRole,
    Plan,
    RecordKind,
    Rep,
    RepRole,
    SalesLine,
    Territory,
    TerritoryOwner,
)
from terraplan.engine import matching as eng
from terraplan.engine.quota_allocation import allocate_tree
from terraplan.planning.matching import match_reps
from terraplan.planning.targets import set_targets

INDUSTRIES = ("Tech", "Health", "Retail", "Energy", "Finance", "Manufacturing")
SEGMENTS = ("SMB", "MID", "ENT")


def _matching_case(rng: np.random.Generator, n: int = 2000, regions: int = 20):
    territories: list[Territory] = []
    alignment: list[AlignmentEntry] = []
    accounts: list[Account] = []
    reps: list[Rep] = []
    per_region = n // regions
    for g in range(regions):
        territories.append(
            Territory(
                f"R{g}",
                f"Region {g}",
                level="region",
                owners=(TerritoryOwner(f"M{g}", OwnerRole.MANAGER),),
            )
        )
        reps.append(Rep(f"M{g}", f"Manager {g}", role=RepRole.MANAGER))
        centre = (rng.uniform(30, 47), rng.uniform(-120, -75))
        shuffled = rng.permutation(per_region)  # current owners are not the best fits
        for k in range(per_region):
            tid = f"T{g}-{k}"
            owner = f"r{g}-{shuffled[k]}"
            territories.append(
                Territory(tid, tid, parent_id=f"R{g}", owners=(TerritoryOwner(owner),))
            )
            lat0, lon0 = centre[0] + rng.normal(0, 1.5), centre[1] + rng.normal(0, 1.5)
            for a in range(5):
                aid = f"A{g}-{k}-{a}"
                accounts.append(
                    Account(
                        aid,
                        aid,
                        latitude=float(np.clip(lat0 + rng.normal(0, 0.2), -89, 89)),
                        longitude=float(lon0 + rng.normal(0, 0.2)),
                        industry=str(rng.choice(INDUSTRIES)),
                        segment=str(rng.choice(SEGMENTS)),
                        potential=float(rng.lognormal(12, 1)),
                        owner_id=owner if rng.random() < 0.7 else None,
                    )
                )
                alignment.append(AlignmentEntry(RecordKind.ACCOUNT, aid, tid))
            reps.append(
                Rep(
                    owner,
                    owner,
                    home_postal_code=f"{g:02d}{k:03d}",
                    home_latitude=float(np.clip(lat0 + rng.normal(0, 0.5), -89, 89)),
                    home_longitude=float(lon0 + rng.normal(0, 0.5)),
                    skills_industries=tuple(rng.choice(INDUSTRIES, size=2, replace=False)),
                    skills_segments=(str(rng.choice(SEGMENTS)),),
                    experience_years=float(rng.uniform(0, 25)),
                    manager_id=f"M{g}",
                )
            )
    plan = Plan("BENCH", "bench", territories=tuple(territories), alignment=tuple(alignment))
    return plan, reps, accounts


def _greedy(cost: np.ndarray) -> float:
    taken = np.zeros(cost.shape[1], dtype=bool)
    total = 0.0
    for row in cost:
        masked = np.where(taken, np.inf, row)
        j = int(np.argmin(masked))
        taken[j] = True
        total += float(row[j])
    return total


def bench_matching() -> None:
    rng = np.random.default_rng(7)
    plan, reps, accounts = _matching_case(rng)
    for continuity in (2.0, 0.2):
        weights = {"skill": 1, "experience": 1, "distance": 0.5, "continuity": continuity}
        start = time.perf_counter()
        result = match_reps(plan, reps, accounts, weights=weights)
        elapsed = time.perf_counter() - start
        print(
            f"match_reps 2,000 reps x 2,000 territories (continuity weight {continuity:g}): "
            f"{elapsed:.2f} s (pairs {len(result.pairs)}, total cost {result.total_cost:.1f} vs "
            f"current {result.current_cost:.1f}, reps moved {result.reps_moved})"
        )
    cost = np.abs(rng.normal(1.0, 0.5, size=(2000, 2000)))
    start = time.perf_counter()
    optimal = eng.assign(cost)
    t_opt = time.perf_counter() - start
    start = time.perf_counter()
    greedy = _greedy(cost)
    t_greedy = time.perf_counter() - start
    print(
        f"  engine assign on a random 2,000 x 2,000 matrix: {t_opt:.2f} s; greedy baseline "
        f"{t_greedy:.2f} s, greedy cost / optimal = {greedy / optimal.total_cost:.2f}"
    )


def _targets_case(rng: np.random.Generator):
    fan = (4, 5, 10, 5, 10)  # 4 areas > 20 regions > 200 districts > 1,000 > 10,000
    levels = ("area", "region", "district", "subdistrict", "territory")
    territories: list[Territory] = []
    parents: list[str | None] = [None]
    for depth, (width, level) in enumerate(zip(fan, levels, strict=True)):
        current: list[str] = []
        for parent in parents:
            for k in range(width):
                tid = f"{parent or 'C'}.{k}" if depth else f"L0.{k}"
                owners = (TerritoryOwner(f"rep{len(current)}"),) if level == "territory" else ()
                territories.append(
                    Territory(tid, tid, parent_id=parent, level=level, owners=owners)
                )
                current.append(tid)
        parents = current
    leaves = parents
    accounts: list[Account] = []
    alignment: list[AlignmentEntry] = []
    sales: list[SalesLine] = []
    season = 1 + 0.3 * np.sin(np.arange(12) / 12 * 2 * math.pi)
    for i, tid in enumerate(leaves):
        for a in range(3):
            aid = f"A{i}-{a}"
            accounts.append(Account(aid, aid, potential=float(rng.lognormal(12, 1))))
            alignment.append(AlignmentEntry(RecordKind.ACCOUNT, aid, tid))
            if i % 50 == 0:  # some territories have no history at all
                continue
            base = rng.lognormal(9, 1)
            for m in range(12):
                sales.append(
                    SalesLine(f"S{i}-{a}-{m}", aid, date(2025, m + 1, 10), float(base * season[m]))
                )
    reps = [Rep(f"rep{k}", f"Rep {k}", hire_date=date(2025, 10, 1) if k % 7 == 0 else None)
            for k in range(len(leaves))]  # fmt: skip
    plan = Plan("BENCH", "bench", territories=tuple(territories), alignment=tuple(alignment))
    return plan, accounts, sales, reps


def _loop_allocation(plan: Plan, leaf_weight: dict[str, float], total: int) -> dict[str, int]:
    """Per-record baseline: the same top-down largest-remainder split with dicts and loops."""
    children: dict[str | None, list[str]] = defaultdict(list)
    for t in plan.territories:
        children[t.parent_id].append(t.id)
    weight: dict[str, float] = {}

    def subtree(tid: str) -> float:
        kids = children.get(tid, [])
        weight[tid] = leaf_weight.get(tid, 0.0) if not kids else sum(subtree(k) for k in kids)
        return weight[tid]

    for root in children[None]:
        subtree(root)
    units: dict[str, int] = {}
    stack: list[tuple[str | None, int]] = [(None, total)]
    while stack:
        parent, amount = stack.pop()
        kids = children.get(parent, [])
        if not kids:
            continue
        wsum = sum(weight[k] for k in kids) or 1.0
        quotas = [(amount * weight[k] / wsum, k) for k in kids]
        floors = {k: math.floor(q) for q, k in quotas}
        left = amount - sum(floors.values())
        for _, k in sorted(quotas, key=lambda qk: -(qk[0] - math.floor(qk[0])))[:left]:
            floors[k] += 1
        for k in kids:
            units[k] = floors[k]
            stack.append((k, floors[k]))
    return units


def bench_targets() -> None:
    rng = np.random.default_rng(11)
    plan, accounts, sales, reps = _targets_case(rng)
    leaves = plan.leaves()
    start = time.perf_counter()
    result = set_targets(
        plan,
        accounts,
        sales,
        reps,
        company_target="2.5B",
        method="blend:history=0.6,potential=0.4+capacity",
        growth="8%",
        period=2026,
        unit=1000,
        contradiction_tolerance=10.0,
    )
    elapsed = time.perf_counter() - start
    print(
        f"set_targets 5 levels, {len(leaves):,} territories x 12 months: {elapsed:.2f} s "
        f"({len(plan.territories):,} nodes, {len(result.targets):,} Target objects, "
        f"{len(sales):,} sales lines, {len(result.warnings)} warning(s))"
    )
    top = sum(t.final for t in result.territories if t.parent_id is None)
    print(f"  top level sums to {top:,.0f} (company target {result.company_target:,.0f})")
    weights = {t.territory_id: t.potential for t in result.territories if t.is_leaf}
    start = time.perf_counter()
    looped = _loop_allocation(plan, weights, 2_500_000)
    t_loop = time.perf_counter() - start
    index = {t.id: i for i, t in enumerate(plan.territories)}
    parent = np.array([index.get(t.parent_id or "", -1) for t in plan.territories])
    leaf_weight = np.array([weights.get(t.id, 0.0) for t in plan.territories])
    start = time.perf_counter()
    tree = allocate_tree(2_500_000, parent, leaf_weight)
    t_vec = time.perf_counter() - start
    same = all(int(tree.units[index[k]]) == v for k, v in looped.items())
    print(
        f"  hierarchy split alone: vectorised {t_vec * 1000:.0f} ms vs per-record loop baseline "
        f"{t_loop * 1000:.0f} ms (ratio {t_loop / t_vec:.1f}x; identical result: {same})"
    )


if __name__ == "__main__":
    bench_matching()
    bench_targets()
