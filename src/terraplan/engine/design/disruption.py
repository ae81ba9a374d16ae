"""Disruption against the current plan, as unit x territory tables.

Users count a realignment's disruption unit by unit: each unit (or its disruption weight
``disrupt_w``: its accounts, its potential) that ends in a territory other than its current
one counts as moved; a unit without a current territory never does. A problem whose units
are contracted keep-together groups (:mod:`~terraplan.engine.design.groups`) holds several
members per unit, and a group may be split today, so the weight moved by putting unit ``i``
into territory ``t`` is the weight of its members whose current territory is not ``t``:

    moved[i, t] = sum_t' held[i, t'] - held[i, t]

with ``held (n, k)`` the weight of unit ``i``'s members now in each territory. Counting a
split group as if it sat wholly in its majority territory (0 there, the whole group
elsewhere) made a plan proven optimal move 38 units where 36 sufficed.

For a problem of single units ``held`` has one entry per row, at the current territory; the
tables then say what ``current`` and ``disrupt_w`` say. Budget rows of the MILPs use the
"kept" form ``sum_it held[i, t] x[i, t] >= sum_i held_i - cap``, which for single units is
the usual row over ``x[i, current[i]]``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from terraplan.engine.design.problem import Prepared

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def held_table(prep: Prepared, *, units: bool = False) -> FloatArray | None:
    """``(n, k)`` disruption weight (``units``: number of units) of each unit's members now
    in each territory; None without a current plan."""
    if prep.current is None:
        return None
    given = prep.held_units if units else prep.held
    if given is not None:
        return given
    out = np.zeros((prep.n, prep.k))
    has = np.flatnonzero(prep.current >= 0)
    out[has, prep.current[has]] = 1.0 if units else prep.disrupt_w[has]
    return out


def moved_table(prep: Prepared, *, units: bool = False) -> FloatArray:
    """``(n, k)`` disruption weight (``units``: number of units) moved when each unit is put
    in each territory (zeros without a current plan)."""
    held = held_table(prep, units=units)
    if held is None:
        return np.zeros((prep.n, prep.k))
    return np.asarray(held.sum(axis=1, keepdims=True) - held, dtype=np.float64)


def moved_of(prep: Prepared, labels: IntArray, *, units: bool = False) -> float:
    """Disruption weight (``units``: number of units) that ``labels (n,)`` moves."""
    if prep.current is None:
        return 0.0
    if (prep.held_units if units else prep.held) is None:
        moved = (prep.current >= 0) & (labels != prep.current)
        return float(moved.sum()) if units else float(prep.disrupt_w[moved].sum())
    table = moved_table(prep, units=units)
    return float(table[np.arange(prep.n), labels].sum())


def kept_form(moved: FloatArray) -> tuple[FloatArray, float]:
    """A moved-weight table ``(n, k)`` as ``(kept (n, k), total)`` with
    ``moved[i, t] = rowmax_i - kept[i, t]`` and ``total = sum_i rowmax_i``, so that
    ``moved weight <= cap`` is the row ``sum kept[i, t] x[i, t] >= total - cap`` (``kept``
    is mostly zeros: a unit's weight where its members sit)."""
    top = moved.max(axis=1) if moved.shape[1] else np.zeros(moved.shape[0])
    return np.asarray(top[:, None] - moved, dtype=np.float64), float(top.sum())
