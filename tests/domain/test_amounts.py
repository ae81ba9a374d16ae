"""The one short-form amount formatter of tables, design reports and charts."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terraplan.domain.amounts import compact_amount, exact_figure


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (6_412_345.0, "6.4M"),
        (849_600, "850k"),
        (999_950, "1.0M"),  # the design report wrote 1000k
        (99_960, "100k"),  # not 100.0k
        (99_940, "99.9k"),
        (999.6, "1.0k"),
        (999.4, "999"),
        (-12_345, "-12.3k"),
        (0.25, "0.25"),
        (-0.0, "0"),
        (0.004, "0"),
    ],
)
def test_amounts_read_like_people_write_them(value: float, shown: str) -> None:
    assert compact_amount(value) == shown


@given(st.floats(min_value=-1e14, max_value=1e14, allow_nan=False))
def test_no_amount_is_written_at_the_top_of_the_scale_below(value: float) -> None:
    """Never ``1000k`` or ``100.0M``: a figure is written in the largest scale it rounds to,
    with at most three significant digits before a suffix."""
    text = compact_amount(value)
    match = re.fullmatch(r"(-?)(\d+)(?:\.(\d))?([kMBT]?)", text) or re.fullmatch(
        r"(-?)(\d)\.(\d+)()", text
    )
    assert match, text
    _, whole, decimals, suffix = match.groups()
    if suffix:
        assert len(whole) <= 3 and int(whole) < 1000, text
        assert not (decimals and len(whole) == 3), text
    # the figure read back is within the rounding of what was shown
    scale = {"": 1.0, "k": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}[suffix]
    shown = float(text[: len(text) - len(suffix)]) * scale
    step = scale * (0.1 if decimals and suffix else 1.0) if suffix else 1.0
    assert abs(shown - value) <= step / 2 + 1e-9 * abs(value) + 0.01, (value, text)


def test_exact_figure_drops_binary_noise_and_keeps_the_value() -> None:
    assert exact_figure(1027879.6000000001) == 1027879.6
    assert exact_figure(2776.8999999999996) == 2776.9
    assert exact_figure(85.09601830299498) == exact_figure(85.09601830299499)
    assert exact_figure(1.03875) == 1.03875  # not a rounding for display: 1.04 is the table's
    assert exact_figure(0.000012345678901234) == 0.0000123456789012
    assert math.isinf(exact_figure(math.inf)) and math.isnan(exact_figure(math.nan))
