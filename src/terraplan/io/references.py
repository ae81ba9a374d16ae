"""Reference checks: a field naming a record of another kind (or of the file's own kind).

See :mod:`terraplan.io.validation` for which references are checked; an external reference
(an owner id from the CRM) naming no known record is kept and reported in one warning.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import polars as pl

from terraplan.io.readers import ROW
from terraplan.io.report import MAX_QUOTED
from terraplan.io.validation import Checker


def check_references(checker: Checker, known_ids: Mapping[str, Collection[str]]) -> None:
    """Reference checks (see :mod:`terraplan.io.validation`)."""
    kind = checker.spec.kind
    singular = {
        "accounts": "account",
        "reps": "rep",
        "geo_units": "geo unit",
        "territories": "territory",
        "plans": "plan",
    }
    for spec in checker.spec.fields:
        target = spec.references
        if target is None or not checker.has(spec.name):
            continue
        label = singular.get(target, target)
        known = pl.Series("id", list(known_ids.get(target, ())), dtype=pl.String)
        if spec.type == "list":  # neighbours: a warning, the unit itself is fine
            if target not in known_ids:
                continue
            allowed = pl.concat([known, checker.ctx["id"].drop_nulls()]).implode()
            unknown = pl.col(spec.name).list.eval(pl.element().filter(~pl.element().is_in(allowed)))
            checker.add(
                unknown.list.len() > 0,
                spec.name,
                pl.concat_str(pl.lit(f"unknown {label} id(s) "), unknown.list.join(", ")),
                severity="warning",
            )
            continue
        if target != kind and target not in known_ids:
            continue
        if spec.external:
            _external_reference(checker, spec.name, label, known)
            continue
        reason = pl.concat_str(pl.lit(f"unknown {label} '"), pl.col(spec.name), pl.lit("'"))
        if target != kind:
            checker.add(~pl.col(spec.name).is_in(known.implode()), spec.name, reason)
            continue
        # Self-reference: ids of rows accepted so far also count; repeat until stable.
        flagged = pl.Series("row", [], dtype=pl.Int64)
        for _ in range(50):
            bad = pl.concat([checker.error_rows(), flagged]).unique()
            accepted = checker.ctx.filter(~pl.col(ROW).is_in(bad.implode()))["id"].drop_nulls()
            allowed = pl.concat([known, accepted]).implode()
            mask = pl.col(spec.name).is_not_null() & ~pl.col(spec.name).is_in(allowed)
            now = checker.ctx.filter(mask)[ROW]
            if now.len() == flagged.len():
                break
            flagged = now
        checker.add(pl.col(ROW).is_in(flagged.implode()), spec.name, reason)


def _external_reference(checker: Checker, name: str, label: str, known: pl.Series) -> None:
    """One warning for the rows naming a record not known yet (kept as given)."""
    bad = checker.error_rows().implode()
    unknown = checker.ctx.filter(
        pl.col(name).is_not_null() & ~pl.col(name).is_in(known.implode()) & ~pl.col(ROW).is_in(bad)
    )[name]
    if unknown.len() == 0:
        return
    count = unknown.len()
    singular = {"accounts": "account", "opportunities": "opportunity"}
    kind = checker.spec.kind
    noun = f"{kind.replace('_', ' ')} name" if count != 1 else f"{singular.get(kind, kind)} names"
    example = unknown[0] if len(unknown[0]) <= MAX_QUOTED else unknown[0][:MAX_QUOTED] + "…"
    checker.warnings.append(
        f"{count:,} {noun} an owner that is not a known {label} yet"
        f" (e.g. {example}): kept; import {label}s to resolve"
    )
