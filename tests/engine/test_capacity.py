"""Team-sizing maths, hand-checked on small cases."""

from __future__ import annotations

import numpy as np
import pytest

from terraplan.engine import capacity as cap
from terraplan.errors import InvalidParameterError


def test_haversine_one_degree_of_latitude_and_pairs_agree_with_matrix() -> None:
    a = np.array([[0.0, 0.0], [39.7392, -104.9903]])
    b = np.array([[1.0, 0.0], [40.01499, -105.27055]])
    pairs = cap.haversine_pairs_km(a, b)
    assert pairs[0] == pytest.approx(111.195, abs=0.01)
    assert pairs[1] == pytest.approx(38.9, abs=0.5)  # Denver -> Boulder
    matrix = cap.haversine_matrix_km(a, b)
    assert matrix.shape == (2, 2)
    np.testing.assert_allclose(np.diag(matrix), pairs)


def test_visit_workload_hand_checked() -> None:
    # 12 visits x (1.5 h call + 2 x 30 km x 1.2 / 60 km/h = 1.2 h travel) = 32.4 h.
    hours = cap.visit_workload(
        np.array([12.0, 4.0]),
        np.array([1.5, 1.0]),
        np.array([30.0, np.nan]),
        road_factor=1.2,
        speed_kmh=60.0,
    )
    np.testing.assert_allclose(hours, [32.4, 4.0])


def test_visit_workload_rejects_bad_speed() -> None:
    with pytest.raises(InvalidParameterError, match="speed_kmh must be > 0, got 0"):
        cap.visit_workload(np.ones(1), np.ones(1), np.ones(1), speed_kmh=0.0)


def test_fte_needed_and_its_parameter_checks() -> None:
    assert cap.fte_needed(3200.0, 1600.0, 0.8) == pytest.approx(2.5)
    with pytest.raises(InvalidParameterError, match=r"utilization must be in \(0, 1\], got 1.2"):
        cap.fte_needed(1.0, 1600.0, 1.2)
    with pytest.raises(InvalidParameterError, match="hours_per_rep must be > 0"):
        cap.fte_needed(1.0, 0.0, 0.8)


def test_potential_covered_best_value_first_with_pro_rata_last_account() -> None:
    potential = np.array([30.0, 100.0, 50.0, 7.0])
    workload = np.array([30.0, 10.0, 10.0, 0.0])  # the last one costs no time
    covered = cap.potential_covered(potential, workload, np.array([0.0, 15.0, 20.0, 35.0, 1e9]))
    # Free account first (7), then 100 per 10 h, then 50 per 10 h, then 30 per 30 h.
    np.testing.assert_allclose(covered, [7.0, 132.0, 157.0, 172.0, 187.0])


def test_potential_covered_within_an_account_limit_too() -> None:
    """A team with hours to spare but few account slots serves the best accounts per slot,
    not per hour; without the slot limit every account was counted as covered."""
    potential = np.array([100.0, 60.0, 50.0, 10.0])
    workload = np.array([10.0, 1.0, 1.0, 1.0])
    hours = np.array([100.0, 100.0, 100.0, 11.0])
    slots = np.array([4.0, 2.0, 1.5, 4.0])
    covered = cap.potential_covered(potential, workload, hours, slots)
    # 4 slots: all; 2 slots: the two largest; 1.5: 100 + half of 60;
    # 11 h: 60 + 50 + 10 (3 h) then 8 of Acme's 10 h
    assert covered == pytest.approx([220.0, 160.0, 130.0, 200.0])
    # no slot limit: the hours-only bound, unchanged
    assert cap.potential_covered(potential, workload, hours) == pytest.approx([220, 220, 220, 200])
    with pytest.raises(InvalidParameterError, match="capacity_accounts"):
        cap.potential_covered(potential, workload, hours, np.array([1.0]))


def test_linear_ramp_and_given_curve() -> None:
    np.testing.assert_allclose(cap.ramp_curve(4), [0.25, 0.5, 0.75, 1.0, 1.0])
    np.testing.assert_allclose(cap.ramp_curve(0), [1.0])
    np.testing.assert_allclose(cap.ramp_curve(curve=[0.0, 0.5]), [0.0, 0.5, 1.0])
    with pytest.raises(InvalidParameterError, match=r"numbers in \[0, 1\]"):
        cap.ramp_curve(curve=[0.5, 1.5])


def test_forecast_headcount_hand_checked() -> None:
    # Two veterans, one hire in month 0 at half productivity, 10 % monthly attrition.
    out = cap.forecast_headcount(
        np.array([24, 36]), np.array([1.0, 0.0, 0.0]), np.array([0.5, 1.0]), 0.1
    )
    np.testing.assert_allclose(out.headcount, [2.8, 2.52, 2.268])
    np.testing.assert_allclose(out.leavers, [0.2, 0.28, 0.252])
    # month 0: 1.8 veterans x 1 + 1 hire x 0.5; month 1: 1.62 + 0.9 x 1.
    np.testing.assert_allclose(out.productive_fte, [2.3, 2.52, 2.268])


def test_forecast_headcount_rejects_attrition_of_one() -> None:
    with pytest.raises(InvalidParameterError, match=r"monthly rate in \[0, 1\), got 1"):
        cap.forecast_headcount(np.array([1]), np.zeros(2), np.array([1.0]), 1.0)
