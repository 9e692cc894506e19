"""Latency distribution per alert topic: one histogram row per topic (seconds from sending the
record an alert names to the observer seeing the alert), with p50, p95 and max. Pure."""

from __future__ import annotations

import math
from collections.abc import Sequence

from scenario_runner.report_chart import esc, format_number, nice_ticks
from scenario_runner.report_map import TOPIC_MARKS

WIDTH, ROW_H, LEFT, RIGHT, BINS = 900, 70, 170, 150, 30


def percentile(ordered: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def histogram(values: Sequence[float], low: float, high: float, bins: int = BINS) -> list[int]:
    counts = [0] * bins
    width = (high - low) / bins if high > low else 1.0
    for value in values:
        counts[min(bins - 1, max(0, int((value - low) / width)))] += 1
    return counts


def latency_svg(samples: dict[str, Sequence[float]]) -> str:
    """`samples`: topic -> latencies in seconds. The x axis is shared by every topic."""
    rows = [(topic, sorted(values)) for topic, values in sorted(samples.items()) if values]
    if not rows:
        return "<p class='empty' id='latency'>No alert could be matched to the record it names.</p>"
    top_value = max(values[-1] for _, values in rows)
    ticks = nice_ticks(0.0, top_value if top_value > 0 else 1.0, 6)
    high = ticks[-1]
    plot_w = WIDTH - LEFT - RIGHT
    height = ROW_H * len(rows) + 24
    parts = []
    for index, (topic, values) in enumerate(rows):
        top = index * ROW_H + 4
        counts = histogram(values, 0.0, high)
        tallest = max(counts)
        bar_w = plot_w / BINS
        fill = TOPIC_MARKS.get(topic, "#555")
        p50, p95 = percentile(values, 50), percentile(values, 95)
        parts.append(
            f"<g class='latency-topic' data-topic='{esc(topic)}' data-n='{len(values)}' data-p50='{p50}' "
            f"data-p95='{p95}' data-max='{values[-1]}'>"
            f"<text x='4' y='{top + 22}'>{esc(topic)}</text>"
            f"<text x='4' y='{top + 38}' class='muted'>n={len(values)}</text>"
        )
        for b, count in enumerate(counts):
            if count:
                h = count / tallest * (ROW_H - 18)
                parts.append(
                    f"<rect x='{LEFT + b * bar_w + 0.5:.1f}' y='{top + ROW_H - 14 - h:.1f}' width='{bar_w - 1:.1f}' "
                    f"height='{h:.1f}' fill='{fill}'><title>{count} alerts, {b * high / BINS:g}-"
                    f"{(b + 1) * high / BINS:g} s</title></rect>"
                )
        for name, value in (("p50", p50), ("p95", p95)):
            vx = LEFT + value / high * plot_w
            parts.append(
                f"<line x1='{vx:.1f}' x2='{vx:.1f}' y1='{top + 2}' y2='{top + ROW_H - 14}' class='pct'/>"
                f"<text x='{vx + 2:.1f}' y='{top + 10}' class='muted'>{name}</text>"
            )
        parts.append(
            f"<text x='{WIDTH - RIGHT + 8}' y='{top + 22}'>p50 {format_number(p50)} s</text>"
            f"<text x='{WIDTH - RIGHT + 8}' y='{top + 38}'>p95 {format_number(p95)} s</text>"
            f"<text x='{WIDTH - RIGHT + 8}' y='{top + 54}'>max {format_number(values[-1])} s</text>"
            f"<line x1='{LEFT}' x2='{LEFT + plot_w}' y1='{top + ROW_H - 14}' y2='{top + ROW_H - 14}' class='axis'/></g>"
        )
    for tick in ticks:
        tx = LEFT + tick / high * plot_w
        parts.append(f"<text x='{tx:.1f}' y='{height - 4}' text-anchor='middle'>{format_number(tick)} s</text>")
    return (
        f"<svg id='latency' class='chart' width='{WIDTH}' height='{height}' viewBox='0 0 {WIDTH} {height}'>"
        f"{''.join(parts)}</svg>"
    )
