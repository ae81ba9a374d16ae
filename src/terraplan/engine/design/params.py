"""Declarative validation of solver keyword parameters.

A solver lists its parameters as :class:`Param` rows; :func:`validate_params` checks the
values stored by ``__init__`` when ``solve`` runs (scikit-learn style: ``__init__`` only
stores, validation happens late and raises :class:`InvalidParameterError`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from terraplan.errors import InvalidParameterError

#: Default time limit in seconds of every design solver, the planning layer and the CLI.
#: A safety stop: solvers end on their own work budgets well before it on usual instances.
DEFAULT_TIME_LIMIT = 60.0


@dataclass(frozen=True, slots=True)
class Param:
    """One row of a parameter table.

    ``kinds`` are accepted Python types; ``low``/``high`` inclusive numeric bounds;
    ``choices`` allowed values; ``optional`` admits ``None``.
    """

    name: str
    kinds: tuple[type, ...]
    low: float | None = None
    high: float | None = None
    choices: tuple[object, ...] | None = None
    optional: bool = False
    check: Callable[[Any], bool] | None = None
    doc: str = ""


def validate_params(table: Sequence[Param], values: Mapping[str, Any]) -> None:
    """Raise :class:`InvalidParameterError` naming the first bad parameter in ``values``."""
    for row in table:
        value = values.get(row.name)
        if value is None:
            if row.optional:
                continue
            raise _bad(row, value, "is required")
        if isinstance(value, bool) and bool not in row.kinds:
            raise _bad(row, value, f"must be {_kind_names(row)}, got bool")
        if not isinstance(value, row.kinds):
            raise _bad(row, value, f"must be {_kind_names(row)}, got {type(value).__name__}")
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)
            if not math.isfinite(number) and not (math.isinf(number) and row.high is None):
                raise _bad(row, value, "must be finite")
            if row.low is not None and number < row.low:
                raise _bad(row, value, f"must be >= {row.low:g}")
            if row.high is not None and number > row.high:
                raise _bad(row, value, f"must be <= {row.high:g}")
        if row.choices is not None and value not in row.choices:
            raise _bad(row, value, f"must be one of {list(row.choices)}")
        if row.check is not None and not row.check(value):
            raise _bad(row, value, row.doc or "is not valid")


def is_random_state(value: object) -> bool:
    """True for ``None``, a non-negative int or a :class:`numpy.random.Generator`."""
    if value is None or isinstance(value, np.random.Generator):
        return True
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def make_rng(random_state: int | np.random.Generator | None) -> np.random.Generator:
    """A Generator from ``random_state`` (a Generator is used as given; None means seed 0)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(0 if random_state is None else random_state)


def _kind_names(row: Param) -> str:
    return " or ".join(k.__name__ for k in row.kinds)


def _bad(row: Param, value: object, reason: str) -> InvalidParameterError:
    return InvalidParameterError(
        f"parameter {row.name!r} {reason} (got {value!r})",
        details={"parameter": row.name, "reason": reason},
    )
