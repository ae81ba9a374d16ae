"""The CLI's JSON and CSV rows carry values: floats as computed, not cut to a few decimals."""

from __future__ import annotations

import csv
import io
import json

import pytest

from terraplan.cli.console import OutputFormat, render_rows


@pytest.mark.parametrize("fmt", [OutputFormat.JSON, OutputFormat.CSV])
def test_rows_keep_every_digit_of_a_figure_and_drop_binary_noise(
    fmt: OutputFormat, capsys: pytest.CaptureFixture[str]
) -> None:
    """Floats were rounded to 6 decimals (a win rate of 0.289473684211 came out 0.289474 in
    CSV while JSON of the same command had every digit; 0.0000004 came out 0.0)."""
    rows = [{"rate": 0.2894736842105263, "tiny": 4e-7, "sum": 1027879.6000000001, "n": 3}]
    render_rows(rows, fmt=fmt)
    out = capsys.readouterr().out
    got = json.loads(out)[0] if fmt is OutputFormat.JSON else next(csv.DictReader(io.StringIO(out)))
    assert float(got["rate"]) == 0.289473684211
    assert float(got["tiny"]) == 4e-7
    assert str(got["sum"]) == "1027879.6"
    assert str(got["n"]) == "3"
