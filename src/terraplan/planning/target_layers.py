"""The company number and the bottom-up layer of targets: the company total in whole units,
its contradiction with the bottom-up figure, and adjustments per leaf territory (kept as their
own layer, optionally offset on the other territories)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from terraplan.domain import Territory
from terraplan.engine import quota_allocation as alloc
from terraplan.errors import DataError, InvalidParameterError
from terraplan.planning.reps_support import parse_amount

__all__ = [
    "Adjustment",
    "adjust",
    "company_total",
    "contradiction",
    "leaf_adjustments",
    "parse_adjustment",
]


@dataclass(frozen=True, slots=True)
class Adjustment:
    """A bottom-up change to one leaf territory's target (currency, + or -) and why."""

    territory_id: str
    amount: float
    reason: str


def parse_adjustment(text: str) -> Adjustment:
    """``"T1:+50k:renewal of a large contract"`` -> :class:`Adjustment` (territory, amount,
    reason; the reason may contain colons)."""
    parts = str(text).split(":", 2)
    if len(parts) != 3 or not parts[0].strip() or not parts[2].strip():
        raise InvalidParameterError(
            f"adjustment: {text!r} is not TERRITORY:AMOUNT:REASON (example: T1:+50k:renewal)",
            details={"parameter": "adjustments", "value": str(text)},
        )
    amount = parse_amount(parts[1].strip(), name=f"adjustment for {parts[0].strip()!r}")
    return Adjustment(parts[0].strip(), amount, parts[2].strip())


def leaf_adjustments(
    adjustments: Sequence[Adjustment], territories: Sequence[Territory], leaves: Collection[str]
) -> list[Adjustment]:
    """``adjustments`` with each territory, given by id or by name (any case and spacing, as
    other commands take it), as the id of one of ``leaves`` (the territories that get
    targets); a region, an overlay, an unknown or a shared name is refused saying which."""
    out = []
    for adj in adjustments:
        if not isinstance(adj, Adjustment):
            raise InvalidParameterError("adjustments must be Adjustment objects")
        out.append(replace(adj, territory_id=_leaf_id(adj.territory_id, territories, leaves)))
    return out


def _leaf_id(given: str, territories: Sequence[Territory], leaves: Collection[str]) -> str:
    def refuse(why: str) -> InvalidParameterError:
        return InvalidParameterError(
            f"adjustment for {given!r}: {why}",
            details={"parameter": "adjustments", "territory": given},
        )

    found = [t for t in territories if t.id == given]
    if not found:
        key = " ".join(str(given).split()).lower()
        found = [t for t in territories if " ".join(t.name.split()).lower() == key]
    if len(found) > 1:
        ids = ", ".join(t.id for t in found)
        raise refuse(f"{len(found)} territories are named {given!r} ({ids}): give the id")
    if not found:
        names = [t.name for t in territories if t.id in leaves]
        some = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        raise refuse(f"the plan has no territory of that name or id (its territories: {some})")
    territory = found[0]
    if territory.id in leaves:
        return territory.id
    children = [t.name for t in territories if t.parent_id == territory.id]
    if not children:  # a leaf that gets no target: under an overlay
        raise refuse(f"{territory.name} is an overlay territory, which gets no share of targets")
    some = ", ".join(children[:3]) + (", ..." if len(children) > 3 else "")
    raise refuse(
        f"{territory.name} is a {territory.level}, not a territory: adjust one of its "
        f"territories ({some})"
    )


def company_total(
    company_target: float | str | None,
    bottom_up: float,
    step: float,
    how: str,
    warnings: list[str],
    formula: str = "history x (1 + growth)",
) -> int:
    """The company number in whole ``step`` units: ``company_target``, else the bottom-up
    figure (``formula`` says how it was reached, for the note)."""
    if company_target is None:
        if bottom_up <= 0:
            raise InvalidParameterError(
                f"company_target is required: there is no sales history to build it bottom-up "
                f"(method {how})",
                details={"parameter": "company_target"},
            )
        units = round(bottom_up / step)
        warnings.append(
            f"no company target given; using the bottom-up figure {units * step:,.0f} "
            f"({formula}, rounded to {'whole units' if step == 1 else f'{step:,g}'})"
        )
        return int(units)
    amount = parse_amount(company_target, name="company_target")
    if not amount > 0:
        # a year's target of nothing is no plan: refused before any stored target is replaced
        raise InvalidParameterError(
            f"company_target must be more than 0, got {amount:,.0f}",
            details={"parameter": "company_target"},
        )
    return alloc.to_units(amount, step)


def contradiction(
    company: float,
    bottom_up: float,
    formula: str,
    tolerance: float,
    mode: str,
    warnings: list[str],
) -> None:
    """A warning (``mode`` "error": a DataError) when the company number is more than
    ``tolerance`` off the ``bottom_up`` figure the targets are built on (``formula``: how)."""
    if bottom_up <= 0:
        return
    gap = (company - bottom_up) / bottom_up
    if abs(gap) <= tolerance:
        return
    message = (
        f"company target {company:,.0f} is {abs(gap):.1%} {'above' if gap > 0 else 'below'} the "
        f"bottom-up sum {bottom_up:,.0f} ({formula}), beyond the "
        f"{tolerance:.0%} tolerance"
    )
    if mode == "error":
        raise DataError(message, details={"field": "company_target", "reason": "contradiction"})
    warnings.append(message)


def adjust(
    adjustments: Sequence[Adjustment],
    leaf_pos: dict[str, int],
    top_down: np.ndarray,
    step: float,
    rebalance: bool,
    total: int,
    warnings: list[str],
    names: Mapping[str, str] | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
    """The adjustment layer in units per leaf (``delta``), its offset on the other leaves
    with ``rebalance``, and the reasons; messages name a territory by ``names`` (id ->
    name) as the user knows it."""
    n = top_down.size
    names = names or {}
    delta = np.zeros(n, dtype=np.int64)
    reasons: list[str | None] = [None] * n
    for adj in adjustments:
        if not isinstance(adj, Adjustment):
            raise InvalidParameterError("adjustments must be Adjustment objects")
        k = leaf_pos.get(adj.territory_id)
        if k is None:
            raise InvalidParameterError(
                f"adjustment for {adj.territory_id!r}: not a leaf territory of the plan",
                details={"parameter": "adjustments", "territory_id": adj.territory_id},
            )
        if isinstance(adj.amount, bool) or not isinstance(adj.amount, int | float):
            raise InvalidParameterError(
                f"adjustment for {adj.territory_id!r}: amount must be a number",
                details={"parameter": "adjustments", "territory_id": adj.territory_id},
            )
        if not isinstance(adj.reason, str) or not adj.reason.strip():
            raise InvalidParameterError(
                f"adjustment for {adj.territory_id!r} needs a reason",
                details={"parameter": "adjustments", "territory_id": adj.territory_id},
            )
        sign = -1 if adj.amount < 0 else 1
        delta[k] += sign * alloc.to_units(abs(adj.amount), step)
        reasons[k] = adj.reason if reasons[k] is None else f"{reasons[k]}; {adj.reason}"
    below = np.flatnonzero(top_down + delta < 0)
    if below.size:
        k = int(below[0])
        tid = next(t for t, v in leaf_pos.items() if v == k)
        raise DataError(
            f"adjustment for {names.get(tid, tid)!r} ({delta[k] * step:,.0f}) exceeds its top-down target "
            f"{top_down[k] * step:,.0f}",
            details={"field": "adjustments", "territory_id": tid},
        )
    offset = np.zeros(n, dtype=np.int64)
    net = int(delta.sum())
    if net and rebalance:
        others = (delta == 0).astype(float) * top_down
        if net > others.sum():
            raise DataError(
                f"adjustments add {net * step:,.0f}, more than the {others.sum() * step:,.0f} "
                "the unadjusted territories hold; cannot rebalance",
                details={"field": "adjustments", "reason": "rebalance"},
            )
        if not others.any():
            raise DataError("every territory is adjusted; nothing is left to rebalance against")
        offset = -np.sign(net) * alloc.allocate_units(abs(net), others)
    elif net:
        warnings.append(
            f"bottom-up adjustments add {net * step:+,.0f}: the final total "
            f"{(total + net) * step:,.0f} differs from the company target {total * step:,.0f}"
        )
    return delta, offset, reasons
