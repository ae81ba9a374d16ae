"""What planners mean: absolute windows, planar coordinates, unit x centre costs,
keep-together groups and one default time limit."""

from __future__ import annotations

import inspect
import itertools
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terraplan.engine.design import (
    DesignProblem,
    ExactSolver,
    HeuristicSolver,
    diagnose_problem,
    get_solver,
)
from terraplan.engine.design.geometry import lattice
from terraplan.engine.design.params import DEFAULT_TIME_LIMIT
from terraplan.engine.design.problem import prepare
from terraplan.errors import DataQualityWarning, InfeasibleError, InvalidParameterError


def _solve(solver: object, problem: DesignProblem):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return solver.solve(problem)  # type: ignore[attr-defined]


def _points(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((n, 2)) * 80.0, rng.integers(1, 9, size=(n, 1)).astype(float)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["exact", "heuristic"]))
def test_asymmetric_windows_respected_or_proved_impossible(seed: int, method: str) -> None:
    rng = np.random.default_rng(seed)
    n, k = 8, 3
    points, weights = _points(seed, n)
    total = float(weights.sum())
    share = total / k
    lower = share * rng.uniform(0.5, 0.95, size=(k, 1))
    upper = share * rng.uniform(1.02, 1.6, size=(k, 1))
    problem = DesignProblem(
        weights=weights, coords=points, coords_kind="planar", centres=np.array([0, 1, 2]),
        lower=lower, upper=upper,
    )  # fmt: skip
    feasible = any(
        np.all(
            (t := np.bincount(np.array(c), weights=weights[:, 0], minlength=k))
            >= lower[:, 0] - 1e-9
        )
        and np.all(t <= upper[:, 0] + 1e-9)
        and all(c[j] == j for j in range(k))
        for c in itertools.product(range(k), repeat=n)
    )
    if not feasible:
        if method == "exact":
            with pytest.raises(InfeasibleError):
                _solve(ExactSolver(time_limit=10), problem)
        return
    result = _solve(get_solver(method, time_limit=10), problem)
    totals = result.report.balance.totals[:, 0]
    if method == "exact":
        assert np.all(totals >= lower[:, 0] - 1e-6) and np.all(totals <= upper[:, 0] + 1e-6)
        assert result.report.balance.all_within
    else:
        assert result.report.balance.all_within == bool(
            np.all(totals >= lower[:, 0] - 1e-6) and np.all(totals <= upper[:, 0] + 1e-6)
        )


def test_windows_validated_and_prepared() -> None:
    points, weights = _points(0, 10)
    base = {"weights": weights, "coords": points, "coords_kind": "planar", "n_territories": 2}
    with pytest.raises(InvalidParameterError, match="lower"):
        prepare(DesignProblem(**base, lower=[10.0], upper=[5.0]))  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="upper"):
        prepare(DesignProblem(**base, upper=np.ones((3, 1))))  # type: ignore[arg-type]
    prep = prepare(DesignProblem(**base, lower=[[1.0], [2.0]], upper=[[np.inf], [9.0]]))  # type: ignore[arg-type]
    assert prep.lower.tolist() == [[1.0], [2.0]]
    assert prep.upper[0, 0] == np.inf and prep.upper[1, 0] == 9.0
    share = float(weights.sum()) / 2
    assert share > 9.0 and prep.targets[:, 0].tolist() == [share, 9.0]  # share, moved into window


def test_a_window_on_one_metric_keeps_the_oversize_remedy_on_the_other() -> None:
    """Potential balanced by tolerance, workload capped by a window: the unit holding 40 % of
    the potential (2x an equal share of 5) still gets a territory of its own, the rest are
    balanced on potential around the mean of the others, and the cap holds everywhere. With
    the window on potential itself there is no remedy: the unit is named as over the band."""
    rng = np.random.default_rng(3)
    points = rng.random((60, 2)) * 100.0
    potential = rng.uniform(1.0, 3.0, 60)
    potential[17] = 0.4 / 0.6 * (potential.sum() - potential[17])  # 40 % of the total
    workload = rng.uniform(5.0, 10.0, 60)
    weights = np.column_stack([potential, workload])
    cap = workload.sum() / 5 * 1.5
    problem = DesignProblem(
        weights=weights, n_territories=5, tolerance=[0.15, 0.0], coords=points,
        coords_kind="planar", lower=[np.nan, 0.0], upper=[np.nan, cap],
        metric_names=("potential", "workload"),
    )  # fmt: skip
    result = _solve(HeuristicSolver(random_state=0), problem)
    assert [i.code for i in result.diagnosis.issues] == ["oversize_unit"]
    assert result.diagnosis.dedicated and result.diagnosis.dedicated[0][0] == 17
    labels = np.asarray(result.labels)
    own = labels[17]
    assert np.flatnonzero(labels == own).tolist() == [17]
    totals = np.array([weights[labels == t].sum(axis=0) for t in range(5)])
    others = [t for t in range(5) if t != own]
    rest_mean = (potential.sum() - potential[17]) / 4
    assert np.all(np.abs(totals[others, 0] / rest_mean - 1) <= 0.15 + 1e-9)
    assert np.all(totals[:, 1] <= cap + 1e-9)
    windowed = DesignProblem(
        weights=weights, n_territories=5, coords=points, coords_kind="planar",
        lower=[0.0, 0.0], upper=[potential.sum() / 5 * 1.15, cap],
    )  # fmt: skip
    from terraplan.engine.design import diagnose_problem

    diagnosis = diagnose_problem(windowed)
    assert not diagnosis.dedicated and not diagnosis.feasible
    assert any(17 in issue.units for issue in diagnosis.issues)


def test_a_unit_too_heavy_for_the_window_is_named_not_given_a_territory() -> None:
    """Potential balanced by tolerance, workload capped by a window the heavy unit alone
    exceeds: giving it a territory of its own cannot help, so it is named as over the band
    (on workload, the windowed metric) instead of a "locked units" finding about a territory
    the remedy made. A window on one territory only keeps the remedy, and the other
    territories' relative workload bands follow the mean of the rest."""
    from terraplan.engine.design import diagnose_problem

    rng = np.random.default_rng(3)
    points = rng.random((60, 2)) * 100.0
    potential = rng.uniform(1.0, 3.0, 60)
    potential[17] = 0.4 / 0.6 * (potential.sum() - potential[17])
    workload = rng.uniform(5.0, 10.0, 60)
    workload[17] = 300.0
    weights = np.column_stack([potential, workload])
    base = {"weights": weights, "n_territories": 5, "coords": points, "coords_kind": "planar",
            "metric_names": ("potential", "workload")}  # fmt: skip
    cap = DesignProblem(**base, tolerance=[0.15, 0.0], lower=[np.nan, 0.0], upper=[np.nan, 226.0])  # type: ignore[arg-type]
    diagnosis = diagnose_problem(cap)
    assert not diagnosis.dedicated and not diagnosis.feasible
    over = [i for i in diagnosis.issues if i.code == "unit_over_band"]
    assert len(over) == 1 and over[0].units == (17,) and over[0].metric == "workload"
    assert not [i for i in diagnosis.issues if i.code == "locked_over_band"]
    upper = np.full((5, 2), np.nan)
    upper[0, 1] = 1e6  # one territory's workload window, far from binding
    one = DesignProblem(**base, tolerance=[0.15, 0.1], upper=upper)  # type: ignore[arg-type]
    diagnosis = diagnose_problem(one)
    assert [u for u, _ in diagnosis.dedicated] == [17]
    own = diagnosis.dedicated[0][1]
    rest = (workload.sum() - workload[17]) / 4
    others = [t for t in range(5) if t not in (own, 0)]
    assert np.allclose(diagnosis.targets[others, 1], rest)


def test_planar_coordinates_measure_in_the_callers_unit() -> None:
    coords = np.array([[0.0, 0.0], [3.0, 4.0], [1000.0, 0.0], [1000.0, 8.0]])
    problem = DesignProblem(
        weights=np.ones((4, 1)), coords=coords, coords_kind="planar",
        centres=np.array([[0.0, 0.0], [1000.0, 0.0]]), tolerance=0.01, distance_power=1,
    )  # fmt: skip
    result = _solve(ExactSolver(time_limit=10), problem)
    assert result.labels.tolist() == [0, 0, 1, 1]
    assert result.report.compactness.total_distance_km == pytest.approx(13.0)
    assert result.report.compactness.max_diameter == pytest.approx(8.0)
    # the report names the unit: the caller's, not km
    assert result.report.compactness.distance_unit == "planar coordinate unit"
    graph = prepare(DesignProblem(weights=np.ones((4, 1)), coords=coords, coords_kind="planar",
                                  n_territories=2, contiguous=True)).adjacency  # fmt: skip
    assert graph is not None and graph.shape == (4, 4)


def test_centre_cost_matrix_defines_the_objective() -> None:
    rng = np.random.default_rng(7)
    points, weights = _points(7, 9)
    costs = rng.uniform(1.0, 60.0, size=(9, 3))  # travel minutes, not distances
    problem = DesignProblem(
        weights=weights, coords=points, coords_kind="planar", centre_costs=costs,
        tolerance=0.3, distance_power=1,
    )  # fmt: skip
    prep = prepare(problem)
    best = min(
        float(costs[np.arange(9), np.array(c)].sum())
        for c in itertools.product(range(3), repeat=9)
        if np.all(
            np.abs(
                np.bincount(np.array(c), weights=weights[:, 0], minlength=3) / prep.targets[:, 0]
                - 1
            )
            <= 0.3 + 1e-9
        )
    )
    for method in ("exact", "heuristic", "auto"):
        result = _solve(get_solver(method, time_limit=10), problem)
        assert result.report.compactness.objective == pytest.approx(best, rel=1e-6)
    with pytest.raises(InvalidParameterError, match="centre_costs"):
        prepare(DesignProblem(weights=weights, coords=points, centre_costs=-costs))


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["exact", "heuristic"]))
def test_groups_never_split(seed: int, method: str) -> None:
    rng = np.random.default_rng(seed)
    coords, adjacency = lattice(6, 6)
    weights = rng.uniform(1.0, 2.0, size=(36, 1))
    groups = np.full(36, -1)
    for g in range(4):
        start = int(rng.integers(0, 34))
        groups[[start, start + 1]] = g  # neighbours on the lattice (mostly)
    problem = DesignProblem(
        weights=weights, coords=coords, adjacency=adjacency, centres=np.array([0, 17, 35]),
        groups=groups, tolerance=0.25,
    )  # fmt: skip
    result = _solve(get_solver(method, time_limit=10), problem)
    labels = np.asarray(result.labels)
    assert labels.shape == (36,)
    for g in np.unique(groups[groups >= 0]):
        assert np.unique(labels[groups == g]).shape[0] == 1
    assert labels[0] == 0 and labels[17] == 1 and labels[35] == 2


def test_group_heavier_than_a_band_is_named() -> None:
    coords, _ = lattice(4, 4)
    weights = np.ones((16, 1))
    groups = np.full(16, -1)
    groups[:9] = 4  # 9 of 16 units: more than the upper band of any of 3 territories
    problem = DesignProblem(
        weights=weights, coords=coords, n_territories=3, centres=np.array([0, 12, 15]),
        groups=groups, tolerance=0.1, targets=np.full((3, 1), 16 / 3),
    )  # fmt: skip
    with pytest.warns(DataQualityWarning, match="keep-together group 4") as caught:
        result = HeuristicSolver(time_limit=5).solve(problem)
    assert sum(issubclass(w.category, DataQualityWarning) for w in caught) == 1
    codes = [issue.code for issue in result.diagnosis.issues]
    assert "group_over_band" in codes
    assert np.unique(np.asarray(result.labels)[:9]).shape[0] == 1


@pytest.mark.parametrize("method", ["auto", "exact", "heuristic"])
def test_a_group_heavier_than_an_absolute_window_is_named_by_every_solver(method: str) -> None:
    """Group 3 holds 9 of 16 equal units; the window allows at most 1.2x an equal share of
    16/3: no plan exists. Every solver and the diagnosis name the group and the metric by
    the caller's names (not "balance window of metric 0"); a plan returned says it misses
    the window in its status."""
    coords, _ = lattice(4, 4)
    weights = np.column_stack([np.ones(16), np.full(16, 2.0)])
    groups = np.full(16, -1)
    groups[:9] = 3
    share = 16 / 3
    problem = DesignProblem(
        weights=weights, coords=coords, n_territories=3, groups=groups,
        lower=[0.8 * share, 0.0], upper=[1.2 * share, np.inf], metric_names=("accounts", "hours"),
    )  # fmt: skip
    expected = r"keep-together group 3 \(9 units together\) is heavier than .* on accounts"
    diagnosis = diagnose_problem(problem)
    assert [i.code for i in diagnosis.issues] == ["group_over_band"]
    assert diagnosis.issues[0].groups == (3,) and diagnosis.issues[0].metric == "accounts"
    assert not diagnosis.feasible
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = get_solver(method, time_limit=10).solve(problem)
        except InfeasibleError as exc:
            assert re.search(expected, str(exc))
            assert "metric 0" not in str(exc) and "balance window of accounts" in str(exc)
            assert exc.details["groups"] == [3] and exc.details["metrics"] == ["accounts"]
            assert exc.details["issues"] == ["group_over_band"]
            assert "group" not in exc.details  # that key means a lock or centre clash
        else:
            assert method == "heuristic"
            assert result.stats.status.endswith(":balance")
            assert not result.report.balance.all_within
            assert np.unique(np.asarray(result.labels)[:9]).shape[0] == 1
    told = [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]
    assert len(told) == 1 and re.search(expected, told[0])


def test_seed_is_another_name_of_random_state() -> None:
    points, weights = _points(3, 30)
    problem = DesignProblem(weights=weights, coords=points, coords_kind="planar",
                            n_territories=3, tolerance=0.2)  # fmt: skip
    a = _solve(get_solver("heuristic", seed=5), problem)
    b = _solve(get_solver("heuristic", random_state=5), problem)
    assert np.array_equal(a.labels, b.labels)
    assert get_solver("auto", seed=2).get_params()["random_state"] == 2
    _solve(get_solver("exact", seed=1, time_limit=10), problem)  # deterministic: ignored
    with pytest.raises(InvalidParameterError, match="not both"):
        get_solver("heuristic", seed=1, random_state=1)
    with pytest.raises(InvalidParameterError, match=r"no parameter 'sed'.*random_state"):
        get_solver("heuristic", sed=1)


def test_group_with_two_locks_is_a_contradiction() -> None:
    coords, _ = lattice(3, 3)
    locked = np.full(9, -1)
    locked[[0, 1]] = [0, 1]
    groups = np.full(9, -1)
    groups[[0, 1]] = 0
    problem = DesignProblem(weights=np.ones((9, 1)), coords=coords, n_territories=2,
                            locked=locked, groups=groups)  # fmt: skip
    with pytest.raises(InfeasibleError, match="keep-together group 0"):
        ExactSolver(time_limit=5).solve(problem)


def test_one_default_time_limit() -> None:
    from terraplan.cli import design as cli_design
    from terraplan.planning.design import design_territories

    assert HeuristicSolver().time_limit == ExactSolver().time_limit == DEFAULT_TIME_LIMIT
    assert get_solver("auto").get_params()["time_limit"] == DEFAULT_TIME_LIMIT
    assert inspect.signature(design_territories).parameters["time_limit"].default == (
        DEFAULT_TIME_LIMIT
    )
    cli_default = inspect.signature(cli_design.design).parameters["time_limit"].default
    assert cli_default == DEFAULT_TIME_LIMIT


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.booleans())
def test_exact_least_diameter_equals_brute_force(seed: int, fixed: bool) -> None:
    points, weights = _points(seed, 8)
    extra: dict[str, object] = {"centres": np.array([0, 1, 2])} if fixed else {"n_territories": 3}
    problem = DesignProblem(
        weights=weights, coords=points, coords_kind="planar", tolerance=0.35,
        compactness_objective="diameter", **extra,  # type: ignore[arg-type]
    )  # fmt: skip
    prep = prepare(problem)
    pairs = np.linalg.norm(points[:, None] - points[None], axis=2)
    best = np.inf
    for combo in itertools.product(range(3), repeat=8):
        labels = np.array(combo)
        if fixed and not (labels[0] == 0 and labels[1] == 1 and labels[2] == 2):
            continue
        totals = np.bincount(labels, weights=weights[:, 0], minlength=3)
        if np.any(totals < prep.lower[:, 0] - 1e-9) or np.any(totals > prep.upper[:, 0] + 1e-9):
            continue
        diameter = max(
            (pairs[np.ix_(labels == t, labels == t)].max(initial=0.0) for t in range(3)),
        )
        best = min(best, diameter)
    if not np.isfinite(best):
        with pytest.raises(InfeasibleError):
            _solve(ExactSolver(time_limit=20), problem)
        return
    result = _solve(ExactSolver(time_limit=20), problem)
    assert result.stats.proven_optimal
    assert result.report.compactness.max_diameter == pytest.approx(best, rel=1e-9)


@pytest.mark.parametrize("seed", [0, 3])
def test_heuristic_diameter_descent_never_widens_and_keeps_balance(seed: int) -> None:
    points, weights = _points(seed, 40)
    plans = {}
    for objective in ("inertia", "diameter"):
        problem = DesignProblem(
            weights=weights, coords=points, coords_kind="planar", centres=np.arange(4),
            tolerance=0.15, compactness_objective=objective,  # type: ignore[arg-type]
        )  # fmt: skip
        plans[objective] = _solve(HeuristicSolver(random_state=0, time_limit=20), problem)
    assert plans["diameter"].report.balance.all_within
    assert (
        plans["diameter"].report.compactness.max_diameter
        <= plans["inertia"].report.compactness.max_diameter + 1e-9
    )
    exact = _solve(ExactSolver(time_limit=20), problem)
    assert exact.report.compactness.max_diameter <= (
        plans["diameter"].report.compactness.max_diameter + 1e-9
    )
