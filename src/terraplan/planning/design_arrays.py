"""Records to the engine's arrays: coordinates, the unit graph, territories, budgets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from terraplan.domain import Plan, RecordKind, Rep, TerritoryOwner, TerritoryType
from terraplan.errors import DataError, InvalidParameterError
from terraplan.planning.unit_metrics import unlocated_accounts_message


def unit_coords(units: Sequence[Any], kind: RecordKind) -> npt.NDArray[np.float64]:
    coords = np.zeros((len(units), 2))
    lacking = [u for u in units if u.latitude is None or u.longitude is None]
    if lacking:
        raise DataError(_no_location(lacking, kind), details={
            "row": lacking[0].id, "field": "latitude", "reason": "missing",
        })  # fmt: skip
    for i, unit in enumerate(units):
        coords[i] = (unit.latitude, unit.longitude)
    return coords


def _no_location(lacking: Sequence[Any], kind: RecordKind) -> str:
    """Every unit without coordinates, by name, and what to do: one fix, not one per run."""
    shown = ", ".join(
        f"{u.name} ({u.id})" if getattr(u, "name", None) else repr(u.id) for u in lacking[:5]
    ) + (", ..." if len(lacking) > 5 else "")
    if kind is RecordKind.ACCOUNT:
        # accounts abroad have a postal code, just not a US one: told apart, with the fix
        return unlocated_accounts_message(lacking)
    count = f"{len(lacking):,} units have" if len(lacking) != 1 else "1 unit has"
    return f"{count} no latitude/longitude: {shown}; give each unit its centre"


def unit_graph(units: Sequence[Any], pos: Mapping[str, int]) -> sparse.csr_matrix | None:
    rows, cols = [], []
    for i, unit in enumerate(units):
        for other in unit.neighbours:
            j = pos.get(other)
            if j is not None:
                rows.append(i)
                cols.append(j)
    if not rows:
        return None  # the engine builds a neighbourhood from the centroids
    n = len(units)
    graph = sparse.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=(n, n))
    return sparse.csr_matrix((graph + graph.T).astype(bool))


def territory_list(
    n_territories: int | None, centres: Sequence[Rep] | None, current: Plan | None
) -> tuple[list[str], list[str], list[tuple[TerritoryOwner, ...]], int]:
    if current is not None:
        leaves = [t for t in current.leaves() if t.type is TerritoryType.GEO]
        if not leaves:
            raise InvalidParameterError(
                "the current plan has no geo territory", details={"parameter": "current"}
            )
        if n_territories is not None and n_territories != len(leaves):
            raise InvalidParameterError(
                f"n_territories={n_territories} but the current plan has {len(leaves)} geo territories",
                details={"parameter": "n_territories"},
            )
        return (
            [t.id for t in leaves],
            [t.name for t in leaves],
            [t.owners for t in leaves],
            len(leaves),
        )
    if centres is not None:
        if n_territories is not None and n_territories != len(centres):
            raise InvalidParameterError(
                "n_territories and centres disagree", details={"parameter": "n_territories"}
            )
        for rep in centres:
            if rep.home_latitude is None or rep.home_longitude is None:
                raise DataError(
                    f"rep {rep.id!r} has no home base coordinates",
                    details={"row": rep.id, "field": "home_latitude", "reason": "missing"},
                )
        k = len(centres)
        owners: list[tuple[TerritoryOwner, ...]] = [(TerritoryOwner(rep.id),) for rep in centres]
    elif n_territories is not None and n_territories >= 1:
        k = n_territories
        owners = [tuple[TerritoryOwner, ...]() for _ in range(k)]
    else:
        raise InvalidParameterError(
            "give n_territories >= 1, centres or current", details={"parameter": "n_territories"}
        )
    width = max(2, len(str(k)))
    ids = [f"T{t + 1:0{width}d}" for t in range(k)]
    names = [
        f"Territory {t + 1:0{width}d}" if centres is None else f"{centres[t].name}"
        for t in range(k)
    ]
    return ids, names, owners, k


def unit_position(pos: Mapping[str, int], uid: str, field: str) -> int:
    if uid not in pos:
        raise InvalidParameterError(f"{field}: unknown unit {uid!r}", details={"parameter": field})
    return pos[uid]


def territory_index(index: Mapping[str, int], tid: str, field: str) -> int:
    if tid not in index:
        raise InvalidParameterError(
            f"{field}: unknown territory {tid!r}", details={"parameter": field}
        )
    return index[tid]


def metric_index(names: Sequence[str], name: str) -> int:
    if name not in names:
        raise InvalidParameterError(
            f"metric {name!r} is not one of the balance metrics {list(names)}",
            details={"parameter": "metric"},
        )
    return list(names).index(name)


def moved_budget(max_moved: float | None) -> tuple[int | None, float | None]:
    if max_moved is None:
        return None, None
    if isinstance(max_moved, bool) or not isinstance(max_moved, int | float) or max_moved < 0:
        raise InvalidParameterError(
            "max_moved must be a non-negative number", details={"parameter": "max_moved"}
        )
    if isinstance(max_moved, int):
        return max_moved, None
    if max_moved >= 1:
        return int(max_moved), None
    return None, float(max_moved)
