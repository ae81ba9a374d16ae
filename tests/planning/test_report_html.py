"""The HTML report: charts, alerts, escaping and no external resources."""

from __future__ import annotations

import re
from datetime import date

import polars as pl
import pytest

from terraplan.errors import InvalidParameterError
from terraplan.planning.alerts import evaluate_alerts
from terraplan.planning.kpi_balance import territory_balance
from terraplan.planning.kpi_inputs import KpiInputs
from terraplan.planning.kpis import compute_kpis
from terraplan.planning.report_html import render_report_html

AS_OF = date(2026, 3, 31)


@pytest.fixture(scope="module")
def inputs() -> KpiInputs:
    return KpiInputs(
        sales_lines=pl.DataFrame(
            {
                "account_id": ["A1", "A2", "A1", "A2", "A3"],
                "date": [
                    date(2025, 2, 1),
                    date(2025, 3, 1),
                    date(2026, 1, 9),
                    date(2026, 2, 9),
                    date(2026, 3, 9),
                ],
                "amount": [100.0, 50.0, 120.0, 80.0, -20.0],
            }
        ),
        accounts=pl.DataFrame({"id": ["A1", "A2", "A3"], "potential": [1000.0, 400.0, 9000.0]}),
        alignment=pl.DataFrame(
            {"account_id": ["A1", "A2", "A3"], "territory_id": ["North", "South", "<West>"]}
        ),
        targets=pl.DataFrame(
            {
                "territory_id": ["North", "South"],
                "rep_id": [None, None],
                "period_start": [date(2026, 1, 1)] * 2,
                "period_end": [date(2026, 12, 31)] * 2,
                "amount": [400.0, 100.0],
            },
            schema_overrides={"rep_id": pl.String},
        ),
    )


def test_report_holds_charts_alerts_and_no_external_resources(inputs: KpiInputs) -> None:
    kpis = compute_kpis(inputs, as_of=AS_OF)
    alerts = evaluate_alerts(inputs, as_of=AS_OF, kpis=kpis, period="YTD")
    html = render_report_html(
        kpis, alerts=alerts, balance=territory_balance(inputs), as_of=AS_OF, title="Q1 <review>"
    )
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"https?://", html)
    assert "<script" not in html and "<link" not in html and "@import" not in html
    # attainment + pace, trend, balance of potential and account count (no workload data)
    assert html.count("<svg") == 2 + 1 + 2
    assert 'id="attainment"' in html and "Attainment vs target, YTD" in html
    assert "<polyline" in html  # trend lines
    assert 'class="band"' in html  # tolerance band
    assert "Q1 &lt;review&gt;" in html and "&lt;West&gt;" in html and "<West>" not in html
    assert f"Alerts ({len(alerts.alerts)})" in html
    assert len(alerts.alerts) > 0
    for alert in alerts.alerts:
        assert alert.kind in html
    assert "Realignment recommended" in html


def test_report_without_alerts_or_balance(inputs: KpiInputs) -> None:
    kpis = compute_kpis(inputs, as_of=AS_OF, periods=["2026Q1"], dimensions=["territory"])
    html = render_report_html(kpis)
    assert "Attainment vs target, 2026Q1" in html
    assert 'id="alerts"' not in html and 'id="balance"' not in html
    assert "n/a" in html  # <West> has no target
    short = render_report_html(kpis, max_bars=1)
    assert "Showing the 1 of 3 territories" in short
    assert short.count("<rect") < html.count("<rect")
    with pytest.raises(InvalidParameterError):
        render_report_html(kpis, period="1999")
    with pytest.raises(InvalidParameterError):
        render_report_html(pl.DataFrame({"x": [1]}))
