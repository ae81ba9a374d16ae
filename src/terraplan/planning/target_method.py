"""How targets are weighted: the history and potential shares of the basis, and whether
ramping reps carry less (``+capacity``), read from the ``--method`` text."""

from __future__ import annotations

import math
from dataclasses import dataclass

from terraplan.errors import InvalidParameterError
from terraplan.planning.reps_support import parse_amount, parse_key_values

__all__ = ["TargetMethod", "parse_method"]


@dataclass(frozen=True, slots=True)
class TargetMethod:
    """Weights of the history and potential shares, and whether ramping reps get less."""

    history: float = 0.6
    potential: float = 0.4
    capacity_adjusted: bool = False

    def __post_init__(self) -> None:
        for name in ("history", "potential"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidParameterError(f"method: {name} weight must be a number")
            if not math.isfinite(value) or value < 0:
                raise InvalidParameterError(f"method: {name} weight must be >= 0, got {value}")
        if self.history + self.potential <= 0:
            raise InvalidParameterError("method: history and potential weights are both 0")

    def __str__(self) -> str:
        text = f"blend:history={self.history:g},potential={self.potential:g}"
        return text + ("+capacity" if self.capacity_adjusted else "")


def parse_method(text: str | TargetMethod) -> TargetMethod:
    """``"history"``, ``"potential"``, ``"blend:history=0.6,potential=0.4"``, each with an
    optional ``"+capacity"`` suffix -> :class:`TargetMethod`."""
    if isinstance(text, TargetMethod):
        return text
    raw = str(text).strip().lower()
    capacity_adjusted = False
    if raw.endswith("+capacity"):
        raw, capacity_adjusted = raw[: -len("+capacity")].strip(), True
    if raw in ("history", "growth"):
        return TargetMethod(1.0, 0.0, capacity_adjusted)
    if raw == "potential":
        return TargetMethod(0.0, 1.0, capacity_adjusted)
    if raw == "capacity" or (raw == "" and capacity_adjusted):
        return TargetMethod(capacity_adjusted=True)
    if raw.startswith("blend:"):
        values = parse_key_values(raw[6:], name="method", allowed=("history", "potential"))
        weights = {k: parse_amount(v, name=f"method {k} weight") for k, v in values.items()}
        return TargetMethod(
            weights.get("history", 0.0), weights.get("potential", 0.0), capacity_adjusted
        )
    raise InvalidParameterError(
        f"method: cannot read {text!r}; use history, potential or "
        "blend:history=0.6,potential=0.4 (optionally followed by +capacity)",
        details={"parameter": "method", "value": str(text)},
    )
