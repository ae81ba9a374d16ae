"""Cost matrices of the fixed-centre exact model, shared by the exact solver and realignment.

- :func:`fixed_cost` ``(n, k)``: compactness cost of each unit in each territory;
- :func:`allowed_pairs` ``(n, k)``: allowed unit-territory pairs (locks, forbidden pairs);
- :func:`weighted_disruption_cost` ``(n, k)``: the weighted mode's price of moving a unit.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.spatial.distance import cdist

from terraplan.engine.design.disruption import moved_table
from terraplan.engine.design.problem import Prepared

FloatArray = npt.NDArray[np.float64]


def fixed_cost(prep: Prepared) -> FloatArray:
    """``(n, k)`` compactness cost ``w_i * d(i, centre_t) ** power`` with fixed centres:
    the given ``centre_costs``, else chord distances (km, or the planar unit) to the centre
    points/units, else the distance matrix's centre columns."""
    if prep.centre_costs is not None:
        dist = prep.centre_costs
    elif prep.xyz is not None:
        centres = (
            prep.centre_points if prep.centre_points is not None else prep.xyz[prep.centre_units]
        )
        dist = cdist(prep.xyz, centres)
    else:
        assert prep.distances is not None and prep.centre_units is not None
        dist = prep.distances[:, prep.centre_units]
    return np.asarray(prep.compact_w[:, None] * dist**prep.power, dtype=np.float64)


def allowed_pairs(prep: Prepared) -> npt.NDArray[np.bool_]:
    """``(n, k)`` bool: ``prep.allowed`` with each locked unit allowed only where locked."""
    allowed = np.ones((prep.n, prep.k), dtype=bool) if prep.allowed is None else prep.allowed.copy()
    locked = np.flatnonzero(prep.locked >= 0)
    allowed[locked] = False
    allowed[locked, prep.locked[locked]] = True
    return allowed


def weighted_disruption_cost(prep: Prepared, cost: FloatArray) -> FloatArray:
    """``(n, k)`` weighted-mode price of leaving the current territory:
    ``disruption_weight * moved[i, t] * mean(cost) / mean(disrupt_w)`` with ``moved`` the
    disruption weight moved by putting unit ``i`` in territory ``t``
    (:func:`~terraplan.engine.design.disruption.moved_table`: 0 where the unit is now; only
    the members that leave for a split keep-together group); zeros without a current plan
    or weight."""
    if prep.current is None or prep.disruption_weight <= 0:
        return np.zeros_like(cost)
    scale = float(np.mean(cost)) / max(float(np.mean(prep.disrupt_w)), 1e-300)
    extra = prep.disruption_weight * scale * moved_table(prep)
    return np.asarray(extra, dtype=np.float64)
