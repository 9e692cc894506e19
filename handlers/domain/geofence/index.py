"""Geohash-prefix index of geofences: which fences contain a point (grown by a margin).

`GeofenceIndex(fences, max_margin_m=)` raises InvalidGeofence on a duplicate id; `containing(lat,
lon, margin_m)` returns the sorted ids of the fences containing the point, for any margin_m up to
max_margin_m (larger raises ValueError).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pygeohash

from .shapes import Geofence, InvalidGeofence

DEFAULT_MARGIN_M = 50.0  # ~2x typical GPS horizontal error for a truck unit
_MAX_INDEX_PRECISION = 7
_MAX_CELLS_PER_FENCE = 32  # tighter candidate lists in dense cities; 10k fences -> <= 320k entries
# Geohash cell height/width in degrees per precision (5 bits per char, lon gets the odd bit).
_CELL_DEG = {
    p: (180.0 / 2 ** (5 * p // 2), 360.0 / 2 ** ((5 * p + 1) // 2)) for p in range(1, _MAX_INDEX_PRECISION + 1)
}


class GeofenceIndex:
    """Geohash-prefix index: each fence is filed under the cells (of the finest precision at which
    its bounding box touches at most 32 cells) that its box touches; a lookup encodes the point
    once and probes one cell per precision level in use, then checks boxes, then shapes."""

    def __init__(self, fences: Iterable[Geofence], *, max_margin_m: float = DEFAULT_MARGIN_M) -> None:
        """Index `fences`. Lookups may use any margin_m <= max_margin_m (larger raises)."""
        self.max_margin_m = float(max_margin_m)
        self._fences: dict[str, Geofence] = {}
        self._cells: dict[int, dict[str, list[tuple]]] = {}
        for fence in fences:
            self._add(fence)
        self._levels = tuple(sorted(self._cells))
        self._encode_precision = max(self._levels, default=1)

    def _add(self, fence: Geofence) -> None:
        if fence.fence_id in self._fences:
            raise InvalidGeofence(f"duplicate geofence_id {fence.fence_id!r}")
        self._fences[fence.fence_id] = fence
        box = fence.bbox(self.max_margin_m)
        precision, cells = _covering_cells(box)
        # The bound method and id are stored so the hot loop does no attribute lookups.
        entry = (box[0], box[1], box[2], box[3], fence.contains, fence.fence_id)
        level = self._cells.setdefault(precision, {})
        for cell in cells:
            level.setdefault(cell, []).append(entry)

    def containing(self, lat: float, lon: float, margin_m: float = 0.0) -> list[str]:
        """Ids of fences containing the point (grown by margin_m), sorted."""
        if margin_m > self.max_margin_m:
            raise ValueError(f"margin_m {margin_m} exceeds the index's max_margin_m")
        if not self._levels:
            return []
        geohash = pygeohash.encode(lat, lon, self._encode_precision)
        hits = []
        for precision in self._levels:
            for min_lat, min_lon, max_lat, max_lon, contains, fence_id in self._cells[precision].get(
                geohash[:precision], ()
            ):
                if min_lat <= lat <= max_lat and min_lon <= lon <= max_lon and contains(lat, lon, margin_m):
                    hits.append(fence_id)
        # A fence lives at one precision and cells of one precision are disjoint: no duplicates.
        hits.sort()
        return hits

    def get(self, fence_id: str) -> Geofence | None:
        """The fence with this id, or None."""
        return self._fences.get(fence_id)

    @property
    def fences(self) -> Mapping[str, Geofence]:
        """id -> fence (what `step` wants as `fences`)."""
        return self._fences

    def __len__(self) -> int:
        return len(self._fences)


def _covering_cells(box: tuple[float, float, float, float]) -> tuple[int, list[str]]:
    min_lat, min_lon, max_lat, max_lon = box
    for precision in range(_MAX_INDEX_PRECISION, 0, -1):
        height, width = _CELL_DEG[precision]
        rows = range(int((min_lat + 90) // height), int(min(max_lat + 90, 179.9999999) // height) + 1)
        cols = range(int((min_lon + 180) // width), int(min(max_lon + 180, 359.9999999) // width) + 1)
        if len(rows) * len(cols) <= _MAX_CELLS_PER_FENCE or precision == 1:
            cells = [
                pygeohash.encode(-90 + (row + 0.5) * height, -180 + (col + 0.5) * width, precision)
                for row in rows
                for col in cols
            ]
            return precision, cells
    raise AssertionError("unreachable: precision 1 always returns")
