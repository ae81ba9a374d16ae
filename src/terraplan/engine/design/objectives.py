"""Compactness objectives measured on a plan, in the problem's own distance.

- weighted inertia / weighted distance to the centre: the solvers' cost matrices
  (:func:`terraplan.engine.design.exact_costs.fixed_cost`, the search's tallies);
- the **largest territory diameter**: :func:`territory_diameters` and
  :func:`max_diameter` below, with :func:`pair_distances` giving the ``(n, n)`` unit
  distances they use (chord km for latitude/longitude, the caller's unit for planar
  coordinates, else the given matrix).

Under ``compactness_objective="diameter"`` the heuristic ends with the bisection and descent
of :mod:`terraplan.engine.design.diameter_search`; the exact model is
:mod:`terraplan.engine.design.exact_diameter`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.spatial.distance import cdist

from terraplan.engine.design.problem import Prepared

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def pair_distances(prep: Prepared) -> FloatArray:
    """``(n, n)`` distance between every two units (0 on the diagonal)."""
    if prep.distances is not None:
        return np.asarray(prep.distances, dtype=np.float64)
    assert prep.xyz is not None
    return np.asarray(cdist(prep.xyz, prep.xyz), dtype=np.float64)


def territory_diameters(pairs: FloatArray, labels: IntArray, k: int) -> FloatArray:
    """``(k,)`` largest distance between two units of each territory (0: < 2 units).

    ``pairs (n, n)`` unit distances (:func:`pair_distances`); ``labels (n,)`` in ``[0, k)``.
    """
    out = np.zeros(k)
    for t in range(k):
        members = np.flatnonzero(labels == t)
        if members.size > 1:
            out[t] = float(pairs[np.ix_(members, members)].max())
    return out


def max_diameter(pairs: FloatArray, labels: IntArray, k: int) -> float:
    """The largest territory diameter of ``labels`` (the min-max objective)."""
    return float(territory_diameters(pairs, labels, k).max(initial=0.0))
