"""Distances and unit graphs for territory design.

Coordinates are WGS84 ``(latitude, longitude)`` degrees. For compactness the engine works
on Earth-centred 3-D points in kilometres (:func:`to_xyz`): the straight (chord) distance
between two such points is within 0.5 % of the great-circle distance up to ~1,100 km, and
centroids and squared distances then update in O(1) per move. Reported distances use the
haversine formula (:func:`haversine_km`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import Delaunay, QhullError, cKDTree

from terraplan.errors import InvalidParameterError

EARTH_RADIUS_KM = 6371.0088

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def to_xyz(coords: FloatArray) -> FloatArray:
    """``(n, 2)`` latitude/longitude degrees -> ``(n, 3)`` Earth-centred points in km."""
    lat = np.radians(coords[:, 0])
    lon = np.radians(coords[:, 1])
    cos_lat = np.cos(lat)
    return EARTH_RADIUS_KM * np.column_stack(
        (cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat))
    )


def planar_xyz(coords: FloatArray) -> FloatArray:
    """``(n, 2)`` planar ``x, y`` (any projected unit) -> ``(n, 3)`` points ``(x, y, 0)``.

    The engine then measures straight-line distances in the caller's unit, with the same
    code paths as Earth-centred points.
    """
    return np.column_stack((coords[:, 0], coords[:, 1], np.zeros(coords.shape[0])))


def to_latlon(xyz: FloatArray) -> FloatArray:
    """``(n, 3)`` points (any length) -> ``(n, 2)`` latitude/longitude degrees of their direction."""
    norm = np.linalg.norm(xyz, axis=1)
    norm = np.where(norm > 0, norm, 1.0)
    lat = np.degrees(np.arcsin(np.clip(xyz[:, 2] / norm, -1.0, 1.0)))
    lon = np.degrees(np.arctan2(xyz[:, 1], xyz[:, 0]))
    return np.column_stack((lat, lon))


def haversine_km(a: FloatArray, b: FloatArray) -> FloatArray:
    """Great-circle distance in km between rows of ``a`` and ``b`` (both ``(n, 2)`` degrees)."""
    lat1, lon1 = np.radians(a[:, 0]), np.radians(a[:, 1])
    lat2, lon2 = np.radians(b[:, 0]), np.radians(b[:, 1])
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    out: FloatArray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return out


def build_neighbourhood(
    coords: FloatArray, *, method: str = "delaunay", k_neighbours: int = 6, planar: bool = False
) -> sparse.csr_matrix:
    """A symmetric, connected unit graph from point locations.

    ``coords (n, 2)``: latitude/longitude degrees, or planar ``x, y`` when ``planar``.
    ``method="delaunay"`` joins units whose Delaunay triangles share an edge (computed on a
    local equal-area-ish projection), ``"knn"`` joins each unit to its ``k_neighbours``
    nearest. Either graph is symmetrised, then :func:`connect_components` bridges pieces.
    Returns an ``(n, n)`` boolean CSR matrix.
    """
    n = coords.shape[0]
    xyz = planar_xyz(coords) if planar else to_xyz(coords)
    if n < 2:
        return sparse.csr_matrix((n, n), dtype=bool)
    rows: IntArray
    cols: IntArray
    if method == "delaunay" and n >= 4:
        plane = coords if planar else equirectangular_km(coords)
        try:
            tri = Delaunay(plane, qhull_options="QJ")
        except QhullError:
            return build_neighbourhood(
                coords, method="knn", k_neighbours=k_neighbours, planar=planar
            )
        simplices = tri.simplices.astype(np.int64)
        rows = np.concatenate([simplices[:, 0], simplices[:, 1], simplices[:, 2]])
        cols = np.concatenate([simplices[:, 1], simplices[:, 2], simplices[:, 0]])
    elif method in ("delaunay", "knn"):
        kk = min(k_neighbours, n - 1)
        _, idx = cKDTree(xyz).query(xyz, k=kk + 1)
        rows = np.repeat(np.arange(n, dtype=np.int64), kk)
        cols = np.asarray(idx[:, 1:], dtype=np.int64).ravel()
    else:
        raise InvalidParameterError(
            f"unknown neighbourhood method {method!r}", details={"parameter": "neighbourhood"}
        )
    graph = _symmetric(rows, cols, n)
    return connect_components(graph, xyz)


def connect_components(graph: sparse.csr_matrix, xyz: FloatArray | None) -> sparse.csr_matrix:
    """Join the connected components of ``graph`` by nearest-pair edges (needs ``xyz``).

    Components are chained to the largest one, each by the closest pair of units between it
    and everything already joined (:func:`bridge_edges`). Without ``xyz`` the graph is
    returned unchanged.
    """
    if xyz is None:
        return graph
    return add_edges(graph, bridge_edges(graph, xyz=xyz))


def bridge_edges(
    graph: sparse.csr_matrix, *, xyz: FloatArray | None = None, distances: FloatArray | None = None
) -> IntArray:
    """``(b, 2)`` edges ``(unit apart, nearest joined unit)`` that make ``graph`` connected.

    The largest component comes first; every other component, largest first, is joined by
    its closest pair of units to everything joined before it, measured on ``xyz (n, 3)``
    points or, without them, on ``distances (n, n)``. Empty when ``graph`` is connected or
    neither is given.
    """
    n_comp, comp = connected_components(graph, directed=False)
    if n_comp <= 1 or (xyz is None and distances is None):
        return np.zeros((0, 2), dtype=np.int64)
    order = _largest_first(comp)
    joined = np.flatnonzero(comp == order[0])
    edges: list[tuple[int, int]] = []
    for c in order[1:]:
        members = np.flatnonzero(comp == c)
        if xyz is not None:
            dist, idx = cKDTree(xyz[joined]).query(xyz[members], k=1)
            best = int(np.argmin(dist))
            edges.append((int(members[best]), int(joined[int(idx[best])])))
        else:
            assert distances is not None
            sub = distances[np.ix_(members, joined)]
            i, j = np.unravel_index(int(np.argmin(sub)), sub.shape)
            edges.append((int(members[i]), int(joined[j])))
        joined = np.concatenate([joined, members])
    return np.asarray(edges, dtype=np.int64).reshape(-1, 2)


def detached_units(graph: sparse.csr_matrix) -> IntArray:
    """``(d,)`` sorted units outside the largest connected component of ``graph``."""
    n_comp, comp = connected_components(graph, directed=False)
    if n_comp <= 1:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(comp != _largest_first(comp)[0]).astype(np.int64)


def _largest_first(comp: npt.NDArray[np.int32]) -> IntArray:
    """Component ids, the largest first (the order :func:`bridge_edges` joins them in)."""
    return np.argsort(-np.bincount(comp)).astype(np.int64)


def add_edges(graph: sparse.csr_matrix, edges: IntArray) -> sparse.csr_matrix:
    """``graph`` with the undirected ``edges (b, 2)`` added (boolean CSR)."""
    if edges.shape[0] == 0:
        return graph
    bridge = _symmetric(edges[:, 0], edges[:, 1], graph.shape[0])
    return (graph + bridge).astype(bool).tocsr()


def remove_edges(graph: sparse.csr_matrix, edges: IntArray) -> sparse.csr_matrix:
    """``graph`` without the undirected ``edges (b, 2)`` (boolean CSR)."""
    if edges.shape[0] == 0:
        return graph
    drop = _symmetric(edges[:, 0], edges[:, 1], graph.shape[0]).astype(np.int8)
    ones = sparse.csr_matrix(graph, dtype=np.int8)
    out = sparse.csr_matrix(ones - ones.multiply(drop))
    out.eliminate_zeros()
    return out.astype(bool)


def territory_components(adjacency: sparse.csr_matrix, labels: IntArray, k: int) -> IntArray:
    """``(k,)`` number of connected pieces of each territory (0 for an empty territory)."""
    coo = adjacency.tocoo()
    same = labels[coo.row] == labels[coo.col]
    n = labels.shape[0]
    inner = sparse.csr_matrix(
        (np.ones(int(same.sum()), dtype=bool), (coo.row[same], coo.col[same])), shape=(n, n)
    )
    _, comp = connected_components(inner, directed=False)
    pairs = np.unique(np.column_stack((labels, comp)), axis=0)
    return np.bincount(pairs[:, 0], minlength=k).astype(np.int64)


def cut_edges(adjacency: sparse.csr_matrix, labels: IntArray) -> int:
    """Number of undirected adjacency edges joining units of different territories."""
    coo = sparse.triu(adjacency, k=1).tocoo()
    return int(np.count_nonzero(labels[coo.row] != labels[coo.col]))


def symmetric_graph(adjacency: sparse.spmatrix) -> sparse.csr_matrix:
    """Boolean, symmetric, loop-free CSR copy of ``adjacency``."""
    a = sparse.csr_matrix(adjacency, dtype=bool)
    a = (a + a.T).tocsr()
    a.setdiag(False)
    a.eliminate_zeros()
    a.sort_indices()
    return a.astype(bool)


def _symmetric(rows: npt.ArrayLike, cols: npt.ArrayLike, n: int) -> sparse.csr_matrix:
    r = np.asarray(rows, dtype=np.int64)
    c = np.asarray(cols, dtype=np.int64)
    data = np.ones(r.shape[0], dtype=bool)
    graph = sparse.csr_matrix((data, (r, c)), shape=(n, n))
    return symmetric_graph(graph)


def equirectangular_km(coords: FloatArray) -> FloatArray:
    """``(n, 2)`` km: equirectangular projection of ``(n, 2)`` lat/lon degrees around their
    mean latitude (for Delaunay neighbourhoods and convex hulls)."""
    lat0 = np.radians(float(np.mean(coords[:, 0])))
    x = np.radians(coords[:, 1]) * np.cos(lat0) * EARTH_RADIUS_KM
    y = np.radians(coords[:, 0]) * EARTH_RADIUS_KM
    return np.column_stack((x, y))


def lattice(
    rows: int, cols: int, *, spacing: float = 0.1, origin: tuple[float, float] = (40.0, -100.0)
) -> tuple[FloatArray, sparse.csr_matrix]:
    """A synthetic grid of units: ``(rows*cols, 2)`` lat/lon points ``spacing`` degrees
    apart from ``origin`` and their rook (edge-sharing) adjacency as boolean CSR."""
    idx = np.arange(rows * cols).reshape(rows, cols)
    pairs = np.concatenate(
        [
            np.column_stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()]),
            np.column_stack([idx[:-1, :].ravel(), idx[1:, :].ravel()]),
        ]
    )
    lat, lon = np.meshgrid(
        origin[0] + spacing * np.arange(rows), origin[1] + spacing * np.arange(cols), indexing="ij"
    )
    coords = np.column_stack([lat.ravel(), lon.ravel()]).astype(np.float64)
    return coords, _symmetric(pairs[:, 0], pairs[:, 1], rows * cols)
