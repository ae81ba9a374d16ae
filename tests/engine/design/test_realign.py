"""Least-disruption realignment: the exact two-stage model against brute force, the
heuristic's exact repair on rings of territories, and the ``auto`` choice."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from terraplan.engine.design import DesignProblem, ExactSolver, HeuristicSolver, get_solver
from terraplan.engine.design.diagnosis import diagnose
from terraplan.engine.design.problem import prepare
from terraplan.engine.design.registry import AutoSolver, exact_is_quick
from terraplan.errors import InfeasibleError


def _instance(seed: int, n: int, k: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    points = rng.random((n, 2)) * 50.0
    bases = rng.choice(n, k, replace=False)
    costs = np.linalg.norm(points[:, None] - points[bases][None], axis=2) * rng.uniform(
        1.0, 1.3, size=(n, k)
    )
    weights = rng.integers(1, 10, size=(n, 1)).astype(float)
    current = rng.integers(0, k, size=n)
    return {"points": points, "costs": costs, "weights": weights, "current": current}


def _problem(data: dict[str, np.ndarray], tolerance: object, **extra: object) -> DesignProblem:
    params: dict[str, object] = {
        "weights": data["weights"],
        "coords": data["points"],
        "coords_kind": "planar",
        "centre_costs": data["costs"],
        "tolerance": tolerance,
        "current": data["current"],
        "priority": "lexicographic",
    }
    params.update(extra)
    return DesignProblem(**params)  # type: ignore[arg-type]


def _brute_force(
    data: dict[str, np.ndarray],
    lower: np.ndarray,
    upper: np.ndarray,
    allowed: np.ndarray | None = None,
):
    """Lexicographic optimum (moved units, cost) over every labelling within the windows
    (and the ``(n, k)`` allowed pairs, when given)."""
    n, k = data["costs"].shape
    best = None
    rows = np.arange(n)
    for combo in itertools.product(range(k), repeat=n):
        labels = np.array(combo)
        if allowed is not None and not allowed[np.arange(n), labels].all():
            continue
        totals = np.bincount(labels, weights=data["weights"][:, 0], minlength=k)
        if np.any(totals < lower - 1e-9) or np.any(totals > upper + 1e-9):
            continue
        key = (
            int(np.sum(labels != data["current"])),
            float(data["costs"][rows, labels].sum()),
        )
        if best is None or key < best:
            best = key
    return best


def _solve(solver: object, problem: DesignProblem):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return solver.solve(problem)  # type: ignore[attr-defined]


def _key(result, data: dict[str, np.ndarray]) -> tuple[int, float]:
    labels = np.asarray(result.labels)
    rows = np.arange(labels.shape[0])
    return int(np.sum(labels != data["current"])), float(data["costs"][rows, labels].sum())


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([0.1, 0.2, 0.3]))
@example(537, 0.1)  # one unit heavier than the band: the brute force must see the remedy too
@example(68, 0.3)  # a wider ring finds a cheaper plan moving as few units: it must be kept
def test_exact_and_heuristic_equal_brute_force_lexicographic_optimum(
    seed: int, tolerance: float
) -> None:
    data = _instance(seed, 7, 3)
    problem = _problem(data, tolerance, distance_power=1)
    # The problem the solvers solve: after the diagnosis's remedies (a unit heavier than the
    # band gets a territory of its own, the others are balanced around the rest's mean).
    _, solved = diagnose(prepare(problem))
    best = _brute_force(data, solved.lower[:, 0], solved.upper[:, 0], solved.allowed)
    if best is None:
        with pytest.raises(InfeasibleError):
            _solve(ExactSolver(time_limit=10), problem)
        return
    exact = _solve(ExactSolver(time_limit=10), problem)
    assert exact.stats.proven_optimal
    assert _key(exact, data)[0] == best[0]
    assert _key(exact, data)[1] == pytest.approx(best[1], rel=1e-6)
    heuristic = _solve(HeuristicSolver(time_limit=10), problem)
    assert _key(heuristic, data)[0] == best[0]
    assert _key(heuristic, data)[1] <= best[1] * 1.01 + 1e-9


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([0.1, 0.2]))
@example(105, 0.1)  # 16 units in a library audit: one move balances, the medoids forced two
def test_free_centres_realignment_moves_the_fewest_units(seed: int, tolerance: float) -> None:
    """Balance first, then the fewest moves, does not depend on where the centres are: with
    free centres the exact solver (and auto) moves as few units as any plan within the
    windows (the medoids of its start plan were pinned, forcing extra moves)."""
    data = _instance(seed, 8, 3)
    if seed == 105:  # the audit's instance
        rng = np.random.default_rng(105)
        n = 16
        data = {"points": rng.random((n, 2)) * 100}
        data["weights"] = rng.integers(1, 5, n).astype(float)[:, None]
        data["current"] = rng.integers(0, 3, n)
    total = data["weights"][:, 0].sum()
    lower, upper = total / 3 * (1 - tolerance), total / 3 * (1 + tolerance)
    problem = DesignProblem(
        weights=data["weights"], n_territories=3, coords=data["points"], coords_kind="planar",
        lower=lower, upper=upper, current=data["current"], priority="lexicographic",
    )  # fmt: skip
    least = _fewest_moves(data["weights"][:, 0], data["current"], lower, upper)
    for method in ("exact", "auto", "heuristic"):
        result = _solve(get_solver(method, time_limit=20), problem)
        assert result.report.balance.all_within == (least is not None)
        if least is not None:
            assert result.report.disruption.units_moved == least, method


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    st.integers(0, 10_000),
    st.integers(10, 14),
    st.sampled_from([0.1, 0.2]),
    st.sampled_from(["coords", "distances"]),
)
@example(0, 10, 0.1, "distances")  # territory 0 is empty today (a new rep)
@example(14, 11, 0.1, "coords")  # territory 1 is empty today (a new rep)
def test_heuristic_free_centres_realignment_moves_the_fewest_units(
    seed: int, n: int, tolerance: float, geometry: str
) -> None:
    """The heuristic asked by name, free centres, least disruption: it repairs the current
    plan (it moved more units than the fewest in 18 of 25 such cases: its search redrew
    the plan around new centres), and its compactness phase adds no move."""
    rng = np.random.default_rng(seed)
    points = rng.random((n, 2)) * 100.0
    weights = rng.integers(1, 5, n).astype(float)
    current = rng.integers(0, 3, n)
    total = weights.sum()
    lower, upper = total / 3 * (1 - tolerance), total / 3 * (1 + tolerance)
    place: dict[str, object] = (
        {"coords": points, "coords_kind": "planar"}
        if geometry == "coords"
        else {"distances": np.linalg.norm(points[:, None] - points[None], axis=2)}
    )
    problem = DesignProblem(
        weights=weights[:, None], n_territories=3, lower=lower, upper=upper, current=current,
        priority="lexicographic", **place,  # type: ignore[arg-type]
    )  # fmt: skip
    least = _fewest_moves(weights, current, lower, upper)
    result = _solve(get_solver("heuristic", seed=0, time_limit=20), problem)
    assert result.report.balance.all_within == (least is not None)
    if least is not None:
        assert result.report.disruption.units_moved == least


def _fewest_moves(
    weights: np.ndarray, current: np.ndarray, lower: float, upper: float
) -> int | None:
    """Fewest units moved to bring 3 territories within [lower, upper] (None: no plan):
    moving m units, try every set of m units and every territory for each."""
    n = weights.shape[0]
    for m in range(n + 1):
        for chosen in itertools.combinations(range(n), m):
            for targets in itertools.product(range(3), repeat=m):
                if any(t == current[i] for i, t in zip(chosen, targets, strict=True)):
                    continue
                labels = current.copy()
                labels[list(chosen)] = targets
                totals = np.bincount(labels, weights=weights, minlength=3)
                if np.all(totals >= lower - 1e-9) and np.all(totals <= upper + 1e-9):
                    return m
        if m >= 4:  # more would take too long to check: such an instance is not drawn
            assume(False)
    return None


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000))
def test_lexicographic_never_moves_more_than_weighted(seed: int) -> None:
    data = _instance(seed, 30, 4)
    lexi = _solve(ExactSolver(time_limit=10), _problem(data, 0.15))
    for weight in (0.0, 1.0, 10.0):
        weighted = _solve(
            ExactSolver(time_limit=10),
            _problem(data, 0.15, priority="weighted", disruption_weight=weight),
        )
        assert lexi.report.disruption.units_moved <= weighted.report.disruption.units_moved


def test_disruption_counted_as_a_metric_moved() -> None:
    data = _instance(5, 40, 4)
    potential = np.random.default_rng(1).uniform(0, 100, size=(40, 1))
    weights = np.hstack([data["weights"], potential])
    problem = _problem(data, [0.15, 0.99], weights=weights, disruption_metric=1)
    by_potential = _solve(ExactSolver(time_limit=10), problem)
    by_units = _solve(ExactSolver(time_limit=10), _problem(data, [0.15, 0.99], weights=weights))
    moved = lambda r: float(potential[np.asarray(r.labels) != data["current"], 0].sum())  # noqa: E731
    assert moved(by_potential) <= moved(by_units) + 1e-9
    assert by_units.report.disruption.units_moved <= by_potential.report.disruption.units_moved


def test_heuristic_realignment_matches_exact_on_a_mid_sized_instance() -> None:
    data = _instance(11, 150, 8)
    # a current plan balanced on other weights, then a drift of the weights
    base = _problem(data, 0.1, current=None, priority="weighted")
    current = np.asarray(_solve(ExactSolver(time_limit=20), base).labels)
    drift = data["weights"] * np.random.default_rng(2).lognormal(0, 0.3, size=(150, 1))
    problem = _problem({**data, "current": current}, 0.1, weights=drift, current=current)
    exact = _solve(ExactSolver(time_limit=20), problem)
    heuristic = _solve(HeuristicSolver(time_limit=20), problem)
    assert exact.stats.proven_optimal and heuristic.report.balance.all_within
    e = _key(exact, {**data, "current": current})
    h = _key(heuristic, {**data, "current": current})
    assert h[0] == e[0]
    assert h[1] <= e[1] * 1.01
    assert 0 < e[0] < 150 // 4  # a realignment, not a redesign


def test_realignment_keeps_contiguity() -> None:
    from terraplan.engine.design.geometry import lattice

    coords, adjacency = lattice(8, 8)
    rng = np.random.default_rng(4)
    weights = rng.uniform(1, 3, size=(64, 1))
    centres = np.array([0, 7, 56, 63])
    current = np.where(np.arange(64) % 8 < 4, 0, 1) + np.where(np.arange(64) < 32, 0, 2)
    problem = DesignProblem(
        weights=weights, coords=coords, adjacency=adjacency, centres=centres,
        current=current, tolerance=0.05, priority="lexicographic",
    )  # fmt: skip
    exact = _solve(ExactSolver(time_limit=20), problem)
    heuristic = _solve(HeuristicSolver(time_limit=20), problem)
    for result in (exact, heuristic):
        assert result.report.contiguity.all_contiguous
        assert result.report.balance.all_within
    assert heuristic.report.disruption.units_moved == exact.report.disruption.units_moved


def test_auto_picks_exact_for_a_few_hundred_units_with_fixed_centres() -> None:
    data = _instance(3, 300, 10)
    problem = _problem(data, 0.2, current=None, priority="weighted")
    assert exact_is_quick(prepare(problem))
    result = _solve(get_solver("auto", time_limit=30), problem)
    assert result.stats.method == "exact" and result.stats.proven_optimal
    free = DesignProblem(weights=data["weights"], coords=data["points"], coords_kind="planar",
                         n_territories=10)  # fmt: skip
    assert not exact_is_quick(prepare(free))
    assert isinstance(get_solver("auto"), AutoSolver)


def _contiguous_cost_instance(seed: int, n: int = 240, k: int = 6) -> DesignProblem:
    """Travel costs to ``k`` reps' bases, a Delaunay graph and absolute windows: a model of
    ``n * k`` > 1,000 cells with contiguity (finding 5 of the library audit: 500 units, no
    plan after 150 s, while the same map with free centres was designed in 2 s)."""
    from terraplan.engine.design import build_neighbourhood

    rng = np.random.default_rng(seed)
    points = rng.random((n, 2)) * 50_000.0  # metres
    bases = rng.choice(n, k, replace=False)
    minutes = np.linalg.norm(points[:, None] - points[bases][None], axis=2) / 700.0
    minutes *= rng.uniform(1.0, 1.3, size=(n, k))
    minutes[bases, np.arange(k)] = 0.0
    weights = np.column_stack([rng.lognormal(8, 1, n), rng.gamma(2.0, 10.0, n)])
    share = weights.sum(axis=0) / k
    return DesignProblem(
        weights=weights, coords=points, coords_kind="planar", centre_costs=minutes,
        adjacency=build_neighbourhood(points, planar=True),
        lower=share * np.array([0.85, 0.90]), upper=share * np.array([1.15, 1.10]),
    )  # fmt: skip


@settings(max_examples=4, deadline=None)
@given(st.integers(0, 10_000))
def test_cost_matrix_with_contiguity_on_a_large_model_gets_a_contiguous_plan(seed: int) -> None:
    """The exact rings start from the cheapest assignment, whose every territory misses its
    window, so the first ring was the whole exact model with contiguity: no plan before
    the time limit (SolverError). The rings now never take the whole model of this size,
    and the search designs the plan: contiguous and within the windows, its cost the
    cost-matrix objective."""
    problem = _contiguous_cost_instance(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = HeuristicSolver(time_limit=20, random_state=seed).solve(problem)
    assert result.report.contiguity.all_contiguous
    assert result.report.balance.all_within
    assert not result.stats.status.startswith("time_limit")
    assert result.extras["realign"]["designed_by"] == "search"
    costs = np.asarray(problem.centre_costs)
    labels = np.asarray(result.labels)
    assert result.report.compactness.objective == pytest.approx(
        float(costs[np.arange(costs.shape[0]), labels].__pow__(2).sum())
    )
