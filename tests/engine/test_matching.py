"""Rep-to-territory matching: optimal against brute force, constraints, cost parts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terraplan.engine import matching as eng
from terraplan.errors import InfeasibleError, InvalidParameterError


def _brute_force(
    cost: np.ndarray, allowed: np.ndarray, required: list[tuple[int, int]]
) -> tuple[int, float]:
    """Best (most pairs, then least cost) over every injective partial assignment."""
    n_r, n_t = cost.shape
    best = (0, 0.0)
    found = False
    for choice in itertools.product(range(-1, n_t), repeat=n_r):
        used = [t for t in choice if t >= 0]
        if len(used) != len(set(used)):
            continue
        if any(t >= 0 and not allowed[r, t] for r, t in enumerate(choice)):
            continue
        if any(choice[r] != t for r, t in required):
            continue
        key = (len(used), float(sum(cost[r, t] for r, t in enumerate(choice) if t >= 0)))
        if not found or key[0] > best[0] or (key[0] == best[0] and key[1] < best[1] - 1e-9):
            best, found = key, True
    return best


@st.composite
def _problems(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    n_r = draw(st.integers(1, 4))
    n_t = draw(st.integers(1, 4))
    values = draw(st.lists(st.integers(0, 20), min_size=n_r * n_t, max_size=n_r * n_t))
    mask = draw(st.lists(st.booleans(), min_size=n_r * n_t, max_size=n_r * n_t))
    cost = np.array(values, dtype=float).reshape(n_r, n_t) / 4.0
    allowed = np.array(mask).reshape(n_r, n_t) | (draw(st.integers(0, 3)) == 0)
    required: list[tuple[int, int]] = []
    pairs = [(r, t) for r in range(n_r) for t in range(n_t) if allowed[r, t]]
    if pairs and draw(st.booleans()):
        required.append(draw(st.sampled_from(pairs)))
    return cost, allowed, required


@settings(max_examples=120, deadline=None)
@given(_problems())
def test_assignment_matches_brute_force(
    problem: tuple[np.ndarray, np.ndarray, list[tuple[int, int]]],
) -> None:
    cost, allowed, required = problem
    result = eng.assign(cost, allowed=allowed, required=np.array(required).reshape(-1, 2))
    count, total = _brute_force(cost, allowed, required)
    assert result.n_assigned == count
    assert result.total_cost == pytest.approx(total)
    chosen = [(r, int(t)) for r, t in enumerate(result.rep_territory) if t >= 0]
    assert all(allowed[r, t] for r, t in chosen)
    assert all(result.rep_territory[r] == t for r, t in required)
    for r, t in chosen:
        assert result.territory_rep[t] == r


def test_unequal_sizes_leave_vacancies_and_unassigned_reps() -> None:
    cost = np.array([[1.0, 5.0, 9.0], [4.0, 1.0, 9.0]])
    wide = eng.assign(cost)
    assert list(wide.rep_territory) == [0, 1]
    assert list(wide.territory_rep) == [0, 1, -1]
    tall = eng.assign(cost.T)
    assert list(tall.rep_territory) == [0, 1, -1]


def test_required_pairs_that_clash_are_infeasible() -> None:
    cost = np.zeros((2, 2))
    with pytest.raises(InfeasibleError, match="rep 0 is required in more than one pair"):
        eng.assign(cost, required=np.array([[0, 0], [0, 1]]))
    with pytest.raises(
        InfeasibleError, match=r"required pair \(rep 1, territory 0\) is also forbidden"
    ):
        eng.assign(
            cost, allowed=np.array([[True, True], [False, True]]), required=np.array([[1, 0]])
        )


def test_skill_mismatch_is_the_uncovered_share() -> None:
    skills = np.array([[True, False], [True, True], [False, False]])
    mix = np.array([[3.0, 1.0], [0.0, 0.0]])
    out = eng.skill_mismatch(skills, mix)
    np.testing.assert_allclose(out, [[0.25, 0.0], [0.0, 0.0], [1.0, 0.0]])


def test_experience_gap_pairs_seniors_with_big_books() -> None:
    experience = np.array([1.0, 20.0, 8.0])
    potential = np.array([5e6, 1e5, 1e6])
    result = eng.assign(eng.experience_gap(experience, potential))
    assert list(result.rep_territory) == [1, 0, 2]
    assert result.total_cost == pytest.approx(0.0)


def test_percentile_rank_ties_and_missing() -> None:
    np.testing.assert_allclose(
        eng.percentile_rank(np.array([3.0, 1.0, 3.0, np.nan, 2.0])), [5 / 6, 0.0, 5 / 6, 0.5, 1 / 3]
    )


def test_distance_cost_scales_and_puts_unknown_homes_at_the_middle() -> None:
    homes = np.array([[0.0, 0.0], [np.nan, np.nan], [2.0, 0.0], [3.0, 0.0]])
    centres = np.array([[1.0, 0.0], [np.nan, np.nan]])
    km, cost = eng.distance_cost(homes, centres, distance_scale_km=100.0)
    assert km[0, 0] == pytest.approx(111.195, abs=0.01)
    assert np.isnan(km[1, 0])
    assert cost[0, 0] == pytest.approx(1.11195, abs=1e-4)
    # the rep with no home costs the median of the others for that territory (1, 1 and 2 deg)
    assert cost[1, 0] == pytest.approx(1.11195, abs=1e-4)
    assert cost[1, 0] > cost[0, 0] - 1e-9 and cost[1, 0] < cost[3, 0]
    assert (cost[:, 1] == 0.0).all()  # a territory with no known centre: 0 for everyone


def test_combine_costs_rejects_unknown_parts_and_negative_weights() -> None:
    parts = {"skill": np.ones((1, 1)), "distance": np.full((1, 1), 2.0)}
    assert eng.combine_costs(parts, {"skill": 1.0, "distance": 0.5})[0, 0] == pytest.approx(2.0)
    with pytest.raises(InvalidParameterError, match=r"unknown cost part\(s\) \['speed'\]"):
        eng.combine_costs(parts, {"speed": 1.0})
    with pytest.raises(
        InvalidParameterError, match="weight of 'skill' must be a finite number >= 0"
    ):
        eng.combine_costs(parts, {"skill": -1.0})


def test_assign_does_not_mutate_inputs() -> None:
    cost = np.array([[1.0, 2.0], [2.0, 1.0]])
    allowed = np.array([[True, False], [True, True]])
    before = (cost.copy(), allowed.copy())
    eng.assign(cost, allowed=allowed)
    np.testing.assert_array_equal(cost, before[0])
    np.testing.assert_array_equal(allowed, before[1])
