"""Helpers shared by the reps-and-targets use cases (team sizing, matching, targets).

Which leaf territory an account falls in (re-exported from :mod:`.alignment`, the one
answer), a territory's ancestor at a hierarchy level,
whole months between dates, and parsing of CLI strings such as ``"120M"``, ``"8%"`` and
``"skill=1,distance=0.5"`` (each raising :class:`InvalidParameterError` with an example).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import date

from terraplan.domain import Plan, RepRole
from terraplan.errors import InvalidParameterError
from terraplan.planning.alignment import account_territories

__all__ = [
    "SELLING_ROLES",
    "account_territories",
    "ancestor_at_level",
    "months_between",
    "parse_amount",
    "parse_key_values",
    "parse_percent",
]

#: Roles that carry a selling workload (managers and directors do not).
SELLING_ROLES = frozenset(
    {RepRole.ACCOUNT_EXECUTIVE, RepRole.ACCOUNT_MANAGER, RepRole.SALES_DEVELOPMENT,
     RepRole.SPECIALIST}
)  # fmt: skip

# --------------------------------------------------------------------------- shared helpers

_SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9, "bn": 1e9}


def parse_amount(text: str | float, *, name: str = "amount") -> float:
    """``"120M"`` -> 120e6, ``"1.5k"`` -> 1500, ``"2,500,000"`` -> 2.5e6; numbers pass through."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        value = float(text)
    else:
        match = re.fullmatch(r"\s*([+-]?[\d,_]*\.?\d+)\s*(k|m|bn|b)?\s*", str(text), re.I)
        if match is None:
            raise InvalidParameterError(
                f"{name}: cannot read {text!r} as an amount (examples: 120M, 1.5k, 2500000)",
                details={"parameter": name, "value": str(text)},
            )
        value = float(match.group(1).replace(",", "").replace("_", ""))
        value *= _SUFFIX.get((match.group(2) or "").lower(), 1.0)
    if not math.isfinite(value):
        raise InvalidParameterError(f"{name} must be finite", details={"parameter": name})
    return value


def parse_percent(text: str | float, *, name: str = "rate") -> float:
    """``"8%"`` -> 0.08, ``"-2.5%"`` -> -0.025, ``"0.08"`` -> 0.08; numbers pass through."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        value = float(text)
    else:
        raw = str(text).strip()
        percent = raw.endswith("%")
        try:
            value = float(raw.rstrip("%").strip())
        except ValueError:
            raise InvalidParameterError(
                f"{name}: cannot read {text!r} as a rate (examples: 8%, 0.08, -2%)",
                details={"parameter": name, "value": raw},
            ) from None
        if percent:
            value /= 100.0
    if not math.isfinite(value):
        raise InvalidParameterError(f"{name} must be finite", details={"parameter": name})
    return value


def parse_key_values(
    text: str, *, name: str, allowed: Iterable[str] | None = None
) -> dict[str, str]:
    """``"skill=1,distance=0.5"`` -> ``{"skill": "1", "distance": "0.5"}`` (order kept).

    Keys may carry a dotted qualifier (``visits.Enterprise=24``); ``allowed`` lists the
    accepted keys (before the dot).
    """
    known = None if allowed is None else set(allowed)
    out: dict[str, str] = {}
    for raw in str(text).split(","):
        part = raw.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise InvalidParameterError(
                f"{name}: {part!r} is not key=value (example: {_example(known)})",
                details={"parameter": name, "value": text},
            )
        if known is not None and key.split(".", 1)[0] not in known:
            raise InvalidParameterError(
                f"{name}: unknown key {key!r}; use one of {sorted(known)}",
                details={"parameter": name, "key": key},
            )
        if key in out:
            raise InvalidParameterError(
                f"{name}: {key!r} is given twice", details={"parameter": name, "key": key}
            )
        out[key] = value
    if not out:
        raise InvalidParameterError(f"{name}: nothing given", details={"parameter": name})
    return out


def _example(known: set[str] | None) -> str:
    keys = sorted(known) if known else ["a", "b"]
    return ",".join(f"{k}=1" for k in keys[:2])


def ancestor_at_level(plan: Plan, level: str) -> dict[str, str]:
    """``territory id -> id of its ancestor (or itself) at hierarchy level ``level``"``;
    territories with no such ancestor map to their top-most ancestor."""
    by_id = {t.id: t for t in plan.territories}
    out: dict[str, str] = {}
    for territory in plan.territories:
        node = territory
        while node.level != level and node.parent_id is not None:
            node = by_id[node.parent_id]
        out[territory.id] = node.id
    return out


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` (0 if ``end`` is before ``start``)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(months, 0)
