"""One spelling per value of a grouping field (segment, industry, customer type).

Rules compare these values without case and extra spaces, so ``ENTERPRISE``, ``Enterprise``
and ``enterprise`` are one segment to them; KPIs group by the stored values, in-process and in
the warehouse SQL alike. An import therefore writes each value as the stored accounts and
leads spell it (the most common stored spelling), and a value none of them holds as most of
the file's rows spell it (ties: the first in sort order), with one warning per field counting
the rows rewritten (those imported: a row refused by another check neither counts nor votes), so
that a KPI never shows one segment as three rows and both KPI paths read the same values.
Migration 0017 gave the records stored before one spelling each. Values are compared as
:func:`terraplan.planning.regions.region_key` compares region names: case folded, runs of
whitespace as one space.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping

import polars as pl

from terraplan.io.checker import Checker
from terraplan.io.readers import ROW

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


def one_spelling(
    checker: Checker, stored: StoredSpellings, refused: pl.Series | None = None
) -> None:
    """Write each grouping field's values as most accounts spell them (see the module's
    docstring); one warning per field that had other spellings. The rows in ``refused``
    (row numbers a check refused) have no say in a new value's spelling."""
    kind = checker.spec.kind
    imported = checker.ctx
    if refused is not None and not refused.is_empty():
        imported = imported.filter(~pl.col(ROW).is_in(refused.implode()))
    for field in GROUPING_FIELDS.get(kind, ()):
        if not checker.has(field):
            continue
        values = imported.get_column(field)
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
        # the rows imported are counted (a row refused by another check is not rewritten)
        rewritten = checker.ctx.filter(pl.col(field).is_in(list(changed))).select(ROW, field)
        checker.note(rewritten, _rewritten(field, changed))
        checker.ctx = checker.ctx.with_columns(
            pl.col(field).replace(list(changed), list(changed.values())).alias(field)
        )


def _rewritten(field: str, changed: Mapping[str, str]) -> Callable[[pl.DataFrame], str]:
    """The warning on the rows kept of those whose ``field`` was rewritten (``changed``:
    spelling in the file -> spelling written)."""

    def say(kept: pl.DataFrame) -> str:
        rows = kept.height
        examples = sorted({(changed[v], v) for v in kept[field].unique().to_list()})
        shown = "; ".join(f"{v!r} -> {to!r}" for to, v in examples[:5])
        more = f"; … {len(examples) - 5} more" if len(examples) > 5 else ""
        label = field.replace("_", " ")
        return (
            f"{label}: {rows:,} row{'s' if rows != 1 else ''} written as the stored records "
            f"spell the value (a new value: as most rows spell it), so that KPIs group them as "
            f"one, as rules (which compare without case) do ({shown}{more})"
        )

    return say
