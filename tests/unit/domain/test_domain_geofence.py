import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.domain import geo
from handlers.domain.geofence import Geofence, GeofenceIndex, InvalidGeofence

YARD = {
    "geofence_id": "gf-yard",
    "fleet_id": "FL-001",
    "name": "Joliet yard",
    "shape": "circle",
    "center_lat": Decimal("41.5250"),
    "center_lon": Decimal("-88.0817"),
    "radius_m": Decimal("300"),
    "alert_on": ["enter", "exit"],
    "dwell_s": 0,
}
# A square of roughly 1.1 km x 0.83 km around a warehouse, counter-clockwise, closed ring.
DOCK = {
    "geofence_id": "gf-dock",
    "fleet_id": "FL-001",
    "name": "DC dock",
    "shape": "polygon",
    "vertices": [[41.80, -87.70], [41.80, -87.69], [41.81, -87.69], [41.81, -87.70], [41.80, -87.70]],
    "alert_on": ["enter", "exit", "dwell"],
    "dwell_s": 900,
}


def test_from_item_reads_contract_shape_and_round_trips():
    yard = Geofence.from_item(YARD)
    assert (yard.shape, yard.radius_m, yard.alert_on, yard.dwell_s) == ("circle", 300.0, ("enter", "exit"), None)
    dock = Geofence.from_item(DOCK)
    assert len(dock.vertices) == 4 and dock.dwell_s == 900
    assert Geofence.from_item(dock.to_item()) == dock
    assert Geofence.from_item(yard.to_item()) == yard


@pytest.mark.parametrize(
    "change",
    [
        {"shape": "hexagon"},
        {"shape": "circle", "radius_m": 0},
        {"shape": "circle", "radius_m": -5},
        {"shape": "circle", "center_lat": 91},
        {"vertices": [[41.8, -87.7], [41.9, -87.7]]},
        {"vertices": [[41.8, 179.9], [41.9, -179.9], [42.0, 179.9]]},
        {"alert_on": ["teleport"]},
        {"vertices": [[41.8, "west"], [41.9, -87.7], [42.0, -87.6]]},
        {"geofence_id": None} | {"shape": None},
    ],
)
def test_invalid_items_raise_invalid_geofence(change):
    base = dict(YARD if change.get("shape") == "circle" else DOCK)
    base.update(change)
    if "geofence_id" in change:
        del base["geofence_id"]
    with pytest.raises(InvalidGeofence):
        Geofence.from_item(base)


def test_circle_containment_and_margin():
    yard = Geofence.from_item(YARD)
    assert yard.contains(41.5250, -88.0817)
    north_290m = 41.5250 + 290 / 111_195
    north_320m = 41.5250 + 320 / 111_195
    assert yard.contains(north_290m, -88.0817)
    assert not yard.contains(north_320m, -88.0817)
    assert yard.contains(north_320m, -88.0817, margin_m=50)


def test_polygon_containment_boundary_and_margin():
    dock = Geofence.from_item(DOCK)
    assert dock.contains(41.805, -87.695)
    assert dock.contains(41.80, -87.695)  # on an edge
    assert dock.contains(41.81, -87.69)  # a vertex
    assert not dock.contains(41.8105, -87.695)  # ~56 m north of the top edge
    assert dock.contains(41.8105, -87.695, margin_m=60)
    assert not dock.contains(41.8105, -87.695, margin_m=50)


def test_concave_polygon():
    # A "U": the notch between the arms is outside.
    u_shape = Geofence.from_item(
        {
            "geofence_id": "u",
            "shape": "polygon",
            "vertices": [[0, 0], [0, 3], [3, 3], [3, 2], [1, 2], [1, 1], [3, 1], [3, 0]],
        }
    )
    assert u_shape.contains(0.5, 1.5)
    assert not u_shape.contains(2.0, 1.5)
    assert u_shape.contains(2.0, 0.5) and u_shape.contains(2.0, 2.5)


def random_fences(count, seed=1):
    rng = random.Random(seed)
    fences = []
    for n in range(count):
        lat, lon = rng.uniform(25, 49), rng.uniform(-124, -67)
        if n % 2:
            fences.append(Geofence(f"c{n}", "FL-001", "", "circle", lat, lon, rng.uniform(50, 20_000)))
        else:
            size = rng.uniform(0.001, 0.3)
            fences.append(
                Geofence(
                    f"p{n}",
                    "FL-001",
                    "",
                    "polygon",
                    vertices=((lat, lon), (lat, lon + size), (lat + size * 0.7, lon + size * 1.2), (lat + size, lon)),
                )
            )
    return fences


def test_index_matches_brute_force_on_random_fences():
    fences = random_fences(500)
    index = GeofenceIndex(fences)
    rng = random.Random(9)
    probes = [(rng.uniform(25, 49), rng.uniform(-124, -67)) for _ in range(200)]
    # Also probe near fence centres so that hits are common.
    probes += [(f.center_lat + rng.uniform(-0.01, 0.01), f.center_lon + rng.uniform(-0.01, 0.01)) for f in fences[:200]]
    hits = 0
    for lat, lon in probes:
        for margin in (0.0, 50.0):
            expected = sorted(f.fence_id for f in fences if f.contains(lat, lon, margin))
            assert index.containing(lat, lon, margin) == expected
            hits += bool(expected)
    assert hits > 200


@settings(deadline=None)  # a loaded CI box must not turn into flaky failures
@given(
    st.floats(min_value=-60, max_value=60),
    st.floats(min_value=-170, max_value=170),
    st.floats(min_value=10, max_value=200_000),
    st.floats(min_value=-1, max_value=1),
    st.floats(min_value=-1, max_value=1),
)
def test_index_agrees_with_circle_property(lat, lon, radius, dlat, dlon):
    fence = Geofence("f", "FL-1", "", "circle", lat, lon, radius)
    index = GeofenceIndex([fence])
    probe = (lat + dlat * radius / 111_000, lon + dlon * radius / 111_000)
    assert index.containing(*probe) == (["f"] if fence.contains(*probe) else [])


def test_index_rejects_duplicates_and_excess_margin():
    fence = Geofence.from_item(YARD)
    with pytest.raises(InvalidGeofence):
        GeofenceIndex([fence, fence])
    with pytest.raises(ValueError):
        GeofenceIndex([fence], max_margin_m=10).containing(41.5, -88.0, margin_m=20)
    assert GeofenceIndex([]).containing(41.5, -88.0) == []
    assert len(GeofenceIndex([fence])) == 1 and GeofenceIndex([fence]).get("gf-yard") == fence


def test_huge_fence_is_found_everywhere_inside():
    texas = Geofence(
        "tx", "FL-1", "", "polygon", vertices=((26.0, -106.5), (36.5, -106.5), (36.5, -94.0), (26.0, -94.0))
    )
    index = GeofenceIndex([texas] + random_fences(200))
    assert "tx" in index.containing(31.0, -100.0)
    assert "tx" not in index.containing(40.0, -100.0)


@settings(deadline=None)  # a loaded CI box must not turn into flaky failures
@given(
    st.lists(
        st.tuples(st.floats(min_value=-0.05, max_value=0.05), st.floats(min_value=-0.05, max_value=0.05)),
        min_size=3,
        max_size=12,
        unique=True,
    )
)
def test_every_vertex_and_edge_midpoint_is_inside(offsets):
    vertices = tuple((41.8 + dlat, -87.7 + dlon) for dlat, dlon in offsets)
    try:
        fence = Geofence("g", "FL-1", "", "polygon", vertices=vertices)
    except InvalidGeofence:
        return
    ring = fence.vertices
    for (lat1, lon1), (lat2, lon2) in zip(ring, ring[1:] + ring[:1]):
        assert fence.contains(lat1, lon1)  # includes local extremes the crossing test misses
        assert fence.contains((lat1 + lat2) / 2, (lon1 + lon2) / 2)


@settings(deadline=None)  # a loaded CI box must not turn into flaky failures
@given(
    st.floats(min_value=-69, max_value=69),
    st.floats(min_value=-179, max_value=179),
    st.floats(min_value=20, max_value=5000),
    st.floats(min_value=0, max_value=6.283),
    st.floats(min_value=0.0, max_value=2.0),
)
def test_circle_fast_path_agrees_with_haversine(lat, lon, radius, bearing, fraction):
    import math

    fence = Geofence("c", "FL-1", "", "circle", lat, lon, radius)
    distance = radius * fraction
    probe_lat = lat + distance * math.cos(bearing) / 111_195
    probe_lon = lon + distance * math.sin(bearing) / (111_195 * math.cos(math.radians(lat)))
    exact = geo.haversine_m(lat, lon, probe_lat, probe_lon) <= radius
    assert fence.contains(probe_lat, probe_lon) == exact


def test_huge_numbers_in_items_are_invalid_not_crashes():
    with pytest.raises(InvalidGeofence):
        Geofence.from_item(dict(YARD, radius_m=10**400))
