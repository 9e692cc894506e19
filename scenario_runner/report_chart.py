"""Chart primitives shared by the run report and the load/soak pages: escaping, axis ticks, UTC
clock ticks and a line chart. Pure functions from data to SVG text; no I/O.

Every chart carries `data-*` attributes with the figures it draws (counts, totals, last values), so
a test reading the rendered page in a browser can check the picture holds the run's numbers.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Callable, Iterable, Sequence

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf")
CLOCK_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round values covering [low, high] (steps of 1, 2 or 5 x 10^n)."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0]
    if high <= low:
        high = low + 1.0
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks, value = [round(first, 10)], first
    while value < high - step * 1e-9:  # the last tick is at or above `high`
        value += step
        ticks.append(round(value, 10))
    return ticks


def clock_ticks(start_s: float, end_s: float, count: int = 6) -> list[float]:
    """Epoch seconds on whole clock steps (1 s ... 1 day) between start_s and end_s, about `count`."""
    span = max(end_s - start_s, 1.0)
    step = next((s for s in CLOCK_STEPS_S if span / s <= count), CLOCK_STEPS_S[-1])
    first = math.ceil(start_s / step) * step
    return [float(t) for t in range(int(first), int(end_s) + 1, step)]


def clock_label(epoch_s: float, span_s: float) -> str:
    """'HH:MM' UTC ('HH:MM:SS' for spans under 10 minutes)."""
    moment = dt.datetime.fromtimestamp(epoch_s, dt.UTC)
    return moment.strftime("%H:%M:%S" if span_s < 600 else "%H:%M")


def format_hhmm(seconds: float) -> str:
    minutes = int(round(seconds / 60))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def format_number(value: float) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}".rstrip("0").rstrip(".") if value else "0"


def line_chart(
    chart_id: str,
    series: dict[str, Sequence[tuple[float, float]]],
    *,
    width: int = 900,
    height: int = 220,
    y_unit: str = "",
    x_label: Callable[[float, float], str] | None = None,
    reference: dict[str, float] | None = None,
    fits: dict[str, tuple[float, float, float, float]] | None = None,
    bands: dict[str, tuple[float, float, float, float]] | None = None,
) -> str:
    """One SVG line chart: a polyline per series (x, y points, x in seconds: epoch when `x_label` is
    clock_label, else seconds since the start), dashed horizontal `reference` lines (e.g. a target
    rate), `fits` as dashed segments (x0, y0, x1, y1) per series (a fitted slope) and `bands` as a
    shaded tolerance (x0, x1, y_low, y_high). Empty series are left out; no points at all gives a
    short note instead of a chart."""
    drawn = {name: sorted(points) for name, points in series.items() if points}
    if not drawn:
        return f"<p class='empty' id='{esc(chart_id)}'>No data.</p>"
    label = x_label or (lambda x, span: f"{x:g} s")
    xs = [x for points in drawn.values() for x, _ in points]
    ys = [y for points in drawn.values() for _, y in points]
    ys += list((reference or {}).values())
    for _, _, low, high in (bands or {}).values():
        ys += [low, high]
    for _, y0, _, y1 in (fits or {}).values():
        ys += [y0, y1]
    x_low, x_high = min(xs), max(xs)
    if x_high <= x_low:
        x_high = x_low + 1.0
    y_ticks = nice_ticks(min(0.0, min(ys)), max(ys) if max(ys) > 0 else 1.0)
    y_low, y_high = y_ticks[0], y_ticks[-1]
    if y_high <= y_low:
        y_high = y_low + 1.0
    left, right, top, bottom = 64, 170, 10, 26
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return round(left + (x - x_low) / (x_high - x_low) * plot_w, 1)

    def py(y: float) -> float:
        return round(top + plot_h - (y - y_low) / (y_high - y_low) * plot_h, 1)

    parts = [f"<rect x='{left}' y='{top}' width='{plot_w}' height='{plot_h}' class='plot'/>"]
    for y in y_ticks:
        parts.append(
            f"<line x1='{left}' x2='{left + plot_w}' y1='{py(y)}' y2='{py(y)}' class='grid'/>"
            f"<text x='{left - 4}' y='{py(y) + 4}' text-anchor='end'>{esc(format_number(y))}</text>"
        )
    span = x_high - x_low
    ticks = clock_ticks(x_low, x_high) if x_label is clock_label else nice_ticks(x_low, x_high, 6)
    for x in ticks:
        if x_low <= x <= x_high:
            parts.append(
                f"<line x1='{px(x)}' x2='{px(x)}' y1='{top + plot_h}' y2='{top + plot_h + 4}' class='axis'/>"
                f"<text x='{px(x)}' y='{height - 8}' text-anchor='middle'>{esc(label(x, span))}</text>"
            )
    parts.append(f"<text x='4' y='{top + 10}' class='unit'>{esc(y_unit)}</text>")
    for name, (x0, x1, low, high) in sorted((bands or {}).items()):
        band_w, band_h = max(px(x1) - px(x0), 1), max(py(low) - py(high), 1)
        parts.append(
            f"<rect x='{px(x0)}' y='{py(high)}' width='{band_w}' height='{band_h}' "
            f"class='band' data-series='{esc(name)}' data-low='{low}' data-high='{high}'>"
            f"<title>{esc(name)} tolerance {format_number(low)} to {format_number(high)} {esc(y_unit)}</title></rect>"
        )
    legend_y = top + 12
    for index, (name, points) in enumerate(sorted(drawn.items())):
        stroke = colour(index)
        line = " ".join(f"{px(x)},{py(y)}" for x, y in points)
        last = points[-1][1]
        parts.append(
            f"<polyline points='{line}' fill='none' stroke='{stroke}' stroke-width='1.6' class='series' "
            f"data-series='{esc(name)}' data-n='{len(points)}' data-last='{last}' "
            f"data-max='{max(y for _, y in points)}'><title>{esc(name)}</title></polyline>"
        )
        if fits and name in fits:
            x0, y0, x1, y1 = fits[name]
            parts.append(
                f"<line x1='{px(x0)}' y1='{py(y0)}' x2='{px(x1)}' y2='{py(y1)}' stroke='{stroke}' "
                f"stroke-dasharray='6 3' stroke-width='2' class='fit' data-series='{esc(name)}'/>"
            )
        end_x, end_y = px(points[-1][0]), py(last)
        parts.append(f"<circle cx='{end_x}' cy='{end_y}' r='2.5' fill='{stroke}'/>")  # shows a lone point too
        parts.append(
            f"<rect x='{width - right + 8}' y='{legend_y - 8}' width='10' height='10' fill='{stroke}'/>"
            f"<text x='{width - right + 22}' y='{legend_y + 1}'>{esc(_short(name))} {esc(format_number(last))}</text>"
        )
        legend_y += 16
    for name, value in sorted((reference or {}).items()):
        parts.append(
            f"<line x1='{left}' x2='{left + plot_w}' y1='{py(value)}' y2='{py(value)}' class='reference' "
            f"data-reference='{esc(name)}' data-value='{value}'/>"
            f"<text x='{left + plot_w - 4}' y='{py(value) - 4}' text-anchor='end' class='reference-label'>"
            f"{esc(name)} {esc(format_number(value))}</text>"
        )
    return (
        f"<svg id='{esc(chart_id)}' class='chart' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' data-series-count='{len(drawn)}'>{''.join(parts)}</svg>"
    )


def _short(name: str, limit: int = 26) -> str:
    return name if len(name) <= limit else "…" + name[-(limit - 1) :]


def seconds_since(points: Iterable[tuple[float, float]], origin: float) -> list[tuple[float, float]]:
    return [(round(x - origin, 3), y) for x, y in points]


CSS = """body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
table{border-collapse:collapse;margin-bottom:1em}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;
font-size:14px}.pass{color:#2ca02c}.fail{color:#d62728}svg text{font-size:11px;fill:#333}
svg .plot{fill:#fafbfc;stroke:#ccc}svg .grid{stroke:#e4e4e4}svg .axis{stroke:#999}
svg .reference{stroke:#444;stroke-dasharray:4 4}svg .band{fill:rgba(44,160,44,.12);stroke:none}
.chart{display:block;margin:.4em 0 1.2em}.empty{color:#777;font-style:italic}
figure{margin:0 0 1.4em}figcaption{font-size:13px;color:#555;margin:.2em 0}"""
