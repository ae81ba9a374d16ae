"""Column-wise evaluation of conditions into row masks, shape ``(n_records,)`` booleans.

Text predicates are evaluated with Polars expressions over the *distinct values* of their
column (a dictionary encoding computed once per column), then spread to rows with one NumPy
gather; number and distance predicates are NumPy comparisons on float arrays where NULL is NaN
(every comparison with NaN is False, so NULL fails positive operators as required). Results
are identical to the in-process evaluator; only the work is shared across rules.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from terraplan.rules.fields import column_name, read_column
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
)

if TYPE_CHECKING:
    import polars as pl

#: Predicates evaluated per Polars ``select`` over one column's distinct values.
CHUNK = 64
#: A text column with more distinct values than this share of rows is evaluated row-wise.
DENSE_SHARE = 0.5


@dataclass(slots=True)
class _TextColumn:
    values: pl.DataFrame  # distinct values (+ one NULL row) with derived __lc_/__code_ columns
    codes: np.ndarray | None  # (n_records,) index into ``values``; None = values are the rows
    order: np.ndarray | None = None  # (n_records,) rows sorted by code (inverted index)
    starts: np.ndarray | None = None  # (n_values + 1,) where each code's rows start in order

    def rows_of(self, distinct_mask: np.ndarray) -> np.ndarray:
        """Row indices whose value is selected by ``distinct_mask``; cost ~ matched rows."""
        if self.codes is None:
            return np.flatnonzero(distinct_mask)
        if self.order is None or self.starts is None:
            self.order = np.argsort(self.codes, kind="stable")
            counts = np.bincount(self.codes, minlength=len(distinct_mask))
            self.starts = np.concatenate(([0], np.cumsum(counts)))
        picked = np.flatnonzero(distinct_mask)
        begin, end = self.starts[picked], self.starts[picked + 1]
        lengths = end - begin
        total = int(lengths.sum())
        if total == 0:
            return np.empty(0, dtype=np.int64)
        # positions begin[i] .. end[i]-1 for every picked value, concatenated
        offsets = np.repeat(begin - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        return np.sort(self.order[offsets + np.arange(total)])


def _predicates(cond: Condition, out: dict[Predicate, None]) -> None:
    if isinstance(cond, AllOf | AnyOf):
        for item in cond.items:
            _predicates(item, out)
    elif isinstance(cond, NotOf):
        _predicates(cond.item, out)
    elif isinstance(cond, Predicate):
        out[cond] = None


def _is_text(pred: Predicate) -> bool:
    return pred.op is not Op.WITHIN and not pred.numeric


class MaskEvaluator:
    """Row masks for conditions over a frame from :func:`terraplan.rules.batch.prepare_frame`."""

    def __init__(self, frame: pl.DataFrame, conds: Iterable[Condition]) -> None:
        self.frame = frame
        self.n = frame.height
        self.numbers: dict[str, np.ndarray] = {}
        self.texts: dict[str, _TextColumn] = {}
        #: text predicate -> mask over its column's distinct values (small; rows are gathered)
        self.cache: dict[Predicate, np.ndarray] = {}
        found: dict[Predicate, None] = {}
        for cond in conds:
            _predicates(cond, found)
        by_column: dict[str, list[Predicate]] = {}
        for pred in found:
            if _is_text(pred):
                by_column.setdefault(read_column(pred), []).append(pred)
        for col, preds in by_column.items():
            column = self._text_column(col)
            for start in range(0, len(preds), CHUNK):
                self._evaluate_text(column, preds[start : start + CHUNK])

    # -- columns ----------------------------------------------------------------------------
    def _text_column(self, col: str) -> _TextColumn:
        import polars as pl

        from terraplan.rules.batch import derived_columns

        if col in self.texts:
            return self.texts[col]
        series = self.frame.get_column(col)
        distinct = series.drop_nulls().unique().sort()
        if len(distinct) > DENSE_SHARE * max(self.n, 1):
            values = pl.DataFrame({col: series}).with_columns(derived_columns(col))
            column = _TextColumn(values, None)
        else:
            with_null = pl.concat([distinct, pl.Series(col, [None], dtype=pl.Utf8)])
            values = pl.DataFrame({col: with_null}).with_columns(derived_columns(col))
            # dense rank is 1..k in sorted order; NULL -> k + 1 (the NULL row)
            ranks = series.rank("dense").cast(pl.Int64).fill_null(len(distinct) + 1)
            column = _TextColumn(values, (ranks.to_numpy() - 1).astype(np.int32))
        self.texts[col] = column
        return column

    def _number(self, col: str) -> np.ndarray:
        if col not in self.numbers:
            self.numbers[col] = (
                self.frame.get_column(col).to_numpy(allow_copy=True).astype(np.float64)
            )
        return self.numbers[col]

    # -- predicates -------------------------------------------------------------------------
    def _evaluate_text(self, column: _TextColumn, preds: Sequence[Predicate]) -> None:
        from terraplan.rules.batch import condition_expr

        out = column.values.select([condition_expr(p).alias(f"m{i}") for i, p in enumerate(preds)])
        for i, pred in enumerate(preds):
            self.cache[pred] = out.get_column(f"m{i}").to_numpy()

    def _positive_number(self, pred: Predicate) -> np.ndarray:
        if pred.op is Op.WITHIN and pred.distance is not None:
            d = pred.distance
            rad = math.pi / 180.0
            lat, lon = self._number("latitude") * rad, self._number("longitude") * rad
            p1 = d.latitude * rad
            a = (
                np.sin((lat - p1) / 2) ** 2
                + math.cos(p1) * np.cos(lat) * np.sin((lon - d.longitude * rad) / 2) ** 2
            )
            with np.errstate(invalid="ignore"):
                dist = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(np.sqrt(a), 1.0))
                return np.asarray(dist <= d.radius_km)
        x = self._number(column_name(pred.field))
        if pred.op is Op.IS_EMPTY:
            return np.asarray(np.isnan(x), dtype=bool)
        vals = [float(v) for v in pred.values]
        with np.errstate(invalid="ignore"):
            if pred.op in (Op.EQUALS, Op.IN, Op.IN_GEOGRAPHY):
                return np.isin(x, vals)
            if pred.op is Op.BETWEEN:
                return (x >= vals[0]) & (x <= vals[1])
            if pred.op is Op.LT:
                return x < vals[0]
            if pred.op is Op.LE:
                return x <= vals[0]
            if pred.op is Op.GT:
                return x > vals[0]
            return x >= vals[0]

    def _predicate(self, pred: Predicate) -> np.ndarray:
        if _is_text(pred):
            column = self._text_column(read_column(pred))
            if pred not in self.cache:
                self._evaluate_text(column, [pred])
            distinct_mask = self.cache[pred]
            return distinct_mask if column.codes is None else distinct_mask[column.codes]
        positive = NEGATED.get(pred.op)
        if positive is None:
            return self._positive_number(pred)
        flipped = Predicate(
            pred.field, positive, pred.values, pred.case_sensitive, pred.distance,
            pred.geography, pred.numeric,
        )  # fmt: skip
        return ~self._positive_number(flipped)

    def _subset(self, cond: Condition, rows: np.ndarray) -> np.ndarray:
        """``(len(rows),)`` booleans: ``cond`` evaluated on the given rows only."""
        if isinstance(cond, Always):
            return np.ones(len(rows), dtype=bool)
        if isinstance(cond, AllOf | AnyOf):
            out = self._subset(cond.items[0], rows)
            for item in cond.items[1:]:
                other = self._subset(item, rows)
                out = out & other if isinstance(cond, AllOf) else out | other
            return out
        if isinstance(cond, NotOf):
            return ~self._subset(cond.item, rows)
        if _is_text(cond):
            column = self._text_column(read_column(cond))
            if cond not in self.cache:
                self._evaluate_text(column, [cond])
            index = rows if column.codes is None else column.codes[rows]
            return np.asarray(self.cache[cond][index], dtype=bool)
        return np.asarray(self._predicate(cond)[rows], dtype=bool)

    def _seed(self, cond: Condition) -> np.ndarray | None:
        """Rows of a selective part of ``cond`` (a positive text predicate), or None."""
        if isinstance(cond, Predicate) and _is_text(cond) and cond.op not in NEGATED:
            column = self._text_column(read_column(cond))
            if cond not in self.cache:
                self._evaluate_text(column, [cond])
            return column.rows_of(self.cache[cond])
        if isinstance(cond, AllOf):
            for item in cond.items:
                seed = self._seed(item)
                if seed is not None:
                    return seed
        return None

    def rows(self, cond: Condition) -> np.ndarray:
        """Sorted row indices where ``cond`` holds.

        A positive text predicate (alone or inside ``all``) is looked up in its column's
        inverted index and the rest of the condition is checked on those rows only, so the
        cost follows the number of candidate rows rather than the table size.
        """
        seed = self._seed(cond)
        if seed is None:
            return np.flatnonzero(self.mask(cond))
        if isinstance(cond, Predicate):
            return seed
        kept: np.ndarray = seed[self._subset(cond, seed)]
        return kept

    def mask(self, cond: Condition) -> np.ndarray:
        """``(n_records,)`` booleans: where ``cond`` holds (never NULL)."""
        if isinstance(cond, Always):
            return np.ones(self.n, dtype=bool)
        if isinstance(cond, AllOf):
            out = self.mask(cond.items[0])
            for item in cond.items[1:]:
                out = out & self.mask(item)
            return out
        if isinstance(cond, AnyOf):
            out = self.mask(cond.items[0])
            for item in cond.items[1:]:
                out = out | self.mask(item)
            return out
        if isinstance(cond, NotOf):
            return ~self.mask(cond.item)
        return self._predicate(cond)
