"""exact_sum: the same float whatever order the values come in, float semantics otherwise."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from terraplan.planning.exact_sums import exact_sum


def test_group_sums_are_identical_bits_for_any_row_order() -> None:
    rng = np.random.default_rng(3)
    n = 200_000
    frame = pl.DataFrame(
        {"group": rng.integers(0, 40, n), "amount": (rng.random(n) * 5_000).round(2) - 1_000}
    )
    sums = []
    for seed in (1, 2, 3):
        shuffled = frame.sample(fraction=1.0, shuffle=True, seed=seed)
        sums.append(
            shuffled.lazy().group_by("group").agg(exact_sum("amount")).sort("group").collect()
        )
    assert sums[0].equals(sums[1]) and sums[0].equals(sums[2])
    # and they are the sums: within float error of the exact total per group
    exact = frame.group_by("group").agg(pl.col("amount").sum()).sort("group")
    assert sums[0]["amount"].to_list() == pytest.approx(exact["amount"].to_list(), rel=1e-12)


def test_decimal_amounts_add_up_as_written() -> None:
    """Ten lines of 0.1 make 1.0 and 1,329.6 stays 1,329.6 (float sums give 0.9999999999999999)."""
    frame = pl.DataFrame({"amount": [0.1] * 10 + [1_000.2, 329.4, -0.5, 0.5]})
    assert frame.head(10).select(exact_sum("amount")).item() == 1.0
    assert frame.tail(4).select(exact_sum("amount")).item() == 1_329.6


def test_nulls_are_skipped_and_nan_or_infinity_propagate_as_in_a_float_sum() -> None:
    frame = pl.DataFrame(
        {
            "group": [1, 1, 2, 3, 3, 4, 4],
            "value": [2.5, None, None, float("nan"), 1.0, float("inf"), 1.0],
        }
    )
    out = frame.group_by("group").agg(exact_sum("value")).sort("group")["value"].to_list()
    assert out[0] == 2.5 and out[1] == 0.0
    assert np.isnan(out[2]) and out[3] == float("inf")
    empty = pl.DataFrame(schema={"value": pl.Float64})
    assert empty.select(exact_sum(pl.col("value") * 2)).item() == 0.0


def test_a_value_too_large_for_the_decimals_is_summed_not_dropped() -> None:
    """Decimal(38, 12) holds values below 10**26: a larger one failed its cast and with it
    the whole query (a Polars ComputeError). A group holding one is summed as floats."""
    frame = pl.DataFrame({"group": [1, 1, 2, 2], "value": [3e27, 1.0, 0.25, 0.5]})
    out = frame.group_by("group").agg(exact_sum("value")).sort("group")["value"].to_list()
    assert out == [pytest.approx(3e27 + 1.0), 0.75]
