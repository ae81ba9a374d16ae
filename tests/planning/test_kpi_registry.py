"""How KPI values are given in files and the API."""

from __future__ import annotations

import pytest

from terraplan.planning.kpi_registry import shown_value


def test_shown_values_lose_binary_noise_not_figures() -> None:
    assert shown_value(1027879.6000000001) == 1027879.6
    assert shown_value(0.1 + 0.2) == 0.3
    assert shown_value(123456789.123) == 123456789.123
    assert shown_value(2 / 3) == pytest.approx(2 / 3, rel=1e-11)
    assert shown_value(7) == 7 and shown_value(None) is None and shown_value("x") == "x"
