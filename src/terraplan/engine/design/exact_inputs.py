"""Validation of the array inputs of the exact design solvers.

Each helper checks one argument (shape, dtype, finiteness, range) and returns a float64,
int64 or bool array; none of them writes into the caller's array. Problems raise
:class:`InvalidParameterError` naming the parameter.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from terraplan.errors import InvalidParameterError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def bad(name: str, reason: str) -> InvalidParameterError:
    """An :class:`InvalidParameterError` for parameter ``name``."""
    return InvalidParameterError(
        f"parameter {name!r} {reason}", details={"parameter": name, "reason": reason}
    )


def float_array(
    value: npt.ArrayLike,
    name: str,
    shape: tuple[int | None, ...],
    *,
    allow_inf: bool = False,
    nonnegative: bool = False,
) -> FloatArray:
    """``value`` as float64 with ``shape`` (None = any length); NaN always rejected."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise bad(name, f"must be numeric ({exc})") from exc
    _check_shape(arr, name, shape)
    if np.isnan(arr).any():
        raise bad(name, "must not contain NaN")
    if not allow_inf and not np.isfinite(arr).all():
        raise bad(name, "must be finite")
    if nonnegative and (arr < 0).any():
        raise bad(name, "must be non-negative")
    return arr


def int_array(
    value: npt.ArrayLike, name: str, shape: tuple[int | None, ...], low: int, high: int
) -> IntArray:
    """``value`` as int64 with ``shape`` and every entry in ``[low, high)``."""
    arr = np.asarray(value)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise bad(name, f"must hold integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    _check_shape(arr, name, shape)
    if arr.size and (arr.min() < low or arr.max() >= high):
        raise bad(name, f"entries must lie in [{low}, {high - 1}]")
    return arr


def bool_array(value: npt.ArrayLike | None, name: str, shape: tuple[int, int]) -> BoolArray:
    """``value`` as a bool mask of ``shape`` (None: all True)."""
    if value is None:
        return np.ones(shape, dtype=np.bool_)
    arr = np.asarray(value)
    if arr.dtype != np.bool_:
        raise bad(name, f"must be a bool array, got dtype {arr.dtype}")
    _check_shape(arr, name, shape)
    return arr


def bounds_pair(
    lower: npt.ArrayLike, upper: npt.ArrayLike, k: int, m: int
) -> tuple[FloatArray, FloatArray]:
    """Balance windows ``(k, m)`` from ``(k, m)`` or ``(m,)`` inputs (broadcast to k rows)."""
    lo = np.asarray(float_array(lower, "lower", (None,) * np.ndim(lower), allow_inf=True))
    hi = np.asarray(float_array(upper, "upper", (None,) * np.ndim(upper), allow_inf=True))
    out = []
    for given, name in ((lo, "lower"), (hi, "upper")):
        arr = np.broadcast_to(given, (k, m)) if given.shape == (m,) else given
        if arr.shape != (k, m):
            raise bad(name, f"must have shape ({k}, {m}) or ({m},), got {given.shape}")
        out.append(np.array(arr, dtype=np.float64))
    if (out[0] == np.inf).any() or (out[1] == -np.inf).any():
        raise bad("lower", "must not be +inf (and upper not -inf)")
    if (out[0] > out[1]).any():
        raise bad("lower", "must not exceed upper")
    return out[0], out[1]


def is_number(value: object) -> bool:
    """True for Python and NumPy ints and floats (not bool)."""
    return not isinstance(value, bool | np.bool_) and isinstance(
        value, int | float | np.integer | np.floating
    )


def positive_seconds(value: float, name: str) -> float:
    """A finite positive number of seconds."""
    if not is_number(value):
        raise bad(name, "must be a number")
    if not math.isfinite(value) or value <= 0:
        raise bad(name, "must be finite and > 0")
    return float(value)


def gap_value(value: float) -> float:
    """A relative MIP gap in ``[0, 1)``."""
    if not is_number(value):
        raise bad("mip_gap", "must be a number")
    if not 0.0 <= float(value) < 1.0:
        raise bad("mip_gap", "must lie in [0, 1)")
    return float(value)


def distinct_units(
    value: npt.ArrayLike, name: str, n: int, size: int | None, *, allow_none: bool = False
) -> IntArray:
    """Distinct unit indices in ``[0, n)`` (``size`` entries when given); with
    ``allow_none`` entries may also be -1 (no unit), which may repeat."""
    low = -1 if allow_none else 0
    arr = int_array(value, name, (size,) if size is not None else (None,), low, n)
    units = arr[arr >= 0]
    if np.unique(units).shape[0] != units.shape[0]:
        raise bad(name, "must not repeat a unit")
    return arr


def _check_shape(arr: npt.NDArray[np.generic], name: str, shape: tuple[int | None, ...]) -> None:
    if arr.ndim != len(shape) or any(
        want is not None and got != want for got, want in zip(arr.shape, shape, strict=True)
    ):
        wanted = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        raise bad(name, f"must have shape {wanted}, got {arr.shape}")
