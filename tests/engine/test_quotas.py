"""Quota maths: exact largest-remainder splits, basis blending, seasonality and fairness."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terraplan.engine import quota_allocation as alloc
from terraplan.engine import quota_fairness as fair
from terraplan.engine import quotas
from terraplan.errors import DataError, InvalidParameterError


def test_largest_remainder_hand_checked() -> None:
    assert list(alloc.allocate_units(10, np.array([1.0, 1.0, 1.0]))) == [4, 3, 3]
    # quotas 4.2857, 2.8571, 2.8571 -> floors 4, 2, 2 -> two left go to the .8571s
    assert list(alloc.allocate_units(10, np.array([3.0, 2.0, 2.0]))) == [4, 3, 3]
    assert list(alloc.allocate_units(7, np.array([0.0, 0.0]))) == [4, 3]


def test_to_units_requires_a_whole_multiple() -> None:
    assert alloc.to_units(120e6, 1000) == 120_000
    with pytest.raises(
        InvalidParameterError,
        match=r"1,234,567.00 is not a whole multiple of the rounding unit 1,000; round it first",
    ):
        alloc.to_units(1_234_567, 1000)


@st.composite
def _trees(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int]:
    n = draw(st.integers(1, 40))
    parent = np.array([draw(st.integers(-1, i - 1)) if i else -1 for i in range(n)])
    weights = np.array(
        draw(st.lists(st.one_of(st.just(0.0), st.floats(0.001, 1e6)), min_size=n, max_size=n))
    )
    total = draw(st.integers(0, 10**12))
    return parent, weights, total


@settings(max_examples=150, deadline=None)
@given(_trees())
def test_top_down_allocation_sums_exactly_at_every_level(
    tree: tuple[np.ndarray, np.ndarray, int],
) -> None:
    parent, weights, total = tree
    out = alloc.allocate_tree(total, parent, weights)
    units = out.units
    assert np.all(units >= 0)
    assert int(units[parent == -1].sum()) == total
    for node in np.flatnonzero(np.isin(np.arange(parent.size), parent)):
        assert int(units[parent == node].sum()) == int(units[node])
    leaves = ~np.isin(np.arange(parent.size), parent)
    if weights[leaves].sum() > 0 and out.equal_split.size == 0:
        exact = total * weights[leaves] / weights[leaves].sum()
        assert np.all(np.abs(units[leaves] - exact) <= out.depth[leaves] + 1 + 1e-6 * total)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(0, 10**9), min_size=1, max_size=8),
    st.lists(st.floats(0.0, 100.0), min_size=12, max_size=12),
)
def test_seasonality_split_sums_to_the_annual_figure(
    totals: list[int], profile: list[float]
) -> None:
    months = alloc.allocate_rows(np.array(totals), quotas.monthly_profile(np.array(profile)))
    assert months.shape == (len(totals), 12)
    assert list(months.sum(axis=1)) == totals
    assert np.all(months >= 0)


def test_tree_cycle_is_reported() -> None:
    with pytest.raises(InvalidParameterError, match="the hierarchy has a cycle"):
        alloc.tree_depth(np.array([1, 0]))


def test_basis_blends_shares_and_imputes_missing_history() -> None:
    out = quotas.quota_basis(
        np.array([100.0, 300.0, np.nan]),
        np.array([1.0, 1.0, 2.0]),
        history_weight=0.5,
        potential_weight=0.5,
    )
    # known history 400 over potential 2 -> ratio 200; missing one imputed 2 x 200 = 400.
    assert out.history_to_potential == pytest.approx(200.0)
    np.testing.assert_allclose(out.history_used, [100.0, 300.0, 400.0])
    np.testing.assert_allclose(out.basis, [0.5 * 0.125 + 0.5 * 0.25, 0.5 * 0.375 + 0.125, 0.5])
    assert list(out.imputed) == [False, False, True]


def test_basis_capacity_adjustment_reduces_ramping_territories() -> None:
    out = quotas.quota_basis(
        np.array([100.0, 100.0]),
        np.array([1.0, 1.0]),
        history_weight=1.0,
        potential_weight=0.0,
        productivity=np.array([1.0, 0.5]),
    )
    np.testing.assert_allclose(out.basis, [2 / 3, 1 / 3])


def test_basis_bad_inputs_have_clear_messages() -> None:
    with pytest.raises(DataError, match="no territory has sales history"):
        quotas.quota_basis(
            np.array([np.nan, np.nan]), np.ones(2), history_weight=1.0, potential_weight=0.0
        )
    with pytest.raises(DataError, match="potential is 0 in every territory"):
        quotas.quota_basis(np.ones(2), np.zeros(2), history_weight=0.0, potential_weight=1.0)
    with pytest.raises(InvalidParameterError, match=r"growth must be > -100%, got -100.0%"):
        quotas.quota_basis(np.ones(2), np.ones(2), history_weight=1, potential_weight=0, growth=-1)


def test_monthly_profile_and_quarters() -> None:
    flat = quotas.monthly_profile(np.zeros(12))
    np.testing.assert_allclose(flat, np.full(12, 1 / 12))
    np.testing.assert_allclose(quotas.expand_quarters(np.array([3.0, 0, 0, 0]))[:4], [1, 1, 1, 0])
    with pytest.raises(InvalidParameterError, match="a quarterly profile has 4 values, got 3"):
        quotas.expand_quarters(np.ones(3))


def test_fairness_measures() -> None:
    assert fair.gini(np.array([1.0, 1.0, 1.0])) == pytest.approx(0.0)
    assert fair.gini(np.array([0.0, 0.0, 0.0, 1.0])) == pytest.approx(0.75)
    assert fair.coefficient_of_variation(np.array([1.0, 3.0])) == pytest.approx(0.5)
    assert math.isnan(fair.coefficient_of_variation(np.array([1.0, np.nan])))
    ratio = fair.safe_ratio(np.array([1.0, 1.0, 1.0]), np.array([2.0, 0.0, np.nan]))
    assert ratio[0] == 0.5 and np.isnan(ratio[1]) and np.isnan(ratio[2])
    reach = fair.attainable(
        np.array([100.0, 90.0, np.nan]), np.array([105.0, 105.0, 1.0]), growth=0.05, threshold=1.0
    )
    assert reach[0] == 1.0 and reach[1] == 0.0 and np.isnan(reach[2])


def test_fairness_measures_do_not_overflow_on_huge_ratios() -> None:
    ratio = fair.safe_ratio(np.array([1000.0, 1000.0]), np.array([1e-308, 2.0]))
    assert np.isnan(ratio[0]) and ratio[1] == 500.0
    huge = np.array([1e200, 3e200])
    assert fair.coefficient_of_variation(huge) == pytest.approx(0.5)
    assert fair.gini(huge) == pytest.approx(0.25)
