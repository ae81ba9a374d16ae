"""A self-contained HTML performance report (inline CSS and SVG, no external requests)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from html import escape
from typing import Any

import polars as pl

from terraplan.errors import InvalidParameterError
from terraplan.planning.alerts import AlertReport
from terraplan.planning.fiscal import FiscalCalendar, fiscal_calendar
from terraplan.planning.kpi_charts import (
    band_chart,
    bar_chart,
    line_chart,
    map_colour,
    territory_map,
)
from terraplan.planning.kpi_periods import (
    Period,
    add_months,
    fiscal_year_period,
    in_progress,
    month_period,
    parse_period,
)
from terraplan.planning.kpi_registry import kpi_definition

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
TABLE_KPIS = (
    "revenue",
    "target",
    "attainment",
    "pace_to_target",
    "revenue_growth",
    "open_pipeline",
    "pipeline_coverage",
    "win_rate",
    "penetration",
)

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#212121;
background:#fafafa}
header{background:#263238;color:#fff;padding:18px 32px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#b0bec5;font-size:13px}
main{max-width:1100px;margin:0 auto;padding:20px 32px}
section{background:#fff;border:1px solid #e0e0e0;border-radius:6px;padding:16px 20px;
margin-bottom:18px}
h2{font-size:17px;margin:0 0 10px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:5px 8px;border-bottom:1px solid #eeeeee;text-align:left}
th{background:#f5f5f5;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
.chart text{fill:#424242;font-family:inherit}.chart .muted{fill:#9e9e9e}
.chart .chart-title{font-weight:600}
.sev-critical{color:#c62828;font-weight:600}.sev-warning{color:#ef6c00;font-weight:600}
.recommend{border-left:4px solid #c62828;background:#ffebee;padding:8px 12px}
.ok{border-left:4px solid #2e7d32;background:#e8f5e9;padding:8px 12px}
.note{color:#616161;font-size:12px;margin:0 0 6px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:12px}
.legend{list-style:none;padding:0;margin:8px 0 0;columns:3 14em;font-size:13px}
.swatch{display:inline-block;width:12px;height:12px;border:1px solid #555;margin-right:6px;
vertical-align:-1px}
@media (max-width:900px){.grid{grid-template-columns:1fr}}
"""


def render_report_html(
    kpis: pl.DataFrame,
    *,
    period: str | None = None,
    alerts: AlertReport | None = None,
    balance: pl.DataFrame | None = None,
    title: str = "Territory performance",
    as_of: date | None = None,
    max_bars: int = 40,
    balance_criteria: str | None = None,
    names: Mapping[str, str] | None = None,
    reps: Mapping[str, str] | None = None,
    shapes: Sequence[tuple[str, Sequence[Any]]] | None = None,
    fiscal: FiscalCalendar | int | None = None,
    notes: Sequence[str] = (),
    subject_names: Mapping[tuple[str, str], str] | None = None,
) -> str:
    """Render a one-page report as HTML text (``notes``: plain notes shown under the title,
    such as where revenue came from).

    Args:
        kpis: a :func:`~terraplan.planning.kpis.compute_kpis` frame with ``territory`` rows for
            ``period`` and, for the trend chart, monthly rows of this year and last.
        period: the period to show: a label, or a text :func:`~terraplan.planning.kpi_periods.
            parse_period` reads to one (default "YTD" if present, else the latest period).
        alerts: an :func:`~terraplan.planning.alerts.evaluate_alerts` report.
        balance: a :func:`~terraplan.planning.kpi_balance.territory_balance` frame.
        title: page title; as_of: shown in the header.
        max_bars: most territories per bar chart (those furthest behind or out of balance);
            the KPI table always lists every territory.
        balance_criteria: what the balance is judged by, shown above the balance charts
            (e.g. :meth:`~terraplan.planning.balance_criteria.BalanceCriteria.describe`).
        names: territory id -> name (shown instead of ids; ids are kept for unnamed ones).
        reps: territory id -> its reps' names (the KPI table and the map's legend).
        subject_names: ``(subject_kind, subject_id) -> name`` of the alerts' subjects
            (territories, reps, accounts); a territory missing there goes by ``names``.
        shapes: ``(territory id, MultiPolygon coordinates)`` in the plan's order, for the
            territory map (inline SVG, coloured as in the web map, with a legend).
        fiscal: the fiscal calendar ``kpis`` was computed with: the header names the period's
            months and the trend chart runs over the fiscal year (default: calendar years).

    Returns:
        A complete HTML5 document; charts are inline SVG, styles inline, nothing is fetched.
    """
    territory = (
        kpis.filter(pl.col("dimension") == "territory") if "dimension" in kpis.columns else None
    )
    if territory is None or "period" not in kpis.columns:
        raise InvalidParameterError("kpis must be a compute_kpis frame", details={"field": "kpis"})
    calendar = fiscal_calendar(fiscal)
    period = report_period(territory, period, as_of=as_of, fiscal=calendar)
    rows = territory.filter(pl.col("period") == period).sort("key") if period else territory.head(0)
    label = _Labels(names or {}, reps or {}, subject_names or {})
    sections = [
        _map_section(shapes, label),
        _attainment_section(rows, period, max_bars, label),
        _trend_section(territory, as_of, calendar),
        _balance_section(balance, max_bars, balance_criteria, label),
        _alerts_section(alerts, label),
        _table_section(rows, period, label),
    ]
    shown = period or "-"
    if not rows.is_empty():
        first = rows.row(0, named=True)
        shown = Period(
            first["period_start"], first["period_end"], period or "", first["grain"]
        ).title
    subtitle = f"Period {shown}" + (f" · as of {as_of.isoformat()}" if as_of else "")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{escape(title)}</h1><p>{escape(subtitle)}</p>"
        + "".join(f'<p class="note">{escape(n)}</p>' for n in notes)
        + "</header><main>"
        + "".join(sections)
        + "</main></body></html>\n"
    )


def report_period(
    kpis: pl.DataFrame,
    period: str | None,
    *,
    as_of: date | None = None,
    fiscal: FiscalCalendar | int | None = None,
) -> str | None:
    """The label of the period the report's table shows: ``period`` as a label, or read as
    one (:func:`~terraplan.planning.kpi_periods.parse_period`); by default "YTD" when
    ``kpis`` has it, else its latest period. Raises when ``kpis`` has no rows for it."""
    labels = kpis["period"].unique().to_list()
    if period is not None and period not in labels and period.strip().upper() != "YTD":
        period = parse_period(period, as_of=as_of, fiscal=fiscal_calendar(fiscal)).label
    if period is None:
        if "YTD" in labels:
            period = "YTD"
        elif labels:
            period = kpis.sort("period_end")["period"][-1]
    if period is not None and labels and period not in labels:
        raise InvalidParameterError(
            f"no KPI rows for period {period!r}", details={"field": "period", "value": period}
        )
    return period


class _Labels:
    """Territory and rep names for ids (an id without a name shows as itself)."""

    def __init__(
        self,
        names: Mapping[str, str],
        reps: Mapping[str, str],
        subject_names: Mapping[tuple[str, str], str] | None = None,
    ) -> None:
        self.names = names
        self.reps = reps
        self.subject_names = subject_names or {}

    def __call__(self, territory_id: object) -> str:
        return self.names.get(str(territory_id), str(territory_id))

    def subject(self, kind: str, subject_id: object) -> str:
        """An alert's subject by name, by its kind (an id only when unnamed)."""
        named = self.subject_names.get((kind, str(subject_id)))
        if named is not None:
            return named
        return self(subject_id) if kind == "territory" else str(subject_id)


def _map_section(shapes: Sequence[tuple[str, Sequence[Any]]] | None, label: _Labels) -> str:
    if not shapes:
        return ""
    coloured = [(label(tid), map_colour(i), polygons) for i, (tid, polygons) in enumerate(shapes)]
    svg = territory_map(
        [c for c in coloured if c[2]], title=f"Map of the {len(shapes)} territories"
    )
    items = "".join(
        f'<li><span class="swatch" style="background:{escape(colour)}"></span>{escape(name)}'
        + (f" — {escape(label.reps[tid])}" if label.reps.get(tid) else "")
        + ("" if polygons else " (no geometry)")
        + "</li>"
        for (tid, polygons), (name, colour, _) in zip(shapes, coloured, strict=True)
    )
    return f'<section id="map"><h2>Territories</h2>{svg}<ul class="legend">{items}</ul></section>'


def _attainment_section(
    rows: pl.DataFrame, period: str | None, max_bars: int, label: _Labels
) -> str:
    if rows.is_empty():
        return "<section><h2>Attainment by territory</h2><p>No territories.</p></section>"
    # the territories furthest behind first, those without a target last
    shown = rows.sort("pace_to_target", "key", nulls_last=True).head(max_bars).sort("key")
    note = (
        f'<p class="note">Showing the {shown.height} of {rows.height} territories with the '
        "lowest pace.</p>"
        if shown.height < rows.height
        else ""
    )
    keys = [label(k) for k in shown["key"].to_list()]
    attainment = shown["attainment"].to_list()
    pace = shown["pace_to_target"].to_list()
    chart = bar_chart(
        list(zip(keys, attainment, strict=True)),
        title=f"Attainment vs target, {period}",
        reference=1.0,
    )
    if _same(attainment, pace):
        # a complete period (pace to target is attainment) or no targets: one chart says it
        why = (
            "No territory has a target for this period."
            if all(a is None for a in attainment)
            else "The period has ended by the reporting day (a year to date ends on it): "
            "pace to target equals attainment."
        )
        return (
            '<section id="attainment"><h2>Attainment by territory</h2>'
            f'{note}<p class="note">{why}</p>{chart}</section>'
        )
    pace_chart = bar_chart(
        list(zip(keys, pace, strict=True)), title=f"Pace to target, {period}", reference=1.0
    )
    return (
        '<section id="attainment"><h2>Attainment by territory</h2>'
        f'{note}<div class="grid"><div>{chart}</div><div>{pace_chart}</div></div></section>'
    )


def _same(a: Sequence[float | None], b: Sequence[float | None]) -> bool:
    """Equal lists of figures (None equals None; numbers within 1e-9 relative)."""
    return all(
        (x is None and y is None)
        or (x is not None and y is not None and abs(x - y) <= 1e-9 * max(1.0, abs(x)))
        for x, y in zip(a, b, strict=True)
    )


def _trend_section(territory: pl.DataFrame, as_of: date | None, fiscal: FiscalCalendar) -> str:
    """Monthly revenue over the (fiscal) year holding ``as_of`` against the year before. The
    month still running on ``as_of`` is labelled with the day it runs to and drawn hollow
    and dashed, and a note under the chart gives its like-for-like comparison (the same days
    a year earlier); a line with months before the sales history says where it starts."""
    months = territory.filter(pl.col("grain") == "month")
    if months.is_empty():
        return ""
    day = as_of if as_of else max(months["period_start"].to_list())
    year = fiscal.year_of(day)
    start = fiscal.year_bounds(year)[0]
    position = (
        pl.col("period_start").dt.year().cast(pl.Int64) * 12
        + pl.col("period_start").dt.month().cast(pl.Int64)
        - (start.year * 12 + start.month)
    ).alias("m")
    totals = (
        months.filter(position.is_between(0, 11))
        .group_by(position)
        .agg(
            pl.col("revenue").sum(),
            # a month before the sales history is a gap in the line, not a zero
            pl.when(pl.col("revenue_prior_year").is_null().all())
            .then(None)
            .otherwise(pl.col("revenue_prior_year").sum())
            .alias("revenue_prior_year"),
        )
    )
    this_year: list[float | None] = [None] * 12
    last_year: list[float | None] = [None] * 12
    same_days: list[float | None] = [None] * 12  # last year's to the day (a running month)
    for m, revenue, prior in totals.iter_rows():
        this_year[m] = revenue
        last_year[m] = same_days[m] = prior
    # This year's line ends at its last month with sales: a month just begun (or not yet
    # reported) is not a fall to zero.
    sold = [m for m, value in enumerate(this_year) if value]
    for m in range((sold[-1] + 1) if sold else 0, 12):
        this_year[m] = None
    earlier = (
        months.filter(position.is_between(-12, -1)).group_by(position).agg(pl.col("revenue").sum())
    )
    for m, revenue in earlier.iter_rows():
        last_year[m + 12] = revenue
    names = [MONTHS[(start.month - 1 + i) % 12] for i in range(12)]
    now, before = (fiscal_year_period(y, fiscal).label for y in (year, year - 1))
    running = _running_month(day, start, this_year) if as_of else None
    notes = []
    if running is not None:
        names[running] = f"to {day.day} {names[running]}"
        notes.append(_running_note(day, this_year[running], same_days[running], last_year[running]))
    first = min(months["period_start"].to_list())
    notes.extend(_gap_notes(start, first, now, before))
    chart = line_chart(
        names,
        [(now, this_year), (before, last_year)],
        title=f"Monthly revenue, {now} vs {before} (all territories)",
        partial=(0, running) if running is not None else None,
    )
    said = "".join(f'<p class="note">{escape(n)}</p>' for n in notes)
    return f'<section id="trend"><h2>Revenue trend</h2>{chart}{said}</section>'


def _running_month(day: date, start: date, this_year: Sequence[float | None]) -> int | None:
    """The chart position of the month ``day`` falls in when it is still running on it (not
    its last day) and plotted; else None."""
    month = month_period(day.year, day.month)
    index = (day.year * 12 + day.month) - (start.year * 12 + start.month)
    if not 0 <= index < 12 or not in_progress(month, day) or this_year[index] is None:
        return None
    return index


def _running_note(
    day: date, revenue: float | None, same_days: float | None, whole: float | None
) -> str:
    """Under the chart: the running month to date against the same days a year earlier (and
    that month in full, which the chart plots for last year)."""
    name = MONTHS[day.month - 1]
    text = f"{name} {day.year} runs to {day.day} {name} (the reporting day): {_money(revenue)}"
    days = f"{day.day} {name}" if day.day == 1 else f"1–{day.day} {name}"
    if same_days is not None:
        text += f", against {_money(same_days)} on {days} {day.year - 1}"
    if whole is not None:
        text += f"; all of {name} {day.year - 1}, as drawn: {_money(whole)}"
    return text + "."


def _gap_notes(start: date, first: date, *lines: str) -> list[str]:
    """The chart's lines (``lines``: this year's, last year's, from the fiscal year starting
    on ``start`` back) that start before ``first``, the first month of the figures (the sales
    history): where each starts, or that it has none (one note per line)."""
    out = []
    for back, name in enumerate(lines):
        line_start = add_months(start, -12 * back)
        if line_start >= first:
            continue
        when = f"{MONTHS[first.month - 1]} {first.year}"
        if add_months(line_start, 12) <= first:
            out.append(f"{name} has no figures: the sales history starts in {when}.")
        else:
            out.append(f"{name}'s line starts in {when}: there is no sales history before it.")
    return out


def _money(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def _balance_section(
    balance: pl.DataFrame | None, max_bars: int, criteria: str | None, label: _Labels
) -> str:
    if balance is None or balance.is_empty():
        return ""
    charts = []
    for metric in balance["metric"].unique(maintain_order=True).to_list():  # the plan's own
        part = balance.filter(pl.col("metric") == metric)
        if part.is_empty() or not (part["value"] != 0).any():
            continue
        part = (
            # the id breaks ties (equal account counts are common): the same bars every run
            part.sort(
                pl.col("deviation").abs(),
                pl.col("territory_id"),
                descending=[True, False],
                nulls_last=True,
            )
            .head(max_bars)
            .sort("territory_id")
        )
        first = part.row(0, named=True)
        charts.append(
            band_chart(
                list(
                    zip(
                        [label(t) for t in part["territory_id"].to_list()],
                        part["value"].to_list(),
                        strict=True,
                    )
                ),
                title=f"{metric.replace('_', ' ').capitalize()} per territory "
                f"(band: {'target' if criteria else 'mean'} ±{first['tolerance']:.0%})",
                mean=first["mean"],
                lower=first["lower"],
                upper=first["upper"],
            )
        )
    cells = "".join(f"<div>{c}</div>" for c in charts)
    judged = f"<p>Judged by: {escape(criteria)}</p>" if criteria else ""
    return (
        f'<section id="balance"><h2>Balance</h2>{judged}<div class="grid">{cells}</div></section>'
    )


def _alerts_section(alerts: AlertReport | None, label: _Labels) -> str:
    if alerts is None:
        return ""
    advice = alerts.realignment
    if advice.recommended:
        box = (
            '<div class="recommend"><strong>Realignment recommended</strong> for '
            f"{escape(', '.join(label(t) for t in advice.territories))}.<ul>"
            + "".join(f"<li>{escape(r)}</li>" for r in advice.reasons)
            + "</ul></div>"
        )
    else:
        box = '<div class="ok">No realignment needed.</div>'
    if not alerts.alerts:
        table = "<p>No alerts.</p>"
    else:
        body = "".join(
            f'<tr><td class="sev-{escape(a.severity)}">{escape(a.severity)}</td>'
            f"<td>{escape(a.kind)}</td><td>{escape(a.subject_kind)} "
            f"{escape(label.subject(a.subject_kind, a.subject_id))}</td>"
            f"<td>{escape(a.reason)}</td></tr>"
            for a in alerts.alerts
        )
        table = (
            '<table class="alerts"><thead><tr><th>Severity</th><th>Alert</th><th>Subject</th>'
            f"<th>Reason</th></tr></thead><tbody>{body}</tbody></table>"
        )
    return f'<section id="alerts"><h2>Alerts ({len(alerts.alerts)})</h2>{box}{table}</section>'


def _cell(name: str, value: object) -> str:
    if value is None:
        return '<td class="num">–</td>'
    unit = kpi_definition(name).unit
    number = float(value)  # type: ignore[arg-type]
    text = (
        f"{number:.0%}"
        if unit == "ratio" and name != "pipeline_coverage"
        else (f"{number:.2f}x" if name == "pipeline_coverage" else f"{number:,.0f}")
    )
    return f'<td class="num">{escape(text)}</td>'


def _table_section(rows: pl.DataFrame, period: str | None, label: _Labels) -> str:
    if rows.is_empty():
        return ""
    head = "".join(f"<th>{escape(kpi_definition(k).label)}</th>" for k in TABLE_KPIS)
    rep_head = "<th>Rep</th>" if label.reps else ""
    body = "".join(
        f"<tr><td>{escape(label(r['key']))}</td>"
        + (f"<td>{escape(label.reps.get(str(r['key']), ''))}</td>" if label.reps else "")
        + "".join(_cell(k, r[k]) for k in TABLE_KPIS)
        + "</tr>"
        for r in rows.iter_rows(named=True)
    )
    return (
        f'<section id="kpis"><h2>Territory KPIs, {escape(period or "")}</h2>'
        f"<table><thead><tr><th>Territory</th>{rep_head}{head}</tr></thead><tbody>{body}</tbody></table>"
        "</section>"
    )
