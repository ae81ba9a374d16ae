"""One spelling per value of a grouping field (segment, industry, customer type).

Rules compare these values without case and extra spaces, so ``ENTERPRISE``, ``Enterprise``
and ``enterprise`` are one segment to them; KPIs group by the stored values, in-process and in
the warehouse SQL alike. An import therefore writes each value as the stored accounts and
leads spell it (the most common stored spelling), and a value none of them holds as most of
the file's rows spell it (ties: the first in sort order), with one warning per field counting
the rows rewritten, so that a KPI never shows one segment as three rows and both KPI paths read
the same values. Migration 0017 gave the records stored before one spelling each. Values are compared as
:func:`terraplan.planning.regions.region_key` compares region names: case folded, runs of
whitespace as one space.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import polars as pl

from terraplan.io.checker import Checker

#: The fields written in one spelling, per import kind.
GROUPING_FIELDS: dict[str, tuple[str, ...]] = {
    "accounts": ("segment", "industry", "customer_type"),
    "leads": ("industry",),
}

#: Stored accounts' values and how many accounts spell each: ``{field: {value: count}}``.
StoredSpellings = Mapping[str, Mapping[str, int]]


def spelling_key(text: str) -> str:
    """How two spellings of one value are compared: without case and extra spaces."""
    return " ".join(text.split()).casefold()


def one_spelling(checker: Checker, stored: StoredSpellings) -> None:
    """Write each grouping field's values as most accounts spell them (see the module's
    docstring); one warning per field that had other spellings."""
    kind = checker.spec.kind
    for field in GROUPING_FIELDS.get(kind, ()):
        if not checker.has(field):
            continue
        values = checker.ctx.get_column(field)
        in_file = Counter(v for v in values.drop_nulls().to_list() if isinstance(v, str))
        if not in_file:
            continue
        kept: Counter[str] = Counter(dict(stored.get(field, {})))
        spellings: dict[str, set[str]] = {}
        for written in (*kept, *in_file):
            spellings.setdefault(spelling_key(written), set()).add(written)
        # a stored spelling wins over the file's: rewriting the file alone to a new majority
        # would leave the stored records (not in the file) spelled the old way, split again
        chosen = {
            key: min(
                [s for s in options if kept[s]] or options,
                key=lambda s: (-kept[s], -in_file[s], s),
            )
            for key, options in spellings.items()
        }
        changed = {v: chosen[spelling_key(v)] for v in in_file if chosen[spelling_key(v)] != v}
        if not changed:
            continue
        rows = sum(in_file[v] for v in changed)
        examples = sorted({(to, v) for v, to in changed.items()})
        shown = "; ".join(f"{v!r} -> {to!r}" for to, v in examples[:5])
        more = f"; … {len(examples) - 5} more" if len(examples) > 5 else ""
        label = field.replace("_", " ")
        checker.warnings.append(
            f"{label}: {rows:,} row{'s' if rows != 1 else ''} written as the stored records "
            f"spell the value (a new value: as most rows spell it), so that KPIs group them as "
            f"one, as rules (which compare without case) do ({shown}{more})"
        )
        checker.ctx = checker.ctx.with_columns(
            pl.col(field).replace(list(changed), list(changed.values())).alias(field)
        )
