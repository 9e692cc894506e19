"""The run report's map: an offline basemap (US state and country outlines shipped in
scenario_runner/basemap/outlines.json), the scenario's geofences, the positions location_tracker
stored and a marker where each alert fired, with a scale bar. Pure functions, except
`load_outlines` which reads the shipped file once.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from pathlib import Path

from scenario_runner.report_chart import colour, esc

OUTLINES = Path(__file__).with_name("basemap") / "outlines.json"
MAP_W, MAP_H = 900, 520
EARTH_M_PER_DEG = 111_320
MIN_FENCE_PX = 6  # a fence smaller than this at the map's scale is drawn this size, so it shows
PAD = 0.25  # of the extent on each side: enough context for the nearest state borders
TOPIC_MARKS = {
    "vehicle-alerts": "#d62728",
    "maintenance-required": "#ff7f0e",
    "hos-violations": "#9467bd",
    "compliance-summary": "#2ca02c",
    "geofence-alerts": "#1f77b4",
    "driver-coaching": "#8c564b",
}


@functools.cache
def load_outlines() -> dict:
    """{"source": str, "layers": {"states": [arc], "countries": [arc]}}, arcs of [lon, lat]."""
    return json.loads(OUTLINES.read_text())


class Projection:
    """Equirectangular, x scaled by cos(mid latitude), fitting a padded extent into the map."""

    def __init__(self, lats: Sequence[float], lons: Sequence[float], width: int = MAP_W, height: int = MAP_H):
        south, north, west, east = min(lats), max(lats), min(lons), max(lons)
        pad_lat, pad_lon = max((north - south) * PAD, 0.05), max((east - west) * PAD, 0.05)
        self.south, self.north = south - pad_lat, north + pad_lat
        self.west, self.east = west - pad_lon, east + pad_lon
        self.aspect = math.cos(math.radians((self.south + self.north) / 2))
        self.scale = min(width / ((self.east - self.west) * self.aspect), height / (self.north - self.south))
        self.width, self.height = width, height

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return (round((lon - self.west) * self.aspect * self.scale, 1), round((self.north - lat) * self.scale, 1))

    def metres_per_px(self) -> float:
        return EARTH_M_PER_DEG / self.scale

    def visible(self, arc: Sequence[Sequence[float]]) -> bool:
        lons = [p[0] for p in arc]
        lats = [p[1] for p in arc]
        return not (max(lons) < self.west or min(lons) > self.east or max(lats) < self.south or min(lats) > self.north)


def nearest_position(track: Sequence[tuple[float, float, float]], at_s: float) -> tuple[float, float] | None:
    """(lat, lon) of the stored position (ts_s, lat, lon) closest in time to at_s."""
    if not track:
        return None
    best = min(track, key=lambda p: abs(p[0] - at_s))
    return best[1], best[2]


def place_alerts(alerts: Sequence[dict], positions: dict[str, Sequence[tuple[float, float, float]]]) -> list[dict]:
    """Each alert ({topic, vehicle_id?, at_s?, lat?, lon?, label}) with a lat/lon: its own, or the
    stored position of its vehicle nearest its time; `placed` False when neither is known."""
    placed = []
    for alert in alerts:
        lat, lon = alert.get("lat"), alert.get("lon")
        how = "alert"
        if not isinstance(lat, (int, float)) or not isinstance(lon, (int, float)):
            how = "stored position"
            near = None
            if alert.get("vehicle_id") in positions and alert.get("at_s") is not None:
                near = nearest_position(positions[alert["vehicle_id"]], alert["at_s"])
            lat, lon = near if near else (None, None)
        placed.append({**alert, "lat": lat, "lon": lon, "placed": lat is not None, "position_from": how})
    return placed


def _scale_bar(projection: Projection) -> str:
    target_m = projection.metres_per_px() * 150
    power = 10 ** math.floor(math.log10(target_m))
    metres = max(m * power for m in (1, 2, 5) if m * power <= target_m)
    length = metres / projection.metres_per_px()
    label = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
    y = projection.height - 14
    return (
        f"<g class='scale-bar' data-metres='{metres:g}'><line x1='12' x2='{12 + length:.1f}' y1='{y}' y2='{y}'/>"
        f"<line x1='12' x2='12' y1='{y - 4}' y2='{y + 4}'/><line x1='{12 + length:.1f}' x2='{12 + length:.1f}' "
        f"y1='{y - 4}' y2='{y + 4}'/><text x='14' y='{y - 6}'>{label}</text></g>"
    )


def map_svg(
    positions: dict[str, Sequence[tuple[float, float, float]]],
    geofences: Sequence[dict],
    alerts: Sequence[dict],
    outlines: dict | None = None,
) -> str:
    """`positions`: vehicle -> stored (ts_s, lat, lon), oldest first; `alerts`: place_alerts()
    output. The svg carries data-positions and data-alerts (markers drawn)."""
    points = [(lat, lon) for track in positions.values() for _, lat, lon in track]
    for fence in geofences:
        if fence.get("shape") == "circle":
            radius_deg = fence["radius_m"] / EARTH_M_PER_DEG
            points += [
                (fence["center_lat"] - radius_deg, fence["center_lon"]),
                (fence["center_lat"] + radius_deg, fence["center_lon"]),
            ]
        points += [tuple(v) for v in fence.get("vertices") or []]
    points += [(a["lat"], a["lon"]) for a in alerts if a.get("placed")]
    if not points:
        return "<p class='empty' id='map'>No positions were stored.</p>"
    projection = Projection([p[0] for p in points], [p[1] for p in points])
    layers = (outlines or load_outlines())["layers"]
    parts = [f"<rect width='{MAP_W}' height='{MAP_H}' class='sea'/>"]
    for layer in ("countries", "states"):
        arcs = [arc for arc in layers.get(layer, []) if projection.visible(arc)]
        if arcs:
            d = " ".join(
                "M" + " L".join(f"{x},{y}" for x, y in (projection.xy(lat, lon) for lon, lat in arc)) for arc in arcs
            )
            parts.append(f"<path d='{d}' class='outline-{layer}' data-arcs='{len(arcs)}'/>")
    for fence in geofences:
        label = esc(f"{fence.get('name', fence.get('geofence_id'))} ({', '.join(fence.get('alert_on', []))})")
        if fence.get("shape") == "circle":
            cx, cy = projection.xy(fence["center_lat"], fence["center_lon"])
            radius = fence["radius_m"] * projection.scale / EARTH_M_PER_DEG
            parts.append(
                f"<circle cx='{cx}' cy='{cy}' r='{max(radius, MIN_FENCE_PX):.1f}' class='fence'>"
                f"<title>{label}</title></circle>"
            )
        elif fence.get("vertices"):
            corners = [projection.xy(*v) for v in fence["vertices"]]
            cx = round(sum(x for x, _ in corners) / len(corners), 1)
            cy = round(sum(y for _, y in corners) / len(corners), 1)
            if max(x for x, _ in corners) - min(x for x, _ in corners) < 2 * MIN_FENCE_PX:  # too small to see
                parts.append(
                    f"<circle cx='{cx}' cy='{cy}' r='{MIN_FENCE_PX}' class='fence'><title>{label}</title></circle>"
                )
            else:
                points = " ".join(f"{x},{y}" for x, y in corners)
                parts.append(f"<polygon points='{points}' class='fence'><title>{label}</title></polygon>")
        else:
            continue
        parts.append(
            f"<text x='{cx + MIN_FENCE_PX + 3}' y='{cy + 4}' class='fence-label'>{esc(fence.get('name', ''))}</text>"
        )
    stored = 0
    for index, (vehicle, track) in enumerate(sorted(positions.items())):
        stroke = colour(index)
        line = " ".join(f"{x},{y}" for x, y in (projection.xy(lat, lon) for _, lat, lon in track))
        stored += len(track)
        parts.append(
            f"<polyline points='{line}' fill='none' stroke='{stroke}' stroke-width='1.4' class='track' "
            f"data-vehicle='{esc(vehicle)}' data-n='{len(track)}'><title>{esc(vehicle)}: {len(track)} stored "
            f"positions</title></polyline>"
        )
        for _, lat, lon in track:
            x, y = projection.xy(lat, lon)
            parts.append(f"<circle cx='{x}' cy='{y}' r='1.6' fill='{stroke}' class='position'/>")
    drawn = 0
    for alert in alerts:
        if not alert.get("placed"):
            continue
        drawn += 1
        x, y = projection.xy(alert["lat"], alert["lon"])
        fill = TOPIC_MARKS.get(alert.get("topic", ""), "#444")
        parts.append(
            f"<path d='M{x},{y} l-6,-14 a6,6 0 1 1 12,0 z' fill='{fill}' class='alert-marker' "
            f"data-topic='{esc(alert.get('topic', ''))}'><title>{esc(alert.get('label', ''))} "
            f"(position: {esc(alert['position_from'])})</title></path>"
        )
    parts.append(_scale_bar(projection))
    parts.append(
        f"<text x='{MAP_W - 6}' y='{MAP_H - 6}' text-anchor='end' class='attribution'>"
        f"{esc((outlines or load_outlines()).get('source', ''))[:140]}</text>"
    )
    return (
        f"<svg id='map' class='map' width='{MAP_W}' height='{MAP_H}' viewBox='0 0 {MAP_W} {MAP_H}' "
        f"data-positions='{stored}' data-alerts='{drawn}'>{''.join(parts)}</svg>"
    )


CSS = """.map{border:1px solid #bbb}.sea{fill:#eef3f7}.outline-countries{fill:none;stroke:#9aa7b1;stroke-width:1}
.outline-states{fill:none;stroke:#b7c1c9;stroke-width:.8;stroke-dasharray:3 2}.fence{fill:rgba(31,119,180,.15);
stroke:#1f77b4;stroke-width:1.5}.fence-label{fill:#1f4e79;font-size:11px;paint-order:stroke;stroke:#fff;
stroke-width:3px}.alert-marker{stroke:#fff;stroke-width:1}.scale-bar line{stroke:#222;
stroke-width:1.5}.attribution{font-size:9px;fill:#777}"""
