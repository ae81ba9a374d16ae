"""The trade-off curve of a design: compactness against balance or against disruption."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from terraplan.planning.design import DesignOutcome, design_territories
from terraplan.planning.unit_metrics import ACCOUNT_METRICS
from terraplan.services.design import UnitChoice, load_units, with_account_metrics
from terraplan.services.progress import Progress, no_progress
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


def design_tradeoff(
    db: Database,
    *,
    parameters: list[float],
    units: UnitChoice = "counties",
    n_territories: int | None = None,
    balance: Mapping[str, float] | None = None,
    contiguous: bool = False,
    from_plan: str | None = None,
    seed: int = 0,
    time_limit: float = 10.0,
    states: set[str] | None = None,
    progress: Progress = no_progress,
) -> list[dict[str, Any]]:
    """The non-dominated designs between compactness and a second goal (nothing is saved).

    With ``from_plan``: compactness against disruption, ``parameters`` being disruption budgets
    (unit counts, or shares below 1). Without: compactness against balance (the price of
    balance), ``parameters`` being tolerances applied to every balanced metric. Each point is
    a full design run of ``time_limit`` seconds.

    The curve is drawn from the designs within their balance bands: a design outside them
    (a budget too small to rebalance) dominates nothing and is listed after the curve with
    ``within_tolerance`` false, so that a reader sees which values cannot balance.
    """
    import logging

    from terraplan.engine.design.pareto import TradeoffPoint, non_dominated
    from terraplan.errors import InfeasibleError, InvalidParameterError

    if not parameters:
        raise InvalidParameterError(
            "a trade-off curve needs at least one value", details={"field": "tradeoff"}
        )
    with UnitOfWork(db) as uow:
        chosen = load_units(uow, units, states=states)
        names = list(balance or {"population": 0.05})
        if units != "accounts":
            chosen, _ = with_account_metrics(
                chosen, uow, [m for m in names if m in ACCOUNT_METRICS]
            )
        current = uow.plans.get(from_plan) if from_plan else None
    outcomes: dict[float, DesignOutcome] = {}
    points: list[TradeoffPoint] = []
    skipped: list[float] = []

    def _solve(parameter: float) -> tuple[DesignOutcome, float]:
        """The design at one value, and its second objective (units moved, or the largest
        deviation reached)."""
        if current is not None:
            budget = int(parameter) if parameter >= 1 else parameter
            outcome = design_territories(
                chosen,
                n_territories=n_territories,
                balance=dict(balance) if balance else None,
                contiguous=contiguous,
                current=current,
                max_moved=budget,
                seed=seed,
                time_limit=time_limit,
                method="heuristic",
            )
            disruption = outcome.report.disruption
            return outcome, float(disruption.units_moved) if disruption is not None else 0.0
        outcome = design_territories(
            chosen,
            n_territories=n_territories,
            balance=dict.fromkeys(names, parameter),
            contiguous=contiguous,
            seed=seed,
            time_limit=time_limit,
            method="heuristic",
        )
        return outcome, float(max(abs(x) for x in outcome.report.balance.max_abs_deviation))

    for parameter in dict.fromkeys(parameters):  # each value once, in the order given
        progress("trade-off curve", len(outcomes), len(parameters))
        try:
            outcome, second = _solve(parameter)
        except InfeasibleError as exc:  # this value has no design at all: the others may
            logging.getLogger(__name__).info("trade-off value %g skipped: %s", parameter, exc)
            skipped.append(parameter)
            continue
        outcomes[parameter] = outcome
        points.append(
            TradeoffPoint(
                parameter,
                float(outcome.report.compactness.weighted_inertia),
                second,
                outcome.labels,
            )
        )
    if not points:
        raise InfeasibleError(
            "no value of the trade-off curve gives a design",
            details={"constraints": ["every swept value"], "parameters": list(parameters)},
        )
    progress("trade-off curve", len(parameters), len(parameters))
    within = [p for p in points if outcomes[p.parameter].report.balance.all_within]
    outside = [p for p in points if not outcomes[p.parameter].report.balance.all_within]
    second_name = "units_moved" if current is not None else "max_deviation"
    return [
        {
            "parameter": p.parameter,
            "weighted_inertia": p.compactness,
            second_name: p.second,
            "within_tolerance": outcomes[p.parameter].report.balance.all_within,
            "contiguous": outcomes[p.parameter].report.contiguity.all_contiguous,
        }
        for p in (*non_dominated(within), *outside)
    ] + [
        {"parameter": value, "weighted_inertia": None, second_name: None,
         "within_tolerance": False, "contiguous": None}
        for value in skipped
    ]  # fmt: skip
