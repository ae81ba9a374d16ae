"""Hand-made inline SVG charts (no external resources): bars, tolerance bands and lines.

Each function returns an ``<svg>`` element as text, ready to paste into an HTML5 page (no
XML namespace attribute is needed inline). All labels are HTML-escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from terraplan.domain.amounts import compact_amount

GOOD = "#2e7d32"
WARN = "#ef6c00"
BAD = "#c62828"
NEUTRAL = "#1565c0"
MUTED = "#9e9e9e"
SERIES_COLOURS = ("#1565c0", "#9e9e9e", "#6a1b9a", "#00838f")

_LABEL_WIDTH = 150
_ROW = 22
_WIDTH = 720


def _fmt(value: float, percent: bool) -> str:
    return f"{value:.0%}" if percent else compact_amount(value)


def _nice_step(raw: float) -> float:
    """A round tick step (1, 2 or 5 x a power of ten) close to ``raw``."""
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return float(factor * power)
    return float(10 * power)


def _text(
    x: float, y: float, text: str, *, anchor: str = "start", size: int = 12, cls: str = ""
) -> str:
    klass = f' class="{cls}"' if cls else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{klass}>'
        f"{escape(text)}</text>"
    )


def _svg(height: float, body: list[str], title: str) -> str:
    return (
        f'<svg viewBox="0 0 {_WIDTH} {height:.0f}" width="100%" role="img" '
        f'aria-label="{escape(title)}" class="chart">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def bar_chart(
    items: Sequence[tuple[str, float | None]],
    *,
    title: str,
    reference: float | None = 1.0,
    percent: bool = True,
    warn_below: float | None = 0.9,
) -> str:
    """Horizontal bars, one per ``(label, value)``; None shows "n/a".

    A dashed line marks ``reference`` (e.g. 100 % attainment). Bars at or above the reference
    are green, above ``warn_below`` amber, else red (when no reference: blue).
    """
    values = [v for _, v in items if v is not None]
    top = max([*values, reference or 0.0, 0.0]) or 1.0
    low = min([*values, 0.0])
    span = top - low or 1.0
    plot = _WIDTH - _LABEL_WIDTH - 70
    height = 30 + _ROW * max(len(items), 1) + 10

    def x_of(v: float) -> float:
        return _LABEL_WIDTH + (v - low) / span * plot

    body = [_text(8, 18, title, size=14, cls="chart-title")]
    zero = x_of(0.0)
    for i, (label, value) in enumerate(items):
        y = 30 + i * _ROW
        body.append(_text(_LABEL_WIDTH - 6, y + 14, label, anchor="end"))
        if value is None:
            body.append(_text(zero + 4, y + 14, "n/a", cls="muted"))
            continue
        if reference is None:
            colour = NEUTRAL
        elif value >= reference:
            colour = GOOD
        elif warn_below is not None and value >= warn_below:
            colour = WARN
        else:
            colour = BAD
        left, right = sorted((zero, x_of(value)))
        body.append(
            f'<rect x="{left:.1f}" y="{y + 3}" width="{max(right - left, 1):.1f}" height="{_ROW - 6}" '
            f'fill="{colour}" rx="2"><title>{escape(label)}: {escape(_fmt(value, percent))}</title></rect>'
        )
        body.append(_text(right + 4, y + 14, _fmt(value, percent)))
    if reference is not None:
        rx = x_of(reference)
        body.append(
            f'<line x1="{rx:.1f}" y1="26" x2="{rx:.1f}" y2="{height - 6:.1f}" stroke="#424242" '
            f'stroke-dasharray="4 3"/>'
        )
        body.append(_text(rx, height - 0.5, _fmt(reference, percent), anchor="middle", size=10))
    return _svg(height + 6, body, title)


def band_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    mean: float,
    lower: float,
    upper: float,
) -> str:
    """Horizontal bars with the tolerance band ``[lower, upper]`` shaded and the mean marked.

    Bars inside the band are blue, outside red.
    """
    top = max([v for _, v in items] + [upper, 0.0]) or 1.0
    plot = _WIDTH - _LABEL_WIDTH - 70
    height = 30 + _ROW * max(len(items), 1) + 10

    def x_of(v: float) -> float:
        return _LABEL_WIDTH + max(v, 0.0) / top * plot

    body = [_text(8, 18, title, size=14, cls="chart-title")]
    body.append(
        f'<rect x="{x_of(lower):.1f}" y="26" width="{max(x_of(upper) - x_of(lower), 1):.1f}" '
        f'height="{height - 32:.1f}" fill="#e3f2fd" class="band"/>'
    )
    for i, (label, value) in enumerate(items):
        y = 30 + i * _ROW
        inside = lower - 1e-9 <= value <= upper + 1e-9
        body.append(_text(_LABEL_WIDTH - 6, y + 14, label, anchor="end"))
        body.append(
            f'<rect x="{_LABEL_WIDTH}" y="{y + 5}" width="{max(x_of(value) - _LABEL_WIDTH, 1):.1f}" '
            f'height="{_ROW - 10}" fill="{NEUTRAL if inside else BAD}" rx="2">'
            f"<title>{escape(label)}: {escape(_fmt(value, False))}</title></rect>"
        )
        body.append(_text(x_of(value) + 4, y + 14, _fmt(value, False)))
    mx = x_of(mean)
    body.append(
        f'<line x1="{mx:.1f}" y1="26" x2="{mx:.1f}" y2="{height - 6:.1f}" stroke="#424242" '
        f'stroke-width="1.5"/>'
    )
    body.append(_text(mx, height - 0.5, f"mean {_fmt(mean, False)}", anchor="middle", size=10))
    return _svg(height + 6, body, title)


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    title: str,
    partial: tuple[int, int] | None = None,
) -> str:
    """Lines over ``labels`` (x axis), one per ``(name, values)``; None leaves a gap.
    ``partial`` = ``(series, index)``: that point is a period still running (a month to
    date), drawn hollow and joined to its neighbours by dashed segments."""
    height = 260
    left, right, top_y, bottom_y = 70, _WIDTH - 20, 40, height - 40
    values = [v for _, vs in series for v in vs if v is not None]
    hi = max([*values, 0.0]) or 1.0
    lo = min([*values, 0.0])
    span = hi - lo or 1.0
    n = max(len(labels), 2)

    def xy(i: int, v: float) -> tuple[float, float]:
        return (
            left + i * (right - left) / (n - 1),
            bottom_y - (v - lo) / span * (bottom_y - top_y),
        )

    body = [_text(8, 18, title, size=14, cls="chart-title")]
    step = _nice_step(span / 4)
    tick = math.ceil(lo / step - 1e-9) * step
    while tick <= hi + 1e-9 * span:
        _, y = xy(0, tick)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#eeeeee"/>')
        body.append(_text(left - 6, y + 4, _fmt(tick, False), anchor="end", size=10))
        tick += step
    for i, label in enumerate(labels):
        x, _ = xy(i, lo)
        body.append(_text(x, bottom_y + 16, label, anchor="middle", size=10))
    for s, (name, vs) in enumerate(series):
        colour = SERIES_COLOURS[s % len(SERIES_COLOURS)]
        cut = partial[1] if partial is not None and partial[0] == s else None
        runs: list[list[tuple[float, float]]] = [[]]
        dashed: list[tuple[tuple[float, float], tuple[float, float]]] = []
        for i, v in enumerate(vs):
            if v is None:
                runs.append([])
                continue
            if cut is not None and cut in (i, i - 1) and runs[-1]:
                # the running period's segments are dashed, apart from the solid line
                dashed.append((runs[-1][-1], xy(i, v)))
                runs.append([])
            runs[-1].append(xy(i, v))
        for run in runs:
            if len(run) > 1:
                points = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                body.append(
                    f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"'
                    f' class="series"/>'
                )
        for (x1, y1), (x2, y2) in dashed:
            body.append(
                f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                f'stroke="{colour}" stroke-width="2" stroke-dasharray="5 4" class="partial"/>'
            )
        for i, v in enumerate(vs):
            if v is None:
                continue
            x, y = xy(i, v)
            if i == cut:
                body.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#ffffff" '
                    f'stroke="{colour}" stroke-width="2" class="partial"/>'
                )
            else:
                body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>')
        lx = left + s * 160
        body.append(f'<rect x="{lx}" y="{height - 14}" width="12" height="4" fill="{colour}"/>')
        body.append(_text(lx + 16, height - 8, name, size=11))
    return _svg(height, body, title)


#: Territory fill colours, as in the web map (Okabe-Ito first: distinguishable with common
#: colour blindness), then golden-angle hues for larger plans.
MAP_COLOURS = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999",
    "#882255", "#44AA99", "#117733", "#DDCC77", "#332288", "#AA4499", "#88CCEE",
)  # fmt: skip
_MAP_WIDTH = 720
_MAP_MAX_HEIGHT = 520


def map_colour(index: int) -> str:
    """The fill colour of the ``index``-th territory (the web map's order)."""
    if index < len(MAP_COLOURS):
        return MAP_COLOURS[index]
    hue = (index * 137.508) % 360
    light = (45, 60, 35)[index % 3]
    return f"hsl({hue:.0f},65%,{light}%)"


Ring = Sequence[Sequence[float]]


def territory_map(
    shapes: Sequence[tuple[str, str, Sequence[Sequence[Ring]]]], *, title: str = "Territories"
) -> str:
    """An inline SVG map: ``shapes`` are ``(label, colour, polygons)`` with polygons as
    GeoJSON MultiPolygon coordinates (longitude, latitude in degrees).

    Projection: equirectangular around the shapes' mean latitude (x = longitude x
    cos(mean latitude), y = latitude, flipped), fitted to a 720-wide box — close enough to an
    equal-area view over a country, and dependency-free. Points closer than half a pixel to
    the previous one are dropped, so a plan of 3,000 counties stays a small document.
    """
    points = [
        (float(p[0]), float(p[1]))
        for _, _, polygons in shapes
        for polygon in polygons
        for ring in polygon
        for p in ring
    ]
    if not points:
        return ""
    mid_lat = sum(p[1] for p in points) / len(points)
    k = math.cos(math.radians(mid_lat))
    xs = [p[0] * k for p in points]
    ys = [p[1] for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    span_x, span_y = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
    pad = 8.0
    scale = min((_MAP_WIDTH - 2 * pad) / span_x, (_MAP_MAX_HEIGHT - 2 * pad) / span_y)
    height = span_y * scale + 2 * pad

    def ring_path(ring: Ring) -> str:
        out: list[str] = []
        last: tuple[float, float] | None = None
        for p in ring:
            x = pad + (float(p[0]) * k - x0) * scale
            y = pad + (y1 - float(p[1])) * scale
            if last is not None and abs(x - last[0]) + abs(y - last[1]) < 0.5:
                continue
            out.append(f"{x:.1f} {y:.1f}")
            last = (x, y)
        return ("M" + "L".join(out) + "Z") if len(out) >= 3 else ""

    body = []
    for label, colour, polygons in shapes:
        d = "".join(ring_path(ring) for polygon in polygons for ring in polygon)
        if d:
            body.append(
                f'<path d="{d}" fill="{escape(colour)}" fill-rule="evenodd" stroke="#ffffff" '
                f'stroke-width="0.8"><title>{escape(label)}</title></path>'
            )
    return (
        f'<svg viewBox="0 0 {_MAP_WIDTH} {height:.0f}" width="100%" role="img" '
        f'aria-label="{escape(title)}" class="chart map">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )
