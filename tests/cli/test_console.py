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


def test_json_documents_carry_floats_without_binary_noise(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`plans move -f json` and other documents gave `-0.16000000000000003`; rows gave -0.16."""
    from terraplan.cli.console import render_json

    render_json({"deviation": 0.1 - 0.26, "rows": [{"total": 4999417.989999999}], "n": 3})
    printed = json.loads(capsys.readouterr().out)
    assert printed == {"deviation": -0.16, "rows": [{"total": 4999417.99}], "n": 3}
