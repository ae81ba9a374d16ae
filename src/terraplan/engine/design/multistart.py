"""The starts of the heuristic's multi-start: their band stages, and which go on.

Each start searches at loose bands first (its band schedule, :func:`band_schedule`), then
at the real bands. :class:`StartRun` holds one start's progress, so the heuristic can run
every start's loose stages before any final stage and, while no plan meets the bands, skip
the final stage of a start another one beat at the same loose bands
(:meth:`StartRun.dominated`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from terraplan.engine.design import lp_tighten
from terraplan.engine.design.construct import repair_contiguity
from terraplan.engine.design.problem import Prepared
from terraplan.engine.design.report import territory_centres
from terraplan.engine.design.search import SearchState
from terraplan.engine.design.sweeps import local_search
from terraplan.engine.design.tallies import excess, tallies_of


@dataclass
class StartRun:
    """One start: its band ``schedule`` (loose scales, then 1), its plan so far (``labels
    (n,)``, ``centres`` ``(k, 3)`` km or ``(k,)`` medoid units), the search states of its
    stages (``holder``, the last one live), whether the last search converged, and the
    penalty each loose stage ended with (band scale -> penalty, rounded to 12 digits)."""

    start: int
    schedule: tuple[float, ...]
    labels: np.ndarray[Any, Any]
    centres: np.ndarray[Any, Any]
    holder: list[SearchState] = field(default_factory=list)
    converged: bool = False
    loose: dict[float, float] = field(default_factory=dict)

    def dominated(self, runs: list[StartRun]) -> bool:
        """True when another of ``runs`` ended this start's last loose stage (the same band
        scale) with a lower penalty."""
        if len(self.schedule) < 2 or self.schedule[-2] not in self.loose:
            return False
        scale = self.schedule[-2]
        mine = self.loose[scale]
        return any(o is not self and o.loose.get(scale, mine) < mine for o in runs)


def run_stages(
    prep: Prepared,
    run: StartRun,
    scales: tuple[float, ...],
    *,
    deadline: float,
    max_sweeps: int,
    min_improvement: float,
    on_sweep: Callable[[int, str], bool],
    halted: Callable[[], bool],
) -> None:
    """Local searches of ``run`` at these band ``scales`` (tolerances times the scale, at
    most 0.95) in turn, each from the plan the previous one left, until ``halted()`` (the
    caller's callback stopped the run); a loose stage's final penalty goes to
    ``run.loose``. The first state of a start gives every empty territory a unit. The
    real-band stage after loose ones starts from the plan balanced by one transportation
    LP where :func:`lp_tighten.applies` (contiguity repaired)."""
    for scale in scales:
        if scale == 1.0 and run.holder and lp_tighten.applies(prep):
            _tighten(prep, run, deadline)
        stage = (
            prep
            if scale == 1.0
            else replace(prep, tolerance=np.minimum(prep.tolerance * scale, 0.95))
        )
        state = SearchState(stage, run.labels, run.centres)
        if not run.holder:
            state.fill_empty()
        run.holder.append(state)
        run.converged, _ = local_search(
            state,
            deadline=deadline,
            max_sweeps=max_sweeps,
            on_sweep=on_sweep,
            min_improvement=min_improvement,
        )
        run.labels, run.centres = state.labels, state.centres
        if scale != 1.0:
            run.loose[scale] = round(state.penalty, 12)
        if halted():
            break


def _tighten(prep: Prepared, run: StartRun, deadline: float) -> None:
    """``run``'s loose plan balanced at the real bands by :mod:`lp_tighten` (kept as it was
    when the LP finds nothing, or when its plan, contiguity repaired, misses the bands by
    more than the loose plan does)."""
    labels = lp_tighten.tighten_to_bands(prep, run.labels, deadline)
    if labels is None:
        return
    if prep.contiguous and prep.adjacency is not None:
        labels = repair_contiguity(prep, labels, territory_centres(prep, labels))
    if _band_excess(prep, labels) > _band_excess(prep, run.labels) + 1e-12:
        return  # the contiguity repair undid the balance: keep the loose plan
    run.labels, run.centres = labels, territory_centres(prep, labels)


def _band_excess(prep: Prepared, labels: np.ndarray[Any, Any]) -> float:
    """Total band excess of ``labels`` (:func:`tallies.excess`, 0 when all are within)."""
    return float(excess(prep, tallies_of(prep, labels)).sum())
