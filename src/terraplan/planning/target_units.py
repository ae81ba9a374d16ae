"""The rounding unit of targets. Targets are whole multiples of a unit so that every level
sums exactly; the unit must stay small beside the figures or rounding eats the growth asked
for (630 rounded to whole 1,000s is 1,000). Unless one is given, the unit follows the
figures: the largest of 1,000, 100, 10 and 1 that is at most 1 % of the smallest target
(a territory's, a rep's, a month's) and divides the company number and the adjustments. A
unit given that moves a target by more than 1 % is said in a note."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from terraplan.engine import quota_allocation as alloc
from terraplan.errors import DataError, InvalidParameterError
from terraplan.planning.target_report import rollup

__all__ = [
    "AUTO_UNITS",
    "MAX_SHARE",
    "Split",
    "choose_unit",
    "given_unit_note",
    "rounding_note",
    "split_in",
]

#: Units the automatic choice picks from, largest first (1,000 was the fixed default).
AUTO_UNITS = (1000.0, 100.0, 10.0, 1.0)
#: Largest share of a target that rounding may move it by without a note.
MAX_SHARE = 0.01


@dataclass(frozen=True, slots=True)
class Split:
    """The company number split in whole ``step`` units: the tree, the adjustment layer,
    the leaves' months and each rep's months."""

    step: float
    total: int
    tree: alloc.TreeAllocation
    delta: np.ndarray
    offset: np.ndarray
    reasons: list[str | None]
    leaf_months: np.ndarray
    node_months: np.ndarray
    rep_units: dict[str, np.ndarray]

    def figures(
        self, names: Sequence[str], leaves: Sequence[int], months: Sequence[str],
        rep_names: Mapping[str, str],
    ) -> tuple[list[str], np.ndarray]:  # fmt: skip
        """Every target in currency, labelled: each territory's and rep's for the period,
        each leaf's and rep's months (the same order for every split of one plan)."""
        labels: list[str] = list(names)
        values: list[float] = [float(v) for v in self.node_months.sum(axis=1)]
        for k, i in enumerate(leaves):
            labels += [f"{names[i]} {m}" for m in months]
            values += [float(v) for v in self.leaf_months[k]]
        for rep_id in sorted(self.rep_units):
            name = rep_names.get(rep_id, rep_id)
            labels += [name, *(f"{name} {m}" for m in months)]
            units = self.rep_units[rep_id]
            values += [float(units.sum()), *(float(v) for v in units)]
        return labels, np.array(values) * self.step


def split_in(
    step: float,
    parent: np.ndarray,
    weight: np.ndarray,
    leaves: Sequence[int],
    total_of: Callable[[float, list[str]], int],
    adjust_of: Callable[
        [np.ndarray, float, int, list[str]], tuple[np.ndarray, np.ndarray, list[str | None]]
    ],
    months_of: Callable[[np.ndarray], tuple[np.ndarray, dict[str, np.ndarray]]],
    warnings: list[str],
) -> Split:
    """The whole split in ``step`` units (``total_of``, ``adjust_of`` and ``months_of`` are
    the plan's company number, adjustment layer and month and rep split for a unit)."""
    total = total_of(step, warnings)
    tree = alloc.allocate_tree(total, parent, weight)
    top_down = tree.units[list(leaves)]
    delta, offset, reasons = adjust_of(top_down, step, total, warnings)
    leaf_months, rep_units = months_of(top_down + delta + offset)
    node_months = rollup(parent, tree.depth, leaves, leaf_months)
    return Split(step, total, tree, delta, offset, reasons, leaf_months, node_months, rep_units)


def choose_unit(figures: np.ndarray, fixed: Iterable[float]) -> float:
    """The largest of :data:`AUTO_UNITS` at most :data:`MAX_SHARE` of the smallest positive
    target in ``figures`` (currency, split in whole currency units) that divides every
    amount in ``fixed`` (the company number, the adjustments); else 1."""
    positive = figures[figures > 0]
    limit = MAX_SHARE * float(positive.min()) if positive.size else math.inf
    amounts = [abs(float(a)) for a in fixed]
    for unit in AUTO_UNITS:
        if unit <= limit and all(_multiple(a, unit) for a in amounts):
            return unit
    return AUTO_UNITS[-1]


def rounding_note(
    step: float, labels: Sequence[str], fine: np.ndarray, coarse: np.ndarray
) -> str | None:
    """A note when whole ``step`` units (``coarse``) move a target by more than
    :data:`MAX_SHARE` of its figure in whole currency units (``fine``)."""
    if fine.shape != coarse.shape:
        raise InvalidParameterError("the two splits must hold the same targets")
    shown = fine > 0
    if not shown.any():
        return None
    moved = np.zeros(fine.shape)
    moved[shown] = np.abs(coarse[shown] - fine[shown]) / fine[shown]
    worst = int(np.argmax(moved))
    if moved[worst] <= MAX_SHARE:
        return None
    return (
        f"rounding to whole {step:,g}s moves targets by up to {moved[worst]:.0%} (e.g. "
        f"{labels[worst]}: {coarse[worst]:,.0f} instead of {fine[worst]:,.0f}), so they no "
        "longer follow the growth and basis asked for; use a smaller rounding unit, or none "
        "to let it follow the figures"
    )


def given_unit_note(
    split: Callable[[float, list[str]], Split], coarse: Split, labels: tuple[Any, ...]
) -> str | None:
    """:func:`rounding_note` on a unit given: ``coarse`` against ``split`` in whole currency
    units (no note for units up to 1, or when that split fails)."""
    if coarse.step <= 1:
        return None
    try:
        fine = split(1.0, [])
    except (InvalidParameterError, DataError):
        return None
    names, fine_values = fine.figures(*labels)
    return rounding_note(coarse.step, names, fine_values, coarse.figures(*labels)[1])


def _multiple(amount: float, unit: float) -> bool:
    return abs(round(amount / unit) * unit - amount) <= 1e-9 * max(1.0, amount)
