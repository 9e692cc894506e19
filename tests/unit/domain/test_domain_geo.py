import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.domain import geo

lats = st.floats(min_value=-89.9, max_value=89.9)
lons = st.floats(min_value=-179.9, max_value=179.9)


def test_location_geohash_uses_documented_precision():
    assert geo.LOCATION_GEOHASH_PRECISION == 6
    cell = geo.location_geohash(41.8781, -87.6298)  # Chicago Loop
    assert len(cell) == 6 and cell.startswith("dp3w")


def test_precision_six_cell_is_site_scale():
    min_lat, min_lon, max_lat, max_lon = geo.cell_bounds(geo.location_geohash(41.8781, -87.6298))
    height = geo.haversine_m(min_lat, min_lon, max_lat, min_lon)
    width = geo.haversine_m(min_lat, min_lon, min_lat, max_lon)
    assert 550 < height < 650 and 850 < width < 950  # at 42 N a 0.011 deg column is ~0.9 km


@settings(deadline=None)  # a loaded CI box must not turn into flaky failures
@given(lats, lons)
def test_point_lies_in_its_cell(lat, lon):
    min_lat, min_lon, max_lat, max_lon = geo.cell_bounds(geo.encode_geohash(lat, lon, 6))
    assert min_lat <= lat <= max_lat and min_lon <= lon <= max_lon


def test_neighbours_cover_600m_around_a_point():
    lat, lon = 41.8781, -87.6298
    ring = geo.neighbours(geo.location_geohash(lat, lon))
    assert len(ring) == 9 and len(set(ring)) == 9
    for dlat, dlon in ((0.0054, 0), (-0.0054, 0), (0, 0.0073), (0, -0.0073)):  # ~600 m away
        assert geo.location_geohash(lat + dlat, lon + dlon) in ring


@pytest.mark.parametrize(
    "a, b, metres",
    [
        ((41.8781, -87.6298), (41.8781, -87.6298), 0.0),
        ((0.0, 0.0), (0.0, 1.0), 111_195),  # one degree of the equator on a 6371 km sphere
        ((41.8781, -87.6298), (40.7128, -74.0060), 1_144_000),  # Chicago - New York
    ],
)
def test_haversine_known_distances(a, b, metres):
    assert geo.haversine_m(*a, *b) == pytest.approx(metres, rel=0.003, abs=1)


@settings(deadline=None)  # a loaded CI box must not turn into flaky failures
@given(lats, lons, lats, lons)
def test_haversine_symmetric_and_bounded(lat1, lon1, lat2, lon2):
    d = geo.haversine_m(lat1, lon1, lat2, lon2)
    assert d == pytest.approx(geo.haversine_m(lat2, lon2, lat1, lon1), abs=1e-6)
    assert 0 <= d <= 20_038_000
