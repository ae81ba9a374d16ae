"""Vectorised assignment of a whole table of records with Polars expressions.

Input: a Polars DataFrame (or PyArrow table, or records) with canonical account columns
(domain field names; attributes as ``attr_<name>``; a missing column counts as all NULL).
Each rule becomes one Polars boolean expression evaluated over all rows at once; the
resolution (priority, order, conflicts) is a fold over the *rules* with NumPy arrays of
shape ``(n_records,)`` — there is no per-record Python loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from terraplan.domain import Account, Lead
from terraplan.errors import DataError, TerraplanError
from terraplan.rules.fields import (
    CODE_FIELDS,
    FOLD_AFTER,
    FOLD_BEFORE,
    NUMBER_FIELDS,
    US_COUNTRIES,
    US_PLACE_FIELDS,
    US_ZIP_COLUMN,
    WHITESPACE_RUN,
    ZipLookup,
    column_name,
    read_column,
    reads_us_zip,
    record_values,
    squeeze_operand,
)
from terraplan.rules.model import (
    EARTH_RADIUS_KM,
    NEGATED,
    AllOf,
    Always,
    AnyOf,
    Condition,
    NotOf,
    Op,
    Predicate,
    RuleSet,
    TieBreaker,
)
from terraplan.rules.regex import regex_search, shorten

if TYPE_CHECKING:
    import polars as pl

RESULT_COLUMNS = ("id", "territory_id", "rule_id", "territory_type", "conflict", "gap", "overlays")


@dataclass(frozen=True, slots=True)
class BatchStats:
    """Per-rule tallies from one batch run (rule ids in rule-set order).

    ``matched[i]``: records whose condition of rule i holds (after exclusions);
    ``won[i]``: records rule i decided; ``in_conflict[i]``: records where rule i took part in
    an unresolved conflict. Overlays: ``overlay_matched`` by overlay id.
    """

    rule_ids: tuple[str, ...]
    matched: tuple[int, ...]
    won: tuple[int, ...]
    in_conflict: tuple[int, ...]
    overlay_matched: dict[str, int]


def records_to_frame(records: Iterable[Account | Lead | Mapping[str, Any]]) -> pl.DataFrame:
    """Build a frame with canonical columns from domain records or mappings."""
    import polars as pl

    rows = [record_values(r) for r in records]
    columns: dict[str, list[Any]] = {}
    names = sorted({k for row in rows for k in row if k != "company"})
    for name in names:
        columns[column_name(name)] = [row.get(name) for row in rows]
    schema: dict[str, Any] = {}
    for col in columns:
        schema[col] = pl.Float64 if col in NUMBER_FIELDS else None
    frame = pl.DataFrame(columns, schema_overrides={k: v for k, v in schema.items() if v})
    return frame


def as_frame(data: Any) -> pl.DataFrame:
    """A Polars DataFrame from a DataFrame, LazyFrame, PyArrow table or records."""
    import polars as pl

    if isinstance(data, pl.DataFrame):
        return data
    if isinstance(data, pl.LazyFrame):
        return data.collect()
    try:
        import pyarrow as pa

        if isinstance(data, pa.Table):
            frame = pl.from_arrow(data)
            assert isinstance(frame, pl.DataFrame)
            return frame
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        pass
    return records_to_frame(data)


def _fields(cond: Condition, out: dict[str, bool]) -> None:
    if isinstance(cond, AllOf | AnyOf):
        for item in cond.items:
            _fields(item, out)
    elif isinstance(cond, NotOf):
        _fields(cond.item, out)
    elif isinstance(cond, Predicate):
        if cond.op is Op.WITHIN:
            out["latitude"] = True
            out["longitude"] = True
        else:
            out[cond.field] = out.get(cond.field, False) or cond.numeric


def _all_conditions(rule_set: RuleSet) -> list[Condition]:
    conds: list[Condition] = [r.when for r in rule_set.rules]
    conds += [o.when for o in rule_set.overlays] + [e.when for e in rule_set.exclusions]
    return conds


def fields_read(rule_set: RuleSet) -> dict[str, bool]:
    """The fields the rule set's conditions read (``id`` first), each with whether a
    condition compares it as a number; ``country`` too when a rule reads a US place (a
    record abroad has none: :data:`~terraplan.rules.fields.US_PLACE_FIELDS`)."""
    used: dict[str, bool] = {"id": False}
    for cond in _all_conditions(rule_set):
        _fields(cond, used)
    if US_PLACE_FIELDS.intersection(used) or "postal_code" in used:
        used.setdefault("country", False)
    return used


def _reads_us_zip(rule_set: RuleSet) -> bool:
    from terraplan.rules.model import predicates_of

    return any(reads_us_zip(p) for c in _all_conditions(rule_set) for p in predicates_of(c))


def squeezed_text(text: pl.Expr) -> pl.Expr:
    """Text with whitespace runs squeezed, as :func:`~terraplan.rules.fields.squeeze`."""
    return text.str.replace_all(WHITESPACE_RUN, " ").str.strip_chars(" ")


def folded_text(text: pl.Expr) -> pl.Expr:
    """Text lower-cased as :func:`~terraplan.rules.fields.fold_case`."""
    return (
        text.str.replace_all(*FOLD_BEFORE, literal=True)
        .str.to_lowercase()
        .str.replace_all(*FOLD_AFTER, literal=True)
    )


def us_rows(frame_columns: Sequence[str]) -> pl.Expr:
    """Rows whose country is empty or names the United States, as
    :func:`~terraplan.rules.fields.is_us` reads one record."""
    import polars as pl

    if "country" not in frame_columns:
        return pl.lit(True)
    country = folded_text(squeezed_text(pl.col("country").cast(pl.Utf8, strict=False)))
    return country.is_null() | country.is_in([*US_COUNTRIES, ""])


def derived_columns(col: str) -> list[pl.Expr]:
    """``__ws_<col>`` (text with whitespace runs squeezed, as
    :func:`~terraplan.rules.fields.squeeze`), ``__lc_<col>`` (the same, lower case) and
    ``__code_<col>`` (numeric postal/FIPS prefix)."""
    import polars as pl

    text = pl.col(col)
    squeezed = squeezed_text(text)
    head = text.str.slice(0, 5)
    code = pl.when(head.str.contains(r"^[0-9]{5}$")).then(head.cast(pl.Int64, strict=False))
    return [
        squeezed.alias(f"__ws_{col}"),
        folded_text(squeezed).alias(f"__lc_{col}"),
        code.alias(f"__code_{col}"),
    ]


def prepare_frame(data: Any, rule_set: RuleSet) -> pl.DataFrame:
    """The input restricted to the columns the rule set reads (``id`` first), each typed as
    text (Utf8) or number (Float64, NaN read as NULL); missing columns are all NULL."""
    import polars as pl

    from terraplan.rules.place_columns import code_text

    frame = as_frame(data)
    # a record abroad has no US state or county, and its postal code no ZIP number
    us = us_rows(frame.columns)
    exprs = []
    for field, holds_numbers in fields_read(rule_set).items():
        col = column_name(field)
        numeric = holds_numbers or field in NUMBER_FIELDS
        dtype = pl.Float64 if numeric else pl.Utf8
        if col in frame.columns:
            expr = pl.col(col).cast(dtype, strict=False)
            if numeric:
                expr = expr.fill_nan(None)
            elif field in CODE_FIELDS:
                expr = code_text(frame.schema[col], col)
        else:
            expr = pl.lit(None, dtype=dtype)
        if field in US_PLACE_FIELDS:
            expr = pl.when(us).then(expr)
        exprs.append(expr.alias(col))
        if field == "postal_code" and _reads_us_zip(rule_set):
            exprs.append(pl.when(us).then(expr).alias(US_ZIP_COLUMN))
    try:
        return frame.select(exprs)
    except Exception as exc:
        raise DataError(
            f"cannot read the record table: {shorten(str(exc), 300)}",
            details={"reason": shorten(str(exc), 300)},
        ) from None


def _any(exprs: Sequence[pl.Expr]) -> pl.Expr:
    import polars as pl

    return pl.any_horizontal(exprs) if len(exprs) > 1 else exprs[0]


def _positive(pred: Predicate) -> pl.Expr:
    import polars as pl

    if pred.op is Op.WITHIN and pred.distance is not None:
        d = pred.distance
        rad = math.pi / 180.0
        lat, lon = pl.col("latitude") * rad, pl.col("longitude") * rad
        p1 = d.latitude * rad
        a = ((lat - p1) / 2).sin() ** 2 + math.cos(p1) * lat.cos() * (
            (lon - d.longitude * rad) / 2
        ).sin() ** 2
        dist = 2 * EARTH_RADIUS_KM * a.sqrt().clip(upper_bound=1.0).arcsin()
        return dist <= d.radius_km
    col = read_column(pred)
    raw = pl.col(col)
    op = pred.op
    if op is Op.IS_EMPTY:
        return raw.is_null() if pred.numeric else (raw.is_null() | (raw == ""))
    compare = op in (Op.LT, Op.LE, Op.GT, Op.GE, Op.BETWEEN)
    if pred.numeric or compare:
        x = raw if pred.numeric else pl.col(f"__code_{col}")
        vals = [float(v) for v in pred.values]
        if op in (Op.EQUALS, Op.IN, Op.IN_GEOGRAPHY):
            return x.is_in(vals) if len(vals) > 1 else x == vals[0]
        if op is Op.BETWEEN:
            return (x >= vals[0]) & (x <= vals[1])
        return {Op.LT: x < vals[0], Op.LE: x <= vals[0], Op.GT: x > vals[0], Op.GE: x >= vals[0]}[
            op
        ]
    if op is Op.REGEX:
        return raw.map_batches(
            _regex_matcher(str(pred.values[0]), pred.case_sensitive), return_dtype=pl.Boolean
        )
    # whitespace runs squeezed, as the per-record evaluator compares text
    subject = pl.col(f"__ws_{col}" if pred.case_sensitive else f"__lc_{col}")
    equality = op in (Op.EQUALS, Op.IN, Op.IN_GEOGRAPHY)
    texts = [squeeze_operand(v, equality, pred.case_sensitive) for v in pred.values]
    if equality:
        return subject.is_in(texts) if len(texts) > 1 else subject == texts[0]
    if op is Op.STARTS_WITH:
        return _any([subject.str.starts_with(t) for t in texts])
    if op is Op.ENDS_WITH:
        return _any([subject.str.ends_with(t) for t in texts])
    return _any([subject.str.contains(t, literal=True) for t in texts])


def _regex_matcher(pattern: str, case_sensitive: bool) -> Callable[[pl.Series], pl.Series]:
    """A column function: where RE2 finds ``pattern`` (the evaluator of :func:`route` too)."""

    def matches(series: pl.Series) -> pl.Series:
        import polars as pl

        found = [
            None if text is None else regex_search(pattern, case_sensitive, text)
            for text in series.cast(pl.Utf8).to_list()
        ]
        return pl.Series(series.name, found, dtype=pl.Boolean)

    return matches


def condition_expr(cond: Condition) -> pl.Expr:
    """A never-NULL Polars boolean expression for a condition over a prepared frame."""
    import polars as pl

    if isinstance(cond, Always):
        return pl.lit(True)
    if isinstance(cond, AllOf):
        return pl.all_horizontal([condition_expr(c) for c in cond.items])
    if isinstance(cond, AnyOf):
        return pl.any_horizontal([condition_expr(c) for c in cond.items])
    if isinstance(cond, NotOf):
        return ~condition_expr(cond.item)
    positive = NEGATED.get(cond.op)
    if positive is None:
        return _positive(cond).fill_null(False)
    negated = Predicate(
        cond.field,
        positive,
        cond.values,
        cond.case_sensitive,
        cond.distance,
        cond.geography,
        cond.numeric,
    )
    return ~_positive(negated).fill_null(False)


def assign_frame(
    data: Any,
    rule_set: RuleSet,
    *,
    locate: ZipLookup | None = None,
    normalize: bool = True,
) -> tuple[pl.DataFrame, BatchStats]:
    """Assign every row; return the result frame (see :func:`assign_batch`) and rule tallies."""
    try:
        if normalize or locate is not None:
            from terraplan.rules.batch_places import read_as_imported, with_locations

            if normalize:
                data = read_as_imported(data, rule_set, locating=locate is not None)
            if locate is not None:
                data = with_locations(data, locate)
        return _assign_frame(data, rule_set)
    except TerraplanError:
        raise
    except Exception as exc:  # Polars/NumPy errors never leak
        raise DataError(
            f"cannot assign the record table: {shorten(str(exc), 300)}",
            details={"reason": shorten(str(exc), 300)},
        ) from None


def _assign_frame(data: Any, rule_set: RuleSet) -> tuple[pl.DataFrame, BatchStats]:
    import polars as pl

    frame = prepare_frame(data, rule_set)
    n = frame.height
    territories = list(rule_set.territories)
    t_code = {t: i for i, t in enumerate(territories)}
    from terraplan.rules.vector import MaskEvaluator

    evaluator = MaskEvaluator(frame, _all_conditions(rule_set))
    excluded: dict[str, np.ndarray] = {}
    for tid in dict.fromkeys(e.territory_id for e in rule_set.exclusions):
        cond = rule_set.exclusion_for(tid)
        assert cond is not None
        excluded[tid] = evaluator.mask(cond)

    ranked = rule_set.ranked_rules()
    level_keys = sorted({rule_set.level_key(r) for r in ranked})
    level_of = {k: i for i, k in enumerate(level_keys)}
    best = np.full(n, -1, dtype=np.int64)
    best_level = np.full(n, len(level_keys), dtype=np.int64)
    best_terr = np.full(n, -1, dtype=np.int64)
    conflict = np.zeros(n, dtype=bool)
    matched = [0] * len(ranked)
    check_conflicts = rule_set.tie_breaker is TieBreaker.NONE
    in_conflict = np.zeros(len(ranked), dtype=np.int64)
    # rows each rule of the current level holds at that level; conflict flags of those rows
    # are final once the next level starts, so participation is counted then
    level_rows: list[tuple[int, np.ndarray]] = []
    current_level = -1

    def settle() -> None:
        for g_held, rows in level_rows:
            in_conflict[g_held] += int(conflict[rows].sum())
        level_rows.clear()

    for g, rule in enumerate(ranked):
        rows = evaluator.rows(rule.when)  # (n_matched,) row indices: work only on those
        if rule.territory_id in excluded:
            rows = rows[~excluded[rule.territory_id][rows]]
        lv, tc = level_of[rule_set.level_key(rule)], t_code[rule.territory_id]
        if lv != current_level:
            settle()
            current_level = lv
        matched[g] = len(rows)
        if not len(rows):
            continue
        if check_conflicts:
            same_level = rows[best_level[rows] == lv]
            conflict[same_level[best_terr[same_level] != tc]] = True
        new = rows[best[rows] < 0]
        best[new], best_level[new], best_terr[new] = g, lv, tc
        if check_conflicts:
            level_rows.append((g, rows[best_level[rows] == lv]))
    settle()

    gap = best < 0
    decided = np.where(conflict | gap, len(ranked), best)
    won = np.bincount(decided, minlength=len(ranked) + 1)[: len(ranked)]

    rule_ids = pl.Series([r.id for r in ranked] + [None], dtype=pl.Utf8)
    rule_terr = pl.Series([r.territory_id for r in ranked] + [rule_set.catch_all], dtype=pl.Utf8)
    types = [rule_set.territories[r.territory_id].type.value for r in ranked]
    catch_type = rule_set.territories[rule_set.catch_all].type.value if rule_set.catch_all else None
    rule_type = pl.Series([*types, catch_type], dtype=pl.Utf8)
    nobody = len(ranked) + 1
    terr_index = np.where(conflict, nobody, np.where(gap, len(ranked), best))
    rule_index = np.where(conflict | gap, len(ranked), best)
    tidx = pl.Series(terr_index, dtype=pl.Int64)
    ridx = pl.Series(rule_index, dtype=pl.Int64)
    none = pl.Series([None], dtype=pl.Utf8)

    overlay_groups: dict[str, list[Condition]] = {}
    overlay_matched: dict[str, int] = {}
    for overlay in rule_set.overlays:
        overlay_groups.setdefault(overlay.territory_id, []).append(overlay.when)
    overlay_cols = []
    for tid, conds in overlay_groups.items():
        mask = evaluator.mask(conds[0] if len(conds) == 1 else AnyOf(tuple(conds)))
        if tid in excluded:
            mask = mask & ~excluded[tid]
        overlay_cols.append(pl.when(pl.Series(mask)).then(pl.lit(tid)))
    for overlay in rule_set.overlays:
        overlay_matched[overlay.id] = int(evaluator.mask(overlay.when).sum())

    result = pl.DataFrame(
        {
            "id": frame.get_column("id"),
            "territory_id": pl.concat([rule_terr, none]).gather(tidx),
            "rule_id": rule_ids.gather(ridx),
            "territory_type": pl.concat([rule_type, none]).gather(tidx),
            "conflict": pl.Series(conflict),
            "gap": pl.Series(gap),
        }
    )
    if overlay_cols:
        result = result.with_columns(
            pl.concat_list(overlay_cols).list.drop_nulls().alias("overlays")
        )
    else:
        result = result.with_columns(pl.lit([], dtype=pl.List(pl.Utf8)).alias("overlays"))
    order = {r.id: i for i, r in enumerate(rule_set.rules)}
    by_rule = sorted(range(len(ranked)), key=lambda g: order[ranked[g].id])
    stats = BatchStats(
        rule_ids=tuple(ranked[g].id for g in by_rule),
        matched=tuple(matched[g] for g in by_rule),
        won=tuple(int(won[g]) for g in by_rule),
        in_conflict=tuple(int(in_conflict[g]) for g in by_rule),
        overlay_matched=overlay_matched,
    )
    return result, stats


def assign_batch(
    data: Any,
    rule_set: RuleSet,
    *,
    locate: ZipLookup | None = None,
    normalize: bool = True,
) -> pl.DataFrame:
    """Assign every record of a table at once.

    Returns a Polars DataFrame with one row per input row, in input order: ``id``,
    ``territory_id`` (NULL on conflict, or on a gap without catch-all), ``rule_id`` (NULL on
    conflict/gap), ``territory_type``, ``conflict`` and ``gap`` (bool), ``overlays``
    (list of overlay territory ids in the rule set's order).

    Each row is read as :func:`terraplan.rules.route` reads one record, so that both give the
    same territory: as an import reads it (``"California"`` is ``CA``, a US row's ZIP
    ``02134-1234`` or ``2134`` is ``02134``, county ``6075`` is ``06075``); ``normalize=False``
    compares the values as given, as compiled SQL does. Postal codes given as numbers are
    zero-padded text either way. With ``locate``, a US row's missing county FIPS, state and
    coordinates are filled from its ZIP first.
    """
    return assign_frame(data, rule_set, locate=locate, normalize=normalize)[0]
