"""Alert timeline: one row per topic, a dot per message at the UTC clock time the observer saw it,
on a real time axis (HH:MM UTC ticks). Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from scenario_runner.report_chart import clock_label, clock_ticks, esc
from scenario_runner.report_map import TOPIC_MARKS

WIDTH, ROW_H, LEFT, RIGHT = 900, 28, 190, 40


def timeline_svg(events: dict[str, Sequence[tuple[float, str]]], start_s: float | None = None) -> str:
    """`events`: topic -> (epoch s received, label). `start_s`: left end of the axis (e.g. when
    sending began); default the first alert."""
    rows = [(topic, sorted(items)) for topic, items in sorted(events.items()) if items]
    if not rows:
        return "<p class='empty' id='timeline'>No alerts were published.</p>"
    first = min(items[0][0] for _, items in rows)
    last = max(items[-1][0] for _, items in rows)
    low = min(first, start_s) if start_s is not None else first
    high = max(last, low + 1.0)
    span = high - low
    plot_w = WIDTH - LEFT - RIGHT
    height = len(rows) * ROW_H + 34

    def x(epoch_s: float) -> float:
        return round(LEFT + (epoch_s - low) / span * plot_w, 1)

    parts = []
    for tick in clock_ticks(low, high):
        parts.append(
            f"<line x1='{x(tick)}' x2='{x(tick)}' y1='0' y2='{len(rows) * ROW_H}' class='grid'/>"
            f"<text x='{x(tick)}' y='{len(rows) * ROW_H + 14}' text-anchor='middle' class='clock'>"
            f"{clock_label(tick, span)}</text>"
        )
    day = dt.datetime.fromtimestamp(low, dt.UTC)
    parts.append(f"<text x='{LEFT}' y='{height - 2}' class='muted'>UTC, {day:%Y-%m-%d}</text>")
    total = 0
    for row, (topic, items) in enumerate(rows):
        y = row * ROW_H + ROW_H / 2
        fill = TOPIC_MARKS.get(topic, "#444")
        total += len(items)
        parts.append(f"<text x='4' y='{y + 4}'>{esc(topic)} ({len(items)})</text>")
        for at, label in items:
            moment = dt.datetime.fromtimestamp(at, dt.UTC)
            parts.append(
                f"<circle cx='{x(at)}' cy='{y}' r='4' fill='{fill}' opacity='0.75' class='alert-dot' "
                f"data-topic='{esc(topic)}'><title>{moment:%H:%M:%S} UTC {esc(label[:300])}</title></circle>"
            )
    return (
        f"<svg id='timeline' class='chart' width='{WIDTH}' height='{height}' viewBox='0 0 {WIDTH} {height}' "
        f"data-alerts='{total}' data-start='{low:.0f}' data-end='{high:.0f}'>{''.join(parts)}</svg>"
    )
