"""Frozen results of territory design and the evaluation of any labelling.

:func:`evaluate_design` measures a plan the same way whichever solver (or baseline)
produced it, so benchmarks compare like with like.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.spatial import ConvexHull, QhullError
from scipy.spatial.distance import pdist

from terraplan.engine.design.diagnosis import Diagnosis
from terraplan.engine.design.geometry import (
    EARTH_RADIUS_KM,
    cut_edges,
    equirectangular_km,
    haversine_km,
    remove_edges,
    territory_components,
    to_latlon,
)
from terraplan.engine.design.problem import DesignProblem, Prepared, prepare
from terraplan.errors import InvalidParameterError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def _frozen(arr: npt.ArrayLike) -> Any:
    out = np.array(arr, copy=True)
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class BalanceReport:
    """Per territory and metric: ``totals (k, m)``, ``targets (k, m)``, relative
    ``deviation (k, m)`` = total/target - 1, ``within (k, m)`` tolerance flags;
    ``max_abs_deviation (m,)``; ``tolerance (m,)``."""

    metric_names: tuple[str, ...]
    totals: FloatArray
    targets: FloatArray
    deviation: FloatArray
    within: BoolArray
    max_abs_deviation: FloatArray
    tolerance: FloatArray

    @property
    def all_within(self) -> bool:
        return bool(np.all(self.within))


@dataclass(frozen=True, eq=False)
class CompactnessReport:
    """``weighted_inertia``: sum of weight x squared distance to the territory centre;
    ``objective``: the solver's compactness term (weight x distance^power, or x
    ``centre_costs ** power``); ``total_distance_km``: sum of weight x distance to centre;
    ``diameters (k,)``; ``cut_edges``: adjacency edges between territories (None without a
    graph); ``centres (k, 2)`` lat/lon (``x, y`` with planar coords) or ``centre_units (k,)``.

    Distances are in ``distance_unit``: ``"km"`` (great-circle) for latitude/longitude; with
    ``coords_kind="planar"`` the unit of the coordinates (metres for EPSG:3035, despite the
    ``_km`` in the field's name, and the inertia in square metres); with a ``distances``
    matrix the matrix's unit."""

    weighted_inertia: float
    inertia: FloatArray
    objective: float
    total_distance_km: float
    diameters: FloatArray
    max_diameter: float
    cut_edges: int | None
    centres: FloatArray | None
    centre_units: IntArray | None
    distance_unit: str = "km"


@dataclass(frozen=True, eq=False)
class ContiguityReport:
    """``components (k,)``: connected pieces per territory on the graph the solvers used
    (None without a graph). When the adjacency given was in pieces, the engine joined them
    (see :class:`~terraplan.engine.design.problem.DesignProblem`): ``bridges (b, 2)`` lists
    the edges it added (``(unit apart, nearest unit)``; empty when none) and
    ``unbridged_components (k,)`` the pieces of each territory on the caller's own graph
    (None when nothing was added)."""

    components: IntArray | None
    bridges: IntArray = field(default_factory=lambda: _frozen(np.zeros((0, 2), dtype=np.int64)))
    unbridged_components: IntArray | None = None

    @property
    def all_contiguous(self) -> bool | None:
        return None if self.components is None else bool(np.all(self.components <= 1))


@dataclass(frozen=True, eq=False)
class DisruptionReport:
    """Against the current alignment: ``units_moved`` and ``share_moved (m,)`` of each metric."""

    units_moved: int
    share_moved: FloatArray
    moved: BoolArray


@dataclass(frozen=True, slots=True)
class TraceRow:
    """One progress record: step, phase name, objective, balance penalty, seconds."""

    step: int
    phase: str
    objective: float
    penalty: float
    seconds: float


@dataclass(frozen=True, eq=False)
class SolverStats:
    """How the solver ran. ``lower_bound``/``gap`` only from exact solvers.

    ``status``: ``converged``, ``sweep_limit`` (the search budget ran out first),
    ``time_limit``, ``stopped`` (by the callback), ``optimal``, ``trivial``…, with
    ``:balance``/``:some`` appended when the plan misses tolerance or contiguity.
    ``reproducible``: False when the clock cut the run, so that the same input and seed
    may give another plan on a faster or slower machine.
    """

    method: str
    seconds: float
    iterations: int
    objective: float
    converged: bool
    status: str
    lower_bound: float | None = None
    gap: float | None = None
    proven_optimal: bool = False
    starts: int = 1
    trace: tuple[TraceRow, ...] = ()
    reproducible: bool = True


@dataclass(frozen=True, eq=False)
class DesignReport:
    balance: BalanceReport
    compactness: CompactnessReport
    contiguity: ContiguityReport
    disruption: DisruptionReport | None


@dataclass(frozen=True, eq=False)
class DesignResult:
    """What a solver returns. ``labels (n,)`` territory index of each unit (read-only)."""

    labels: IntArray
    report: DesignReport
    diagnosis: Diagnosis
    stats: SolverStats
    extras: dict[str, object] = field(default_factory=dict)


def evaluate_design(
    problem: DesignProblem, labels: npt.ArrayLike, *, centre_units: npt.ArrayLike | None = None
) -> DesignReport:
    """Measure ``labels (n,)`` against ``problem`` (validated first)."""
    prep = prepare(problem)
    lab = np.asarray(labels)
    if lab.shape != (prep.n,) or lab.dtype.kind not in "iu" or np.any((lab < 0) | (lab >= prep.k)):
        raise InvalidParameterError(
            f"labels must be {prep.n} integers in [0, {prep.k - 1}]", details={"field": "labels"}
        )
    cu = None if centre_units is None else np.asarray(centre_units, dtype=np.int64)
    return evaluate_prepared(prep, lab.astype(np.int64), centre_units=cu)


def evaluate_prepared(
    prep: Prepared, labels: IntArray, *, centre_units: IntArray | None = None
) -> DesignReport:
    """:func:`evaluate_design` on an already validated problem (no checks)."""
    k, m = prep.k, prep.m
    totals = np.zeros((k, m))
    np.add.at(totals, labels, prep.weights)
    targets = prep.targets
    safe = np.where(targets > 0, targets, 1.0)
    deviation = np.where(targets > 0, totals / safe - 1.0, np.where(totals > 0, np.inf, 0.0))
    slack = 1e-9 * np.maximum(np.abs(targets), 1.0)
    within = (totals >= prep.lower - slack) & (totals <= prep.upper + slack)
    balance = BalanceReport(
        metric_names=prep.metric_names,
        totals=_frozen(totals),
        targets=_frozen(targets),
        deviation=_frozen(deviation),
        within=_frozen(within),
        max_abs_deviation=_frozen(np.max(np.abs(deviation), axis=0)),
        tolerance=_frozen(prep.tolerance),
    )
    compactness = _compactness(prep, labels, centre_units)
    components = None if prep.adjacency is None else territory_components(prep.adjacency, labels, k)
    contiguity = ContiguityReport(None if components is None else _frozen(components))
    if prep.bridges is not None and prep.adjacency is not None:
        given = remove_edges(prep.adjacency, prep.bridges)
        contiguity = replace(
            contiguity,
            bridges=_frozen(prep.bridges),
            unbridged_components=_frozen(territory_components(given, labels, k)),
        )
    disruption = None
    if prep.current is not None:
        moved = (prep.current >= 0) & (labels != prep.current)
        tot = prep.weights.sum(axis=0)
        share = prep.weights[moved].sum(axis=0) / np.where(tot > 0, tot, 1.0)
        disruption = DisruptionReport(int(moved.sum()), _frozen(share), _frozen(moved))
    return DesignReport(
        balance=balance,
        compactness=compactness,
        contiguity=contiguity,
        disruption=disruption,
    )


def territory_centres(
    prep: Prepared, labels: IntArray, units: IntArray | None = None
) -> FloatArray:
    """``(k, 3)`` centres in km: fixed points/units where fixed, weighted centroids elsewhere.

    ``units``: the units ``labels`` (then of the same length) places, when not all of them
    (the units of a current plan that have a territory)."""
    assert prep.xyz is not None
    k = prep.k
    xyz = prep.xyz if units is None else prep.xyz[units]
    w = prep.compact_w if units is None else prep.compact_w[units]
    sw = np.bincount(labels, weights=w, minlength=k)
    cnt = np.bincount(labels, minlength=k).astype(np.float64)
    sums = np.zeros((k, 3))
    np.add.at(sums, labels, xyz * w[:, None])
    plain = np.zeros((k, 3))
    np.add.at(plain, labels, xyz)
    centres = np.where(
        (sw > 0)[:, None],
        sums / np.where(sw > 0, sw, 1.0)[:, None],
        plain / np.maximum(cnt, 1.0)[:, None],
    )
    fixed = ~prep.free_centres
    if prep.centre_points is not None:
        centres[fixed] = prep.centre_points[fixed]
    elif prep.centre_units is not None:
        centres[fixed] = prep.xyz[prep.centre_units[fixed]]
    return centres


def medoids(prep: Prepared, labels: IntArray) -> IntArray:
    """``(k,)`` unit minimising the weighted distance^power sum of its territory (matrix mode)."""
    assert prep.distances is not None
    out = np.full(prep.k, -1, dtype=np.int64)
    if prep.centre_units is not None:
        out[:] = prep.centre_units
    for t in range(prep.k):
        if prep.centre_units is not None and not prep.free_centres[t]:
            continue
        members = np.flatnonzero(labels == t)
        if members.size == 0:
            continue
        sub = prep.distances[np.ix_(members, members)] ** prep.power
        out[t] = members[int(np.argmin(prep.compact_w[members] @ sub))]
    return out


def _compactness(
    prep: Prepared, labels: IntArray, centre_units: IntArray | None
) -> CompactnessReport:
    k, w = prep.k, prep.compact_w
    diam = np.zeros(k)
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(k + 1))
    if prep.xyz is not None:
        centres = territory_centres(prep, labels)
        diff = prep.xyz - centres[labels]
        sq = np.einsum("ij,ij->i", diff, diff)
        dist = (
            np.sqrt(sq) if prep.planar else haversine_km(prep.coords, to_latlon(centres)[labels])  # type: ignore[arg-type]
        )
        for t in range(k):
            members = order[bounds[t] : bounds[t + 1]]
            diam[t] = _diameter_km(prep, members)
        centre_latlon: FloatArray | None = centres[:, :2] if prep.planar else to_latlon(centres)
        cunits = None
    else:
        assert prep.distances is not None
        cunits = centre_units if centre_units is not None else medoids(prep, labels)
        safe = np.where(cunits[labels] >= 0, cunits[labels], 0)
        dist = prep.distances[np.arange(prep.n), safe]
        sq = dist**2
        for t in range(k):
            members = order[bounds[t] : bounds[t + 1]]
            if members.size > 1:
                diam[t] = float(prep.distances[np.ix_(members, members)].max())
        centre_latlon = None
    inertia = np.bincount(labels, weights=w * sq, minlength=k)
    objective = float(np.sum(w * (sq if prep.power == 2 else dist)))
    if prep.centre_costs is not None:
        objective = float(np.sum(w * prep.centre_costs[np.arange(prep.n), labels] ** prep.power))
    return CompactnessReport(
        weighted_inertia=float(inertia.sum()),
        inertia=_frozen(inertia),
        objective=objective,
        total_distance_km=float(np.sum(w * dist)),
        diameters=_frozen(diam),
        max_diameter=float(diam.max(initial=0.0)),
        cut_edges=None if prep.adjacency is None else cut_edges(prep.adjacency, labels),
        centres=None if centre_latlon is None else _frozen(centre_latlon),
        centre_units=None if cunits is None else _frozen(cunits),
        distance_unit="planar coordinate unit"
        if prep.planar and prep.xyz is not None
        else ("km" if prep.xyz is not None else "distance matrix unit"),
    )


def _diameter_km(prep: Prepared, members: IntArray) -> float:
    assert prep.xyz is not None and prep.coords is not None
    if members.size < 2:
        return 0.0
    if prep.planar:
        return float(pdist(prep.xyz[members, :2]).max())
    pts = prep.xyz[members]
    if members.size > 60:
        try:
            hull = ConvexHull(equirectangular_km(prep.coords[members]))
            pts = pts[hull.vertices]
        except QhullError:
            pass
    chord = float(pdist(pts).max())
    return float(2 * EARTH_RADIUS_KM * np.arcsin(min(1.0, chord / (2 * EARTH_RADIUS_KM))))
