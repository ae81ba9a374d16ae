"""Fairness measures for targets: ratios, their spread and attainability.

Arrays are ``(n,)`` per territory (or rep), in currency. Undefined values (a ratio over a
zero or missing denominator) are NaN here and skipped by the spread measures; callers turn
them into explicit "not available" entries.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from terraplan.errors import InvalidParameterError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def safe_ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """``numerator / denominator`` ``(n,)`` with NaN where the denominator is <= 0 or NaN,
    or the ratio overflows (a denominator too close to 0 to mean anything)."""
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    ok = np.isfinite(den) & (den > 0) & np.isfinite(num)
    out: FloatArray = np.full(np.broadcast(num, den).shape, np.nan)
    with np.errstate(over="ignore"):
        np.divide(num, den, out=out, where=ok)
    out[~np.isfinite(out)] = np.nan
    return out


def coefficient_of_variation(values: FloatArray) -> float:
    """Population standard deviation / mean of the finite values; NaN if fewer than 2 or mean 0."""
    data = np.asarray(values, dtype=np.float64).reshape(-1)
    data = data[np.isfinite(data)]
    if data.size < 2:
        return math.nan
    scale = float(np.abs(data).max())
    if scale > 0:
        data = data / scale  # scale-free; keeps huge ratios from overflowing when squared
    mean = float(data.mean())
    if mean == 0:
        return math.nan
    return float(data.std() / abs(mean))


def gini(values: FloatArray) -> float:
    """Gini coefficient (0 = all equal, towards 1 = concentrated) of finite values >= 0.

    NaN if fewer than 2 finite values or they sum to 0. Negative values raise.
    """
    data = np.asarray(values, dtype=np.float64).reshape(-1)
    data = np.sort(data[np.isfinite(data)])
    if np.any(data < 0):
        raise InvalidParameterError("the Gini coefficient needs values >= 0")
    n = data.size
    if n and data[-1] > 0:
        data = data / data[-1]  # scale-free; keeps huge values from overflowing
    total = float(data.sum())
    if n < 2 or total == 0:
        return math.nan
    index = np.arange(1, n + 1, dtype=np.float64)
    return float((2.0 * (index * data).sum()) / (n * total) - (n + 1.0) / n)


def attainable(
    history: FloatArray,
    target: FloatArray,
    *,
    growth: float,
    threshold: float,
    allowance: float = 0.0,
) -> FloatArray:
    """1.0 where ``history * (1 + growth) >= target * threshold - allowance``, 0.0 where
    not, NaN where the history is missing (NaN). All arrays ``(n,)``; ``allowance`` (>= 0,
    currency) is what rounding may have added to a target, so that rounding noise does not
    decide whether it is within reach."""
    hist = np.asarray(history, dtype=np.float64)
    tgt = np.asarray(target, dtype=np.float64)
    if not (math.isfinite(threshold) and threshold > 0):
        raise InvalidParameterError(f"threshold must be > 0, got {threshold:g}")
    if not (math.isfinite(allowance) and allowance >= 0):
        raise InvalidParameterError(f"allowance must be >= 0, got {allowance:g}")
    reach = hist * (1.0 + growth) >= tgt * threshold - allowance
    out: FloatArray = np.where(np.isnan(hist), np.nan, reach.astype(np.float64))
    return out
