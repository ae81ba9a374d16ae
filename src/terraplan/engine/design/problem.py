"""The territory design problem as arrays, and its validation.

:class:`DesignProblem` holds only arrays and scalars (shapes below); :func:`prepare`
validates it once and returns a :class:`Prepared` problem (normalised copies, bands,
graph) that the solvers' private cores assume to be valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import sparse

from terraplan.engine.design.geometry import (
    add_edges,
    bridge_edges,
    build_neighbourhood,
    detached_units,
    planar_xyz,
    symmetric_graph,
    to_xyz,
)
from terraplan.errors import InvalidParameterError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

Priority = Literal["weighted", "lexicographic"]
CoordsKind = Literal["latlon", "planar"]


@dataclass(frozen=True, eq=False)
class DesignProblem:
    """A territory design (or realignment) problem.

    Shapes: ``n`` units, ``m`` metrics, ``k`` territories.

    - ``weights (n, m)``: non-negative metric values per unit (population, workload, ...).
    - ``n_territories`` k, or implied by ``targets``/``centres``.
    - ``targets (k, m)``: per-territory targets; default equal shares of the totals.
    - ``tolerance`` scalar or ``(m,)``: allowed relative deviation from the target (0.05).
    - ``lower`` / ``upper``: absolute balance windows in metric units, ``(k, m)``, ``(m,)`` or
      a scalar
      (asymmetric allowed, ``-inf``/``inf`` open); a side left None, and a ``NaN`` cell, is
      the relative band ``targets * (1 -/+ tolerance)``. With a window and no ``targets``,
      each target is the equal share moved into the window (the nearest end when it lies
      outside). A metric with no absolute cell keeps the oversize-unit remedy (see
      :mod:`~terraplan.engine.design.diagnosis`); a windowed metric does not.
    - ``coords (n, 2)``: latitude/longitude degrees (``coords_kind="latlon"``) or planar
      ``x, y`` in any projected unit (``coords_kind="planar"``, distances in that unit); or
      ``distances (n, n)``: any distance or travel-time matrix (then ``centres`` must be unit
      indices).
    - ``centre_costs (n, k)``: cost (travel time, distance) from each unit to each
      territory's fixed centre (a rep's base); every centre is then fixed and compactness is
      ``sum w_i * centre_costs[i, t] ** distance_power``. ``coords`` or ``distances`` are
      still needed for the unit graph and the report.
    - ``groups (n,)``: keep-together group id per unit (>= 0) or -1: the units of one group
      always share a territory (solved on the contracted problem, see
      :mod:`terraplan.engine.design.groups`).
    - ``adjacency (n, n)``: scipy.sparse unit graph; ``contiguous=True`` makes every
      territory one connected piece (a graph is built from ``coords`` when missing, with
      ``neighbourhood`` = ``"delaunay"`` or ``"knn"``); a given adjacency implies contiguity.
      A given graph in several pieces is joined to its largest piece, each other piece by
      one edge between its unit nearest to the joined units and that unit (the solvers need
      one connected graph); this is not silent: the diagnosis says so
      (``disconnected_adjacency``, with a :class:`~terraplan.errors.DataQualityWarning`),
      and the report lists the added edges (``report.contiguity.bridges``) and the pieces
      of each territory on the graph as given (``report.contiguity.unbridged_components``).
    - ``centres``: ``(k,)`` unit indices or ``(k, 2)`` lat/lon points; ``free_centres (k,)``
      bool says which may move (default: all free without ``centres``, all fixed with).
    - ``locked (n,)``: territory index a unit is pinned to, or -1.
    - ``allowed (n, k)``: False forbids a unit-territory pair.
    - ``current (n,)``: existing alignment (territory index or -1) for realignment.
    - ``compactness_metric``: column of ``weights`` weighting distances (None: unweighted);
      ``distance_power`` 1 (distance) or 2 (squared distance, inertia).
    - ``compactness_objective``: ``"inertia"`` (weighted squared distance to the centre,
      ``distance_power=2``), ``"distance"`` (weighted distance, the p-median,
      ``distance_power=1``), or ``"diameter"`` (the largest distance between two units of a
      territory, minimised over all territories, then the ``distance_power`` term among
      the plans of least diameter); None follows ``distance_power``.
    - ``disruption_metric``: column summed over moved units (None: count of moved units);
      ``disruption_weight`` its weight against compactness (see the solver docs);
      ``max_moved_units`` / ``max_moved_share`` budgets; ``priority`` ``"weighted"`` or
      ``"lexicographic"`` (balance, then least disruption, then compactness).
    - ``metric_names``: labels for reports.
    """

    weights: npt.ArrayLike
    n_territories: int | None = None
    targets: npt.ArrayLike | None = None
    tolerance: float | npt.ArrayLike = 0.05
    coords: npt.ArrayLike | None = None
    distances: npt.ArrayLike | None = None
    adjacency: sparse.spmatrix | sparse.sparray | None = None
    contiguous: bool = False
    neighbourhood: str = "delaunay"
    centres: npt.ArrayLike | None = None
    free_centres: npt.ArrayLike | None = None
    locked: npt.ArrayLike | None = None
    allowed: npt.ArrayLike | None = None
    current: npt.ArrayLike | None = None
    compactness_metric: int | None = None
    distance_power: int = 2
    disruption_metric: int | None = None
    disruption_weight: float = 0.0
    max_moved_units: int | None = None
    max_moved_share: float | None = None
    priority: Priority = "weighted"
    metric_names: tuple[str, ...] | None = None
    lower: npt.ArrayLike | None = None
    upper: npt.ArrayLike | None = None
    coords_kind: CoordsKind = "latlon"
    centre_costs: npt.ArrayLike | None = None
    groups: npt.ArrayLike | None = None
    compactness_objective: Literal["inertia", "distance", "diameter"] | None = None


@dataclass(frozen=True, eq=False)
class Prepared:
    """A validated problem: private copies, never the caller's arrays.

    ``xyz (n, 3)`` are Earth-centred km for latitude/longitude, or ``(x, y, 0)`` in the
    caller's unit when ``planar``; ``windows`` holds the absolute ``(lower, upper)``
    ``(k, m)`` windows when the caller gave any, ``NaN`` where a side is relative to
    ``targets`` (all of it when ``windows`` is None); ``centre_costs (n, k)`` unit-to-centre costs or None; ``groups (n,)``
    keep-together group ids (-1: none) or None. ``bridges (b, 2)``: the edges added to the
    caller's adjacency to join its pieces, ``detached (d,)`` the units outside its largest
    piece (both None when the graph given was connected, or built here). ``held (n, k)``
    and ``held_units (n, k)``: for a problem whose units are contracted keep-together
    groups (:mod:`~terraplan.engine.design.groups`), the disruption weight and the number
    of each unit's members that sit in each territory today (a group may be split); None
    otherwise, when ``current`` and ``disrupt_w`` say it (see
    :mod:`~terraplan.engine.design.disruption`).
    """

    n: int
    m: int
    k: int
    weights: FloatArray  # (n, m)
    targets: FloatArray  # (k, m)
    targets_given: bool
    tolerance: FloatArray  # (m,)
    xyz: FloatArray | None  # (n, 3) km
    coords: FloatArray | None  # (n, 2) degrees
    distances: FloatArray | None  # (n, n)
    adjacency: sparse.csr_matrix | None  # symmetric bool, used for contiguity
    contiguous: bool
    centre_units: IntArray | None  # (k,) or None
    centre_points: FloatArray | None  # (k, 3) km or None
    free_centres: BoolArray  # (k,)
    locked: IntArray  # (n,)
    allowed: BoolArray | None  # (n, k)
    current: IntArray | None  # (n,)
    compact_w: FloatArray  # (n,)
    power: int
    disrupt_w: FloatArray  # (n,)
    disruption_weight: float
    max_moved_units: int | None
    max_moved_share: float | None
    priority: str
    metric_names: tuple[str, ...]
    windows: tuple[FloatArray, FloatArray] | None = None
    planar: bool = False
    centre_costs: FloatArray | None = None
    groups: IntArray | None = None
    diameter: bool = False
    bridges: IntArray | None = None
    detached: IntArray | None = None
    held: FloatArray | None = None  # (n, k) disruption weight now in each territory
    held_units: FloatArray | None = None  # (n, k) members now in each territory

    @property
    def lower(self) -> FloatArray:
        """``(k, m)`` lowest allowed total per territory and metric."""
        relative = self.targets * (1.0 - self.tolerance)
        if self.windows is None:
            return relative
        return np.where(np.isnan(self.windows[0]), relative, self.windows[0])

    @property
    def upper(self) -> FloatArray:
        """``(k, m)`` highest allowed total per territory and metric (may be ``inf``)."""
        relative = self.targets * (1.0 + self.tolerance)
        if self.windows is None:
            return relative
        return np.where(np.isnan(self.windows[1]), relative, self.windows[1])

    def absolute_metrics(self) -> BoolArray:
        """``(m,)`` True for a metric with an absolute window on some territory or side."""
        if self.windows is None:
            return np.zeros(self.m, dtype=bool)
        fixed = ~np.isnan(self.windows[0]) | ~np.isnan(self.windows[1])
        return np.asarray(fixed.any(axis=0), dtype=bool)


def _bad(field: str, reason: str) -> InvalidParameterError:
    return InvalidParameterError(
        f"problem.{field}: {reason}", details={"field": field, "reason": reason}
    )


def _array(value: npt.ArrayLike, field: str, dtype: type, ndim: int) -> Any:
    try:
        arr: Any = np.array(value, dtype=dtype, copy=True)
    except (TypeError, ValueError) as exc:
        raise _bad(field, f"cannot be read as {dtype.__name__} array ({exc})") from None
    if arr.ndim != ndim:
        raise _bad(field, f"must have {ndim} dimension(s), got shape {arr.shape}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise _bad(field, "must be finite")
    return arr


def _int_labels(value: npt.ArrayLike, field: str, n: int, k: int) -> IntArray:
    arr = _array(value, field, float, 1)
    if arr.shape[0] != n or np.any(arr != np.round(arr)):
        raise _bad(field, f"must be {n} integer labels")
    labels: IntArray = arr.astype(np.int64)
    if np.any((labels < -1) | (labels >= k)):
        raise _bad(field, f"labels must be -1 or in [0, {k - 1}]")
    return labels


def prepare(problem: DesignProblem) -> Prepared:
    """Validate ``problem`` and return normalised private arrays.

    Raises :class:`InvalidParameterError` naming the offending field.
    """
    weights = _array(problem.weights, "weights", float, 2).astype(np.float64)
    n, m = weights.shape
    if n == 0 or m == 0:
        raise _bad("weights", "needs at least one unit and one metric")
    if np.any(weights < 0):
        raise _bad("weights", "must be non-negative")
    k = _resolve_k(problem, n)
    tol_in = _array(
        np.atleast_1d(np.asarray(problem.tolerance, dtype=object)), "tolerance", float, 1
    )
    if tol_in.shape[0] not in (1, m):
        raise _bad("tolerance", f"must be a scalar or {m} values")
    tol = np.broadcast_to(tol_in, (m,)).astype(np.float64)
    if np.any(tol < 0) or np.any(tol >= 1):
        raise _bad("tolerance", "must be in [0, 1)")
    totals = weights.sum(axis=0)
    if problem.targets is not None:
        targets = _array(problem.targets, "targets", float, 2)
        if targets.shape != (k, m) or np.any(targets < 0):
            raise _bad("targets", f"must be non-negative with shape ({k}, {m})")
        targets_given = True
    else:
        targets = np.tile(totals / k, (k, 1))
        targets_given = False
    windows = _windows(problem, targets, tol, k, m)
    if windows is not None and problem.targets is None:
        # fmax/fmin skip the NaN (relative) cells
        targets = np.fmin(np.fmax(targets, windows[0]), windows[1])
    if problem.coords_kind not in ("latlon", "planar"):
        raise _bad("coords_kind", "must be 'latlon' or 'planar'")
    planar = problem.coords_kind == "planar"
    coords = xyz = distances = None
    if problem.coords is not None:
        coords = _array(problem.coords, "coords", float, 2)
        if coords.shape != (n, 2):
            raise _bad("coords", f"must have shape ({n}, 2)")
        if not planar and (np.any(np.abs(coords[:, 0]) > 90) or np.any(np.abs(coords[:, 1]) > 180)):
            raise _bad("coords", "latitude/longitude out of range")
        xyz = planar_xyz(coords) if planar else to_xyz(coords)
    if problem.distances is not None:
        distances = _array(problem.distances, "distances", float, 2)
        if distances.shape != (n, n) or np.any(distances < 0):
            raise _bad("distances", f"must be non-negative with shape ({n}, {n})")
    if coords is None and distances is None:
        raise _bad("coords", "give coords or distances")
    if coords is not None and distances is not None:
        raise _bad("distances", "give coords or distances, not both")
    adjacency = bridges = detached = None
    if problem.adjacency is not None:
        if not sparse.issparse(problem.adjacency) or problem.adjacency.shape != (n, n):
            raise _bad("adjacency", f"must be a scipy.sparse ({n}, {n}) matrix")
        adjacency = symmetric_graph(problem.adjacency)
        # the solvers need one connected graph: join the pieces, and keep what was added
        # (the diagnosis and the report say so)
        bridges = bridge_edges(adjacency, xyz=xyz, distances=distances)
        if bridges.shape[0]:
            detached = detached_units(adjacency)
            adjacency = add_edges(adjacency, bridges)
        else:
            bridges = None
    elif problem.contiguous:
        if coords is None:
            raise _bad("adjacency", "contiguity with a distance matrix needs an adjacency")
        adjacency = build_neighbourhood(coords, method=problem.neighbourhood, planar=planar)
    centre_units, centre_points, free = _centres(problem, n, k, xyz, planar)
    centre_costs = None
    if problem.centre_costs is not None:
        centre_costs = _array(problem.centre_costs, "centre_costs", float, 2)
        if centre_costs.shape != (n, k) or np.any(centre_costs < 0):
            raise _bad("centre_costs", f"must be non-negative with shape ({n}, {k})")
        if problem.free_centres is not None and np.any(problem.free_centres):
            raise _bad("free_centres", "centre_costs fix every centre")
        free = np.zeros(k, dtype=bool)
    groups = None
    if problem.groups is not None:
        groups = _array(problem.groups, "groups", float, 1)
        if groups.shape != (n,) or np.any(groups != np.round(groups)) or np.any(groups < -1):
            raise _bad("groups", f"must be {n} integer group ids (>= 0) or -1")
        groups = groups.astype(np.int64)
    locked = (
        _int_labels(problem.locked, "locked", n, k)
        if problem.locked is not None
        else np.full(n, -1, dtype=np.int64)
    )
    allowed = None
    if problem.allowed is not None:
        allowed = _array(problem.allowed, "allowed", bool, 2).astype(bool)
        if allowed.shape != (n, k):
            raise _bad("allowed", f"must have shape ({n}, {k})")
    current = _int_labels(problem.current, "current", n, k) if problem.current is not None else None
    compact_w = _column(weights, problem.compactness_metric, "compactness_metric")
    disrupt_w = _column(weights, problem.disruption_metric, "disruption_metric")
    if problem.distance_power not in (1, 2):
        raise _bad("distance_power", "must be 1 or 2")
    power = {"inertia": 2, "distance": 1}.get(
        str(problem.compactness_objective), int(problem.distance_power)
    )
    if problem.compactness_objective not in (None, "inertia", "distance", "diameter"):
        raise _bad("compactness_objective", "must be 'inertia', 'distance', 'diameter' or None")
    if not np.isfinite(problem.disruption_weight) or problem.disruption_weight < 0:
        raise _bad("disruption_weight", "must be >= 0")
    if problem.max_moved_units is not None and problem.max_moved_units < 0:
        raise _bad("max_moved_units", "must be >= 0")
    if problem.max_moved_share is not None and not 0 <= problem.max_moved_share <= 1:
        raise _bad("max_moved_share", "must be in [0, 1]")
    if problem.priority not in ("weighted", "lexicographic"):
        raise _bad("priority", "must be 'weighted' or 'lexicographic'")
    names = problem.metric_names or tuple(f"metric_{j}" for j in range(m))
    if len(names) != m:
        raise _bad("metric_names", f"needs {m} names")
    return Prepared(
        n=n, m=m, k=k, weights=weights, targets=targets.astype(np.float64),
        targets_given=targets_given, tolerance=tol.astype(np.float64), xyz=xyz, coords=coords,
        distances=distances, adjacency=adjacency, contiguous=bool(problem.contiguous) or adjacency is not None,
        centre_units=centre_units, centre_points=centre_points, free_centres=free,
        locked=locked, allowed=allowed, current=current, compact_w=compact_w,
        power=power, disrupt_w=disrupt_w,
        disruption_weight=float(problem.disruption_weight),
        max_moved_units=problem.max_moved_units, max_moved_share=problem.max_moved_share,
        priority=problem.priority, metric_names=tuple(names), windows=windows, planar=planar,
        centre_costs=centre_costs, groups=groups,
        diameter=problem.compactness_objective == "diameter",
        bridges=bridges, detached=detached,
    )  # fmt: skip


def _resolve_k(problem: DesignProblem, n: int) -> int:
    candidates: list[tuple[str, int]] = []
    if problem.n_territories is not None:
        if isinstance(problem.n_territories, bool) or not isinstance(
            problem.n_territories, int | np.integer
        ):
            raise _bad("n_territories", "must be an integer")
        candidates.append(("n_territories", int(problem.n_territories)))
    if problem.targets is not None:
        candidates.append(("targets rows", int(np.shape(problem.targets)[0])))
    if problem.centres is not None:
        candidates.append(("centres", int(np.shape(problem.centres)[0])))
    if problem.centre_costs is not None and np.ndim(problem.centre_costs) == 2:
        shape = tuple(int(v) for v in np.shape(problem.centre_costs))
        if shape[0] != n:
            swapped = (
                ", which looks transposed (k, n): pass centre_costs.T" if shape[1] == n else ""
            )
            raise _bad(
                "centre_costs",
                f"must have shape (n_units, k) = ({n}, k), one row per unit, got {shape}{swapped}",
            )
        candidates.append(("centre_costs columns", shape[1]))
    if not candidates:
        raise _bad("n_territories", "give n_territories, targets or centres")
    if len({value for _, value in candidates}) > 1:
        said = ", ".join(f"{name} {value}" for name, value in candidates)
        raise _bad("n_territories", f"the number of territories disagrees: {said}")
    k = candidates[0][1]
    if k < 1:
        raise _bad("n_territories", "must be >= 1")
    if k > n:
        raise _bad(
            "n_territories",
            f"{k:,} territories cannot be filled by {n:,} units (each territory needs at "
            f"least one unit): design at most {n:,}",
        )
    return k


def _windows(
    problem: DesignProblem, targets: FloatArray, tol: FloatArray, k: int, m: int
) -> tuple[FloatArray, FloatArray] | None:
    """Absolute ``(lower, upper)`` ``(k, m)`` windows (``NaN``: the relative band), or None
    when no cell is absolute."""
    if problem.lower is None and problem.upper is None:
        return None
    sides = []
    for name, given in (("lower", problem.lower), ("upper", problem.upper)):
        if given is None:
            sides.append(np.full((k, m), np.nan))
            continue
        try:
            arr = np.array(given, dtype=np.float64, copy=True)
        except (TypeError, ValueError) as exc:
            raise _bad(name, f"cannot be read as float array ({exc})") from None
        if arr.ndim == 0 or arr.shape == (m,):
            arr = np.tile(np.broadcast_to(arr, (m,)), (k, 1))
        if arr.shape != (k, m):
            raise _bad(name, f"must have shape ({k}, {m}) or ({m},)")
        sides.append(arr)
    low, high = sides
    if np.all(np.isnan(low)) and np.all(np.isnan(high)):
        return None
    if np.any(low == np.inf) or np.any(high == -np.inf):
        raise _bad("lower", "lower must not be +inf and upper not -inf")
    filled_low = np.where(np.isnan(low), targets * (1.0 - tol), low)
    filled_high = np.where(np.isnan(high), targets * (1.0 + tol), high)
    if np.any(filled_low > filled_high):
        j, q = (int(v) for v in np.argwhere(filled_low > filled_high)[0])
        raise _bad(
            "lower",
            f"territory {j}, metric {q}: lower {filled_low[j, q]:g} > upper {filled_high[j, q]:g}",
        )
    return np.where(np.isnan(low), np.nan, np.maximum(low, 0.0)), high


def _centres(
    problem: DesignProblem, n: int, k: int, xyz: FloatArray | None, planar: bool = False
) -> tuple[IntArray | None, FloatArray | None, BoolArray]:
    if problem.centres is None:
        if problem.centre_costs is not None:
            return None, None, np.zeros(k, dtype=bool)
        if problem.free_centres is not None and not np.all(problem.free_centres):
            raise _bad("free_centres", "fixed centres need centres")
        return None, None, np.ones(k, dtype=bool)
    arr = np.asarray(problem.centres)
    units = points = None
    if arr.ndim == 1:
        units = _array(arr, "centres", float, 1)
        if np.any(units != np.round(units)) or np.any((units < 0) | (units >= n)):
            raise _bad("centres", f"unit indices must be integers in [0, {n - 1}]")
        units = units.astype(np.int64)
        if np.unique(units).shape[0] != k:
            raise _bad("centres", "centre units must be distinct")
    elif arr.ndim == 2 and arr.shape[1] == 2:
        if xyz is None:
            raise _bad("centres", "centre points need coords; with distances give unit indices")
        pts = _array(arr, "centres", float, 2)
        points = planar_xyz(pts) if planar else to_xyz(pts)
    else:
        raise _bad("centres", "must be (k,) unit indices or (k, 2) latitude/longitude")
    free = (
        np.zeros(k, dtype=bool)
        if problem.free_centres is None
        else _array(problem.free_centres, "free_centres", bool, 1).astype(bool)
    )
    if free.shape != (k,):
        raise _bad("free_centres", f"must have shape ({k},)")
    return units, points, free


def _column(weights: FloatArray, column: int | None, field: str) -> FloatArray:
    if column is None:
        return np.ones(weights.shape[0], dtype=np.float64)
    if isinstance(column, bool) or not isinstance(column, int | np.integer):
        raise _bad(field, "must be a metric column index or None")
    if not 0 <= column < weights.shape[1]:
        raise _bad(field, f"must be in [0, {weights.shape[1] - 1}]")
    return weights[:, int(column)].copy()
