"""Target (quota) maths: the allocation basis of each territory and seasonality profiles.

Shapes: ``n`` territories. ``history`` ``(n,)`` is prior-period sales in currency with NaN
where a territory has no history at all; ``potential`` ``(n,)`` currency per year;
``productivity`` ``(n,)`` in [0, 1] (1 = fully ramped owner). Monthly arrays are
``(n, 12)`` or ``(12,)`` indexed by calendar month (0 = January).

The basis blends SHARES: ``basis_i = w_h * h_i / sum(h) + w_p * p_i / sum(p)`` with
``h = history * (1 + growth)``, then times ``productivity_i`` when capacity-adjusted. A
company number is then split in proportion to the basis (see :mod:`quota_allocation`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from terraplan.errors import DataError, InvalidParameterError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class QuotaBasis:
    """Allocation weights and what went into them.

    ``basis`` ``(n,)`` >= 0 sums to 1 (or is all 0 when nothing has weight);
    ``history_used`` ``(n,)`` the history figure used (imputed where missing, clipped at 0);
    ``imputed`` ``(n,)`` marks territories whose history was imputed from potential;
    ``history_to_potential`` the ratio used to impute (NaN when nothing was imputed).
    """

    basis: FloatArray
    history_used: FloatArray
    imputed: BoolArray
    history_to_potential: float


def quota_basis(
    history: FloatArray,
    potential: FloatArray,
    *,
    history_weight: float,
    potential_weight: float,
    growth: float = 0.0,
    productivity: FloatArray | None = None,
) -> QuotaBasis:
    """Blend history and potential shares into allocation weights (see module doc).

    Missing history (NaN) is imputed as ``potential * sum(known history) / sum(potential
    of those territories)``. Raises :class:`DataError` when a part with weight > 0 has no
    usable data at all (no history anywhere, or zero potential everywhere).
    """
    hist = np.asarray(history, dtype=np.float64).reshape(-1)
    pot = np.asarray(potential, dtype=np.float64).reshape(-1)
    if hist.shape != pot.shape:
        raise InvalidParameterError("history and potential must have the same length")
    for name, value in (("history_weight", history_weight), ("potential_weight", potential_weight)):
        if not math.isfinite(value) or value < 0:
            raise InvalidParameterError(f"{name} must be a finite number >= 0, got {value:g}")
    if history_weight + potential_weight <= 0:
        raise InvalidParameterError("at least one of the history and potential weights must be > 0")
    if not math.isfinite(growth) or growth <= -1:
        raise InvalidParameterError(
            f"growth must be > -100%, got {growth:.1%}", details={"parameter": "growth"}
        )
    if np.any(np.isinf(hist)) or np.any(~np.isfinite(pot)) or np.any(pot < 0):
        raise InvalidParameterError("history must be finite or NaN; potential finite and >= 0")
    prod = np.ones_like(pot) if productivity is None else np.asarray(productivity, np.float64)
    if prod.shape != pot.shape or np.any(~np.isfinite(prod)) or np.any((prod < 0) | (prod > 1)):
        raise InvalidParameterError("productivity must be (n,) numbers in [0, 1]")

    known = ~np.isnan(hist)
    hist_known = np.where(known, np.maximum(hist, 0.0), 0.0)
    imputed = ~known
    ratio = math.nan
    if imputed.any():
        known_pot = float(pot[known].sum())
        if known.any() and known_pot > 0:
            ratio = float(hist_known[known].sum()) / known_pot
        elif history_weight > 0 and not known.any():
            raise DataError(
                "no territory has sales history, so a history-based target cannot be set; "
                "use method 'potential' or load sales lines",
                details={"field": "history", "reason": "missing"},
            )
        else:
            ratio = 0.0
    hist_used = np.where(known, hist_known, pot * (0.0 if math.isnan(ratio) else ratio))
    grown = hist_used * (1.0 + growth)

    basis = np.zeros_like(pot)
    if history_weight > 0:
        total = float(grown.sum())
        if total <= 0:
            raise DataError(
                "sales history sums to 0 over all territories; history cannot weight targets "
                "(import sales lines or Closed Won opportunities, or use --method potential)",
                details={"field": "history", "reason": "zero total"},
            )
        basis += history_weight * grown / total
    if potential_weight > 0:
        total = float(pot.sum())
        if total <= 0:
            raise DataError(
                "potential is 0 in every territory, so it cannot weight targets: import a "
                "potential column for accounts, or set targets on history alone "
                "(--method history)",
                details={"field": "potential", "reason": "zero total"},
            )
        basis += potential_weight * pot / total
    basis *= prod
    total_basis = float(basis.sum())
    if total_basis > 0:
        basis = basis / total_basis
    return QuotaBasis(basis, hist_used, imputed, ratio)


def monthly_profile(monthly_sales: FloatArray) -> FloatArray:
    """Seasonality profile from sales by calendar month.

    ``monthly_sales`` ``(12,)`` or ``(n, 12)`` (negative months count as 0) -> the same
    shape of shares summing to 1 per row; a row with no sales gets a flat profile (1/12).
    """
    sales = np.clip(np.asarray(monthly_sales, dtype=np.float64), 0.0, None)
    if sales.shape[-1] != 12 or np.any(~np.isfinite(sales)):
        raise InvalidParameterError("monthly sales must be finite with 12 calendar months last")
    totals = sales.sum(axis=-1, keepdims=True)
    flat = np.full_like(sales, 1.0 / 12.0)
    out: FloatArray = np.divide(sales, totals, out=flat, where=totals > 0)
    return out


def expand_quarters(quarter_profile: FloatArray) -> FloatArray:
    """A 4-value quarterly profile -> 12 monthly weights (each quarter split evenly)."""
    q = np.asarray(quarter_profile, dtype=np.float64).reshape(-1)
    if q.size != 4:
        raise InvalidParameterError(f"a quarterly profile has 4 values, got {q.size}")
    out: FloatArray = np.repeat(q / 3.0, 3)
    return out
