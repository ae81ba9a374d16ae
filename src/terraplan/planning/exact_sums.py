"""Sums of floats that come out the same whatever order Polars adds the values in.

Polars 2 runs a lazy query on its streaming engine, which adds a group's values in the order
its threads happen to hand over their morsels, and a join or a group-by returns its rows in no
set order (the in-memory engine too, between thread counts). Float addition is not associative,
so the same revenue, workload or pipeline could read ``1329.6`` in one run and
``1329.5999999999995`` in the next — enough to move a figure across a tolerance band, a
rounding (285.5 h shown as 285 or 286) or a ranking, and to make two exports of the same data
differ byte for byte.

:func:`exact_sum` adds the values as fixed-point decimals (a 128-bit integer count of
``10**-SCALE`` units): integer addition gives the same total in any order, and the one
rounding back to a float at the end is the same every time. Each value is first rounded to
``SCALE`` (12) decimals, a ten-billionth of a cent of an amount: far below any figure shown
(a float sum of a thousand amounts of 1,000 already errs by more).

Cost, measured with ``benchmarks/kpis.py --lines 2000000`` on the shared 2-core machine:
``compute_kpis`` takes 3.1 s of CPU against 2.1-2.3 s with float sums. The alternative that
keeps float sums, the in-memory engine (it adds a group in row order), needed 2.9 s for the
first group-by over ten million lines alone, against 0.5-0.8 s for the streaming engine with
float sums and 0.6-1.0 s with these.
"""

from __future__ import annotations

from typing import Final

import polars as pl

#: Decimals each value keeps before it is added (amounts, hours, counts).
SCALE: Final = 12
#: 38 digits in all: values and sums below 10**26 in size (amounts in any currency).
_DECIMAL: Final = pl.Decimal(38, SCALE)
#: A group holding a value this large is summed as floats: the decimals could not hold its
#: sum (the cast failed the whole KPI query with a Polars error).
_TOO_LARGE: Final = 1e24


def exact_sum(column: str | pl.Expr) -> pl.Expr:
    """The sum of a Float64 column (or expression) as Float64, independent of the order of its
    values; nulls are skipped and an empty or all-null group sums to 0, as ``Expr.sum``. A
    group holding NaN or an infinity sums as floats do (NaN, +-inf), as does one holding a
    value of 10**24 or more. The output keeps the column's name."""
    expr = pl.col(column) if isinstance(column, str) else column
    # only values the decimals hold are cast (the cast of a larger one fails the whole query)
    held = pl.when(expr.abs() < _TOO_LARGE).then(expr)
    exact = held.cast(_DECIMAL, strict=False).sum().cast(pl.Float64)
    fits = expr.is_finite().all() & (expr.abs().max() < _TOO_LARGE).fill_null(True)
    return pl.when(fits).then(exact).otherwise(expr.sum())
