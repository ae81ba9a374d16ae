"""The HTML report: charts, alerts, escaping and no external resources."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

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
    # attainment (pace equals it as of the quarter's end: not drawn twice), trend, balance of
    # potential and account count (no workload data)
    assert html.count("<svg") == 1 + 1 + 2
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


def _square(x: float, y: float) -> list[list[list[list[float]]]]:
    """MultiPolygon coordinates of a 1-degree square with its south-west corner at (x, y)."""
    return [[[[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]]]


def test_report_map_legend_and_names_instead_of_ids(inputs: KpiInputs) -> None:
    kpis = compute_kpis(inputs, as_of=AS_OF)
    alerts = evaluate_alerts(inputs, as_of=AS_OF, kpis=kpis, period="YTD")
    html = render_report_html(
        kpis,
        alerts=alerts,
        balance=territory_balance(inputs),
        as_of=AS_OF,
        names={"North": "Northern Plains", "South": "Gulf Coast", "<West>": "West & Co"},
        reps={"North": "Ana Ruiz", "South": "Bo Chen"},
        shapes=[("North", _square(-100, 45)), ("South", _square(-95, 30)), ("<West>", [])],
    )
    map_part = html[html.index('<section id="map">') : html.index('<section id="attainment">')]
    # one path per territory with geometry, coloured as the web map colours them
    assert map_part.count("<path") == 2
    assert 'fill="#0072B2"' in map_part and 'fill="#E69F00"' in map_part
    legend = map_part[map_part.index('<ul class="legend">') :]
    assert "Northern Plains — Ana Ruiz" in legend and "Gulf Coast — Bo Chen" in legend
    assert "West &amp; Co (no geometry)" in legend
    # the southern square is drawn below the northern one (y grows downwards)
    paths = re.findall(r'<path d="M([\d.]+) ([\d.]+)', map_part)
    assert float(paths[0][1]) < float(paths[1][1])
    # names, not ids, in the charts and tables
    table = html[html.index('<section id="kpis">') :]
    assert "<td>Northern Plains</td><td>Ana Ruiz</td>" in table
    charts = html[html.index('<section id="attainment">') : html.index('<section id="alerts">')]
    assert "Northern Plains" in charts and "West &amp; Co" in charts
    assert ">North<" not in charts + table and "&lt;West&gt;" not in charts + table
    assert "Realignment recommended</strong> for West &amp; Co, Northern Plains" in html


def test_a_complete_period_shows_attainment_once(inputs: KpiInputs) -> None:
    # as of the quarter's last day the quarter is complete: pace to target == attainment
    kpis = compute_kpis(inputs, as_of=AS_OF, periods=["2026Q1"], dimensions=["territory"])
    rows = kpis.filter(pl.col("attainment").is_not_null())
    assert rows["pace_to_target"].to_list() == rows["attainment"].to_list()
    html = render_report_html(kpis)
    assert "Pace to target, 2026Q1" not in html and "pace to target equals attainment" in html
    # a period still running keeps both charts
    running = compute_kpis(inputs, as_of=date(2026, 2, 15), periods=["2026"])
    assert "Pace to target, 2026" in render_report_html(running)


def test_the_trend_line_ends_with_the_last_month_sold() -> None:
    """Four days into December with no sale yet: this year's line stops at November instead
    of falling to zero; last year's runs the whole year."""
    from terraplan.planning.fiscal import FiscalCalendar
    from terraplan.planning.report_html import _trend_section

    rows = [
        {
            "grain": "month",
            "period_start": date(2026, m, 1),
            "revenue": 100.0 if m < 12 else 0.0,
            "revenue_prior_year": 90.0,
        }
        for m in range(1, 13)
    ]
    html = _trend_section(pl.DataFrame(rows), date(2026, 12, 4), FiscalCalendar())
    lines = [p.split() for p in re.findall(r'<polyline[^>]*points="([^"]*)"', html)]
    assert sorted(len(points) for points in lines) == [11, 12]


def test_alerts_about_reps_name_the_rep(inputs: KpiInputs) -> None:
    """A capacity alert showed 'rep REP-001' in the report for sales leaders."""
    from dataclasses import replace

    from terraplan.planning.alerts import Alert

    kpis = compute_kpis(inputs, as_of=AS_OF)
    alerts = evaluate_alerts(inputs, as_of=AS_OF, kpis=kpis, period="YTD")
    busy = Alert("rep_capacity", "warning", "rep", "R-7", "utilisation", 1.4, 1.0, "140 %")
    alerts = replace(alerts, alerts=(*alerts.alerts, busy))
    names = {("rep", "R-7"): "Ana <Ruiz>"}
    html = render_report_html(kpis, alerts=alerts, as_of=AS_OF, subject_names=names)
    section = html[html.index('<section id="alerts">') :]
    assert "<td>rep Ana &lt;Ruiz&gt;</td>" in section
    assert "R-7" not in section


def test_balance_bars_cut_at_max_bars_pick_the_same_territories_whatever_the_row_order(
    inputs: KpiInputs,
) -> None:
    """Territories tied on their deviation (equal account counts are common) at the cut of
    ``max_bars`` are picked by id, not by the order the balance rows came in."""
    kpis = compute_kpis(inputs, as_of=AS_OF)
    ids = [f"T{i:02d}" for i in range(12)]
    balance = pl.DataFrame(
        {
            "territory_id": ids,
            "metric": ["account_count"] * 12,
            "value": [12.0] * 6 + [8.0] * 6,  # every territory 20 % off the target of 10
            "mean": [10.0] * 12,
            "tolerance": [0.1] * 12,
            "deviation": [0.2] * 6 + [-0.2] * 6,
            "lower": [9.0] * 12,
            "upper": [11.0] * 12,
            "within_tolerance": [False] * 12,
        }
    )
    pages = {
        render_report_html(kpis, balance=frame, as_of=AS_OF, max_bars=5)
        for frame in (
            balance,
            balance.reverse(),
            balance.sample(fraction=1.0, shuffle=True, seed=4),
        )
    }
    assert len(pages) == 1
    page = pages.pop()
    assert all(f">{t}<" in page for t in ids[:5]) and ">T05<" not in page


def _december_sales() -> KpiInputs:
    """Two years of sales to 2 December 2026, with a credit note and lines on 1-3 December
    2025 (the 3rd is after the same days a year earlier)."""
    rows = [
        ("A1", date(2025, 1, 15), 400.0),
        ("A2", date(2025, 6, 30), 250.0),
        ("A1", date(2025, 11, 20), 300.0),
        ("A1", date(2025, 12, 1), 100.0),
        ("A2", date(2025, 12, 2), 20.0),
        ("A2", date(2025, 12, 3), 5000.0),
        ("A1", date(2025, 12, 24), 4000.0),
        ("A1", date(2026, 3, 3), 900.0),
        ("A2", date(2026, 11, 30), 650.0),
        ("A1", date(2026, 12, 1), 70.0),
        ("A2", date(2026, 12, 2), -10.0),  # a credit note
    ]
    return KpiInputs(
        sales_lines=pl.DataFrame(
            {
                "account_id": [r[0] for r in rows],
                "date": [r[1] for r in rows],
                "amount": [r[2] for r in rows],
            }
        ),
        accounts=pl.DataFrame({"id": ["A1", "A2"]}),
        alignment=pl.DataFrame({"account_id": ["A1", "A2"], "territory_id": ["North", "South"]}),
    )


def _trend(html: str) -> str:
    start = html.index('<section id="trend">')
    return html[start : html.index("</section>", start)]


def test_the_month_to_date_is_marked_and_compared_like_for_like() -> None:
    """As of 2 December the chart's December is two days long: labelled "to 2 Dec", drawn
    hollow with a dashed segment, and a note gives 60 against the 120 of 1-2 December 2025
    (all of December 2025, which the grey line plots: 9,120)."""
    kpis = compute_kpis(_december_sales(), as_of=date(2026, 12, 2), dimensions=["territory"])
    trend = _trend(render_report_html(kpis, as_of=date(2026, 12, 2)))
    assert ">to 2 Dec</text>" in trend and ">Dec</text>" not in trend
    assert trend.count('class="partial"') == 2  # the dashed segment and the hollow point
    assert (
        "Dec 2026 runs to 2 Dec (the reporting day): 60, against 120 on 1–2 Dec 2025; all of "
        "Dec 2025, as drawn: 9,120." in unescape(trend)
    )


def test_a_month_ending_on_the_reporting_day_is_not_marked() -> None:
    kpis = compute_kpis(_december_sales(), as_of=date(2026, 11, 30), dimensions=["territory"])
    trend = _trend(render_report_html(kpis, as_of=date(2026, 11, 30)))
    assert "partial" not in trend and "runs to" not in trend and ">Nov</text>" in trend


def test_the_chart_says_where_last_years_line_starts() -> None:
    """The history starts in January 2025: FY2026 from February (fiscal) has all its months;
    with a calendar year, 2025 has all of them too; a history from June 2025 leaves the
    first five months of 2025 out, and the chart says so under it."""
    inputs = _december_sales()
    full = compute_kpis(inputs, as_of=date(2026, 12, 2), dimensions=["territory"])
    assert "no sales history" not in _trend(render_report_html(full, as_of=date(2026, 12, 2)))
    sales = inputs.frame("sales_lines")
    assert sales is not None
    later = KpiInputs(
        sales_lines=sales.filter(pl.col("date") >= date(2025, 6, 1)).collect(),
        accounts=inputs.frame("accounts"),
        alignment=inputs.frame("alignment"),
    )
    kpis = compute_kpis(later, as_of=date(2026, 12, 2), dimensions=["territory"])
    trend = unescape(_trend(render_report_html(kpis, as_of=date(2026, 12, 2))))
    assert "2025's line starts in Jun 2025: there is no sales history before it." in trend
    assert "2026's line" not in trend
