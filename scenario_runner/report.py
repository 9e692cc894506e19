"""The run report: one self-contained HTML page (inline SVG, no external assets) with the
summary, the outcome checks, the CloudWatch alarm state changes, a map of vehicle tracks and
geofences, and a timeline of alerts."""

from __future__ import annotations

import html
import math
from pathlib import Path

TOPIC_COLOURS = {
    "vehicle-alerts": "#d62728",
    "maintenance-required": "#ff7f0e",
    "hos-violations": "#9467bd",
    "compliance-summary": "#2ca02c",
    "geofence-alerts": "#1f77b4",
    "driver-coaching": "#8c564b",
    "ops-alarms": "#7f7f7f",
}
MAP_W, MAP_H = 900, 520
TIMELINE_W, ROW_H = 900, 28


def render(result) -> str:
    """HTML for a scenario_runner.run.RunResult."""
    scenario = result.scenario
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>fleettap run: "
        f"{_e(scenario.name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Scenario {_e(scenario.name)} "
        f"<span class='{'pass' if result.passed else 'fail'}'>"
        f"{'PASSED' if result.passed else 'FAILED'}</span></h1>",
        f"<p>{_e(scenario.description)}</p>",
        _summary(result),
        _outcomes(result),
        _alarms(result),
        "<h2>Tracks and geofences</h2>",
        map_svg(result.tracks, scenario.geofences),
        "<h2>Alerts over time</h2>",
        timeline_svg(result.observed.topics, result.sent_span_s),
        "</body></html>",
    ]
    return "".join(parts)


def write(result, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{result.scenario.name}-{result.stamp}.html"
    path.write_text(render(result))
    return path


def _summary(result) -> str:
    rows = [
        ("vehicles", result.scenario.fleet.vehicles),
        ("simulated", f"{result.scenario.fleet.duration_s / 3600:.2f} h from {result.start}"),
        ("records sent", result.sink_stats.get("records", 0)),
        *((f"  {kind}", count) for kind, count in sorted(result.sink_stats.get("by_kind", {}).items())),
        ("throttled / failed", f"{result.sink_stats.get('throttled', 0)} / {result.sink_stats.get('failed', 0)}"),
        ("send time", f"{result.send_s:.1f} s"),
        ("drain time", f"{result.drain_s:.1f} s"),
    ]
    for topic, messages in sorted(result.observed.topics.items()):
        if messages:
            rows.append((f"alerts: {topic}", len(messages)))
    for name, latency in sorted(result.latencies.items()):
        rows.append((f"latency {name}", latency))
    for section in ("dynamodb", "aurora", "s3"):
        for name, count in sorted(getattr(result.observed, section).items()):
            rows.append((f"{section} {name}", count))
    body = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return f"<h2>Summary</h2><table>{body}</table>"


def _outcomes(result) -> str:
    body = "".join(
        f"<tr class='{'pass' if o.ok else 'fail'}'><td>{'✓' if o.ok else '✗'}</td>"
        f"<td>{_e(o.name)}</td><td>{_e(o.detail)}</td></tr>"
        for o in result.outcomes
    )
    return f"<h2>Expected outcomes</h2><table>{body}</table>"


def _alarms(result) -> str:
    changes = getattr(result.observed, "alarms", None) or []
    if not changes:
        return "<h2>Alarm state changes</h2><p>No CloudWatch alarm changed state during the run.</p>"
    body = "".join(
        f"<tr class='{'fail' if c['new'] == 'ALARM' else 'pass'}'><td>{_e(c['at'] or '')}</td>"
        f"<td>{_e(c['alarm'])}</td><td>{_e(c['old'])} &rarr; {_e(c['new'])}</td><td>{_e(c['reason'])}</td></tr>"
        for c in changes
    )
    return (
        "<h2>Alarm state changes</h2><table><tr><th>at</th><th>alarm</th><th>change</th><th>reason</th></tr>"
        f"{body}</table>"
    )


def map_svg(tracks: dict, geofences: list) -> str:
    """Vehicle tracks (lat/lon lists) and geofences on an equirectangular projection of their extent."""
    points = [p for track in tracks.values() for p in track]
    for fence in geofences:
        if fence.get("shape") == "circle":
            points.append((fence["center_lat"], fence["center_lon"]))
        points.extend(tuple(v) for v in fence.get("vertices") or [])
    if not points:
        return "<p>No positions recorded.</p>"
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    south, north, west, east = min(lats), max(lats), min(lons), max(lons)
    pad_lat, pad_lon = max((north - south) * 0.08, 0.02), max((east - west) * 0.08, 0.02)
    south, north, west, east = south - pad_lat, north + pad_lat, west - pad_lon, east + pad_lon
    aspect = math.cos(math.radians((south + north) / 2))
    scale = min(MAP_W / ((east - west) * aspect), MAP_H / (north - south))

    def xy(lat, lon):
        return (round((lon - west) * aspect * scale, 1), round((north - lat) * scale, 1))

    shapes = []
    for fence in geofences:
        label = _e(f"{fence.get('name', fence.get('geofence_id'))} ({', '.join(fence.get('alert_on', []))})")
        if fence.get("shape") == "circle":
            x, y = xy(fence["center_lat"], fence["center_lon"])
            radius = fence["radius_m"] / 111_320 * scale
            shapes.append(
                f"<circle cx='{x}' cy='{y}' r='{max(radius, 2):.1f}' class='fence'><title>{label}</title></circle>"
            )
        else:
            corners = " ".join(f"{x},{y}" for x, y in (xy(*v) for v in fence["vertices"]))
            shapes.append(f"<polygon points='{corners}' class='fence'><title>{label}</title></polygon>")
    for index, (vehicle, track) in enumerate(sorted(tracks.items())):
        colour = f"hsl({index * 47 % 360},70%,40%)"
        line = " ".join(f"{x},{y}" for x, y in (xy(lat, lon) for lat, lon in track))
        shapes.append(
            f"<polyline points='{line}' fill='none' stroke='{colour}' stroke-width='1.5'>"
            f"<title>{_e(vehicle)}</title></polyline>"
        )
        if track:
            x, y = xy(*track[-1])
            shapes.append(f"<circle cx='{x}' cy='{y}' r='3' fill='{colour}'><title>{_e(vehicle)}</title></circle>")
    return f"<svg width='{MAP_W}' height='{MAP_H}' viewBox='0 0 {MAP_W} {MAP_H}' class='map'>{''.join(shapes)}</svg>"


def timeline_svg(topics: dict, span_s: float) -> str:
    """One row per topic; a dot per message at its arrival time since sending began."""
    rows = [(topic, messages) for topic, messages in sorted(topics.items()) if messages]
    if not rows:
        return "<p>No alerts were published.</p>"
    first = min(m.received_at for _, messages in rows for m in messages)
    last = max(m.received_at for _, messages in rows for m in messages)
    width = max(last - first, span_s, 1.0)
    label_w = 170
    items = []
    for row, (topic, messages) in enumerate(rows):
        y = row * ROW_H + ROW_H / 2
        colour = TOPIC_COLOURS.get(topic, "#444")
        items.append(f"<text x='4' y='{y + 4}'>{_e(topic)} ({len(messages)})</text>")
        for message in messages:
            x = label_w + (message.received_at - first) / width * (TIMELINE_W - label_w - 10)
            items.append(
                f"<circle cx='{x:.1f}' cy='{y}' r='4' fill='{colour}' opacity='0.7'>"
                f"<title>{_e(str(message.body)[:300])}</title></circle>"
            )
    height = len(rows) * ROW_H + 20
    items.append(
        f"<text x='{label_w}' y='{height - 4}'>0 s</text><text x='{TIMELINE_W - 60}' "
        f"y='{height - 4}'>{width:.0f} s</text>"
    )
    return (
        f"<svg width='{TIMELINE_W}' height='{height}' viewBox='0 0 {TIMELINE_W} {height}' "
        f"class='timeline'>{''.join(items)}</svg>"
    )


def _e(value) -> str:
    return html.escape(str(value), quote=True)


_CSS = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;
margin-bottom:1em}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;font-size:14px}
.pass{color:#2ca02c}.fail{color:#d62728}.map{background:#f4f7fa;border:1px solid #ccc}
.fence{fill:rgba(31,119,180,.15);stroke:#1f77b4;stroke-width:1.5}.timeline{border:1px solid #ccc}
text{font-size:12px}"""
