"""Checks of a file against the records already stored: cycles, and geo units changing kind.

**Cycles.** An account's parent, a rep's manager and a geo unit's parent name a record of the
same kind. A row naming itself is refused by :mod:`terraplan.io.kind_checks`; here a chain
of any length that comes back to where it started is refused too (``A -> B -> C -> A``),
whether it runs through the file's rows alone or through stored records the file does not
change (the file makes ``ACC-1``'s parent ``ACC-2``, whose stored parent is ``ACC-1``). Each
row on the cycle is an error naming the whole cycle, its rows and its stored records. A
family without a root has no top account (designs keep families together from their root)
and a management chain without a top.

**Geo unit kinds.** A geo unit id is one key across kinds (a county's FIPS code, a ZIP, a
custom area's code). A row whose id is stored as a unit of another kind would replace that
unit (German postcode ``01067`` is the FIPS code of Henry County, AL): its polygon, centroid
and name, under the alignments of the plans that hold it. Such a row is refused, naming the
stored unit.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from terraplan.io.checker import Checker
from terraplan.io.readers import ROW
from terraplan.io.report import short

#: The field of each kind that names a record of the same kind, and what it is called.
SELF_REFERENCES: Mapping[str, tuple[str, str, str]] = {
    "accounts": ("parent_id", "parents", "an account cannot be its own ancestor"),
    "reps": ("manager_id", "managers", "a rep cannot manage their own manager"),
    "geo_units": ("parent_id", "parents", "a unit cannot lie inside itself"),
}
#: Records named in a cycle's description at most.
CYCLE_SHOWN = 8


def check_cycles(checker: Checker, stored_links: Mapping[str, str] | None) -> None:
    """Refuse the rows on a cycle of ``parent_id``/``manager_id`` (see the module docstring).

    ``stored_links``: stored record id -> the id its field names (records without one left
    out); the file's accepted rows override them.
    """
    entry = SELF_REFERENCES.get(checker.spec.kind)
    if entry is None or not checker.has(entry[0]) or not checker.has("id"):
        return
    field, plural, rule = entry
    bad = checker.error_rows().implode()
    rows = checker.ctx.filter(pl.col("id").is_not_null() & ~pl.col(ROW).is_in(bad))
    links = dict(stored_links or {})
    row_of: dict[str, int] = {}
    for record, parent, row in rows.select("id", field, ROW).iter_rows():
        row_of[record] = row
        if parent is None:
            links.pop(record, None)
        else:
            links[record] = parent
    cycles = _cycles(links, row_of)
    if not cycles:
        return
    reasons: dict[int, str] = {}
    for cycle in cycles:
        shown = [
            f"{short(i)} (row {row_of[i]})" if i in row_of else f"{short(i)} (stored)"
            for i in cycle[:CYCLE_SHOWN]
        ]
        more = f" -> … ({len(cycle) - CYCLE_SHOWN} more)" if len(cycle) > CYCLE_SHOWN else ""
        text = f"a cycle of {plural}: {' -> '.join(shown)}{more} -> {short(cycle[0])}; {rule}"
        for record in cycle:
            if record in row_of:
                reasons[row_of[record]] = text
    checker.add(
        pl.col(ROW).is_in(list(reasons)),
        field,
        pl.col(ROW).replace_strict(reasons, default=None, return_dtype=pl.String),
    )


def _cycles(links: Mapping[str, str], starts: Mapping[str, int]) -> list[list[str]]:
    """The cycles of the graph ``links`` (each record names at most one other) that hold a
    record of ``starts``; each once, from the record reached first. O(records)."""
    done: set[str] = set()
    cycles: list[list[str]] = []
    for start in starts:
        path: list[str] = []
        on_path: dict[str, int] = {}
        node: str | None = start
        while node is not None and node not in done and node not in on_path:
            on_path[node] = len(path)
            path.append(node)
            node = links.get(node)
        if node is not None and node in on_path:
            cycles.append(path[on_path[node] :])
        done.update(path)
    return cycles


def check_geo_kinds(checker: Checker, stored_units: Mapping[str, tuple[str, str]] | None) -> None:
    """Refuse a geo unit row whose id is stored as a unit of another kind.

    ``stored_units``: id -> (kind, name) of the stored units (those the file names suffice).
    """
    if checker.spec.kind != "geo_units" or not stored_units or not checker.has("id"):
        return
    if "kind" not in checker.ctx.columns:
        return
    ids = checker.ctx.filter(pl.col("id").is_not_null())["id"].to_list()
    clashes: dict[str, str] = {}
    for record in ids:
        stored = stored_units.get(record)
        if stored is not None:
            clashes[record] = stored[0]
    if not clashes:
        return
    kinds = pl.col("id").replace_strict(clashes, default=None, return_dtype=pl.String)
    reasons = {
        record: (
            f"id {short(record)!r} is stored as {kind} {short(stored_units[record][1])}:"
            " a unit of another kind with this id would replace it (its name and shape, under"
            " the plans that align it and the accounts that name it); give these units ids"
            " of their own, e.g. a prefix (DE-01067, and the same prefix in the postal codes"
            " of the accounts to place in them), or keep them in a database of their own"
        )
        for record, kind in clashes.items()
    }
    checker.add(
        kinds.is_not_null() & (pl.col("kind") != kinds),
        "id",
        pl.col("id").replace_strict(reasons, default=None, return_dtype=pl.String),
    )
