"""Rebuild outlines.json, the offline basemap of the run report, from two public-domain TopoJSON
files (`npm pack us-atlas@3.0.1 world-atlas@2.0.2`, then
`python -m scenario_runner.basemap.build_outlines us-atlas/states-10m.json world-atlas/countries-110m.json`).

- US state borders and coasts: U.S. Census Bureau cartographic boundary files 2017 (public domain),
  as TopoJSON in us-atlas 3.0.1 (states-10m.json);
- country borders and coasts: Natural Earth 1:110m (public domain), as TopoJSON in world-atlas
  2.0.2 (countries-110m.json).

Output: ``{"source": ..., "layers": {"states": [arc...], "countries": [arc...]}}`` where an arc is a
list of ``[lon, lat]`` rounded to 3 decimals (about 100 m): every shared border drawn once.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).with_name("outlines.json")
DECIMALS = 3


def decode_arcs(topology: dict) -> list[list[list[float]]]:
    """The topology's arcs in longitude/latitude (delta-decoded and un-quantized)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            point = [round(x * sx + tx, DECIMALS), round(y * sy + ty, DECIMALS)]
            if not points or point != points[-1]:
                points.append(point)
        if len(points) > 1:
            arcs.append(points)
    return arcs


def main(argv: list[str]) -> None:
    states, countries = (json.loads(Path(p).read_text()) for p in argv)
    document = {
        "source": "US states: U.S. Census Bureau cartographic boundaries 2017 (us-atlas 3.0.1 states-10m); "
        "countries: Natural Earth 1:110m (world-atlas 2.0.2 countries-110m); both public domain",
        "layers": {"states": decode_arcs(states), "countries": decode_arcs(countries)},
    }
    OUT.write_text(json.dumps(document, separators=(",", ":")))
    print(f"{OUT}: {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
