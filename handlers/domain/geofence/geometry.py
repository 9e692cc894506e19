"""Planar ring geometry in metres (a fence's local equirectangular projection): point in ring,
distance to a segment and to a ring. A point within BOUNDARY_TOLERANCE_M of an edge is inside."""

from __future__ import annotations

import math

BOUNDARY_TOLERANCE_M = 1e-6


def point_in_ring(x: float, y: float, ring: tuple[tuple[float, float], ...]) -> bool:
    # Even-odd ray casting. A point within a micrometre of an edge counts as inside; that is
    # detected in the same pass (only edges at the point's height are measured), so outside
    # points do not pay for a full distance computation.
    tolerance = BOUNDARY_TOLERANCE_M
    inside = False
    x1, y1 = ring[-1]
    for x2, y2 in ring:
        if (y1 > y) != (y2 > y):
            dx, dy = x2 - x1, y2 - y1
            offset = x - (x1 + (y - y1) * dx / dy)
            if abs(offset * dy) <= tolerance * math.hypot(dx, dy):
                return True
            if offset < 0:
                inside = not inside
        elif -tolerance <= y1 - y <= tolerance or -tolerance <= y2 - y <= tolerance:
            if distance_to_segment(x, y, x1, y1, x2, y2) <= tolerance:
                return True
        x1, y1 = x2, y2
    return inside


def distance_to_segment(x: float, y: float, x1: float, y1: float, x2: float, y2: float) -> float:
    dx, dy = x2 - x1, y2 - y1
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / length2))
    return math.hypot(x1 + t * dx - x, y1 + t * dy - y)


def distance_to_ring(x: float, y: float, ring: tuple[tuple[float, float], ...]) -> float:
    best = math.inf
    x1, y1 = ring[-1]
    for x2, y2 in ring:
        dx, dy = x2 - x1, y2 - y1
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / length2))
        px, py = x1 + t * dx - x, y1 + t * dy - y
        best = min(best, px * px + py * py)
        x1, y1 = x2, y2
    return math.sqrt(best)
