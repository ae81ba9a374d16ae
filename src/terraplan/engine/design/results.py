"""What every solver returns: the :class:`DesignResult` of a labelling, its status suffix and
warnings when bands or contiguity were missed, and the diagnosis warning."""

from __future__ import annotations

import logging
import warnings
from dataclasses import replace
from typing import Any

import numpy as np

from terraplan.engine.design.diagnosis import Diagnosis
from terraplan.engine.design.problem import Prepared
from terraplan.engine.design.report import (
    DesignResult,
    SolverStats,
    evaluate_prepared,
    medoids,
)
from terraplan.errors import ConvergenceWarning, DataQualityWarning

logger = logging.getLogger(__name__)


def report_diagnosis(diagnosis: Diagnosis) -> None:
    """Warn (:class:`DataQualityWarning`) about what the diagnosis found (logged at INFO only:
    the warning is the one message; the planning layer turns it into a note)."""
    if diagnosis.issues:
        logger.info("territory design diagnosis: %s", diagnosis.summary())
        warnings.warn(f"territory design: {diagnosis.summary()}", DataQualityWarning, stacklevel=3)


def design_result(
    prep: Prepared, labels: np.ndarray[Any, Any], diagnosis: Diagnosis, stats: SolverStats
) -> DesignResult:
    """The result of any solver: the report of ``labels (n,)``, a status suffix
    (``:balance``, ``:some``) when the bands or contiguity were missed and a
    :class:`ConvergenceWarning` saying so (none for bands the diagnosis already proved out
    of reach: its warning said why), read-only labels."""
    cu = medoids(prep, labels) if prep.distances is not None else None
    report = evaluate_prepared(prep, labels, centre_units=cu)
    problems = []
    if not report.balance.all_within:
        problems.append("balance not within tolerance")
    if report.contiguity.all_contiguous is False:
        problems.append("some territory is not contiguous")
    told = [p for p in problems if diagnosis.feasible or not p.startswith("balance")]
    if told and stats.status != "stopped":
        warnings.warn(
            f"territory design: {', '.join(told)} ({stats.status})",
            ConvergenceWarning,
            stacklevel=3,
        )
    if problems and stats.status != "stopped":
        stats = replace(stats, status=stats.status + ":" + "+".join(p.split()[0] for p in problems))
    out = labels.astype(np.int64).copy()
    out.flags.writeable = False
    return DesignResult(labels=out, report=report, diagnosis=diagnosis, stats=stats)
