"""Amounts as people write them in tables, reports and charts: ``6.4M``, ``850k``, ``950``.

One formatter for every place that shows a money amount, a potential or a workload in short
form, so a figure reads the same in the CLI, the design report and the KPI charts.
"""

from __future__ import annotations

import math

_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def exact_figure(value: float) -> float:
    """A computed figure as files and the API carry it: its value to 12 significant digits,
    which drops the binary noise of sums (``1027879.6000000001`` -> ``1027879.6``,
    ``2776.8999999999996`` -> ``2776.9``) and keeps every digit that means something. Not a
    rounding for display (tables round; JSON and CSV carry values); a non-finite value is
    returned as it is."""
    value = float(value)
    return float(f"{value:.12g}") if math.isfinite(value) else value


def compact_amount(value: float) -> str:
    """``6_412_345 -> "6.4M"``, ``849_600 -> "850k"``, ``-12_345 -> "-12.3k"``,
    ``950.4 -> "950"``, ``0.25 -> "0.25"`` (small figures such as hours keep two digits).

    A value that rounds up to the next scale is written in it (``999_950 -> "1.0M"``, never
    ``1000k``), and one that rounds to 100 of a scale loses its decimal (``99_960 -> "100k"``,
    never ``100.0k``).
    """
    size = abs(value)
    for limit, suffix in _SCALES:
        if size >= limit * 0.9995:
            scaled = value / limit
            text = f"{scaled:.1f}"
            if abs(float(text)) >= 100:
                text = f"{scaled:.0f}"
            return text + suffix
    if size == 0 or size < 0.01:
        return "0"
    if size < 10:
        return f"{value:.2g}"
    return f"{value:.0f}"
