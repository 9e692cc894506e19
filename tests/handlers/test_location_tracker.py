"""location_tracker: GPS -> vehicle_locations (geohash GSI) -> Redis GEO -> geofence events."""

from __future__ import annotations

import uuid

import pytest

from handlers import location_tracker
from handlers.common.aws import from_item, to_item
from handlers.domain import geo
from tests.handlers.handler_events import kinesis_event
from tests.handlers.handler_factories import gps, now_ms, unique_fleet, unique_vehicle

DEPOT = (41.8500, -87.6500)


@pytest.fixture
def fleet_with_depot(make_ctx):
    ctx = make_ctx("location")
    fleet = unique_fleet()
    fence_id = f"gf-{uuid.uuid4().hex[:8]}"
    ctx.ddb.put_item(
        TableName=ctx.env["GEOFENCES_TABLE"],
        Item=to_item(
            {
                "geofence_id": fence_id,
                "fleet_id": fleet,
                "name": "Chicago depot",
                "shape": "circle",
                "center_lat": DEPOT[0],
                "center_lon": DEPOT[1],
                "radius_m": 300,
                "alert_on": ["enter", "exit", "dwell"],
                "dwell_s": 600,
            }
        ),
    )
    return ctx, fleet, fence_id


def test_locations_geo_index_and_enter_dwell_exit_once(fleet_with_depot):
    ctx, fleet, fence_id = fleet_with_depot
    tap = ctx.subscribe("GEOFENCE_TOPIC_ARN")
    vid, t0 = unique_vehicle(), now_ms() - 3_600_000
    path = [
        (41.90, -87.70),
        (41.8501, -87.6501),
        (41.8502, -87.6499),
        (41.8500, -87.6500),
        (41.8501, -87.6500),
        (41.95, -87.80),
        (41.96, -87.81),
    ]
    times = [t0, t0 + 60_000, t0 + 90_000, t0 + 400_000, t0 + 700_000, t0 + 800_000, t0 + 830_000]
    recs = [gps(vid, lat, lon, ts, fleet_id=fleet) for (lat, lon), ts in zip(path, times)]
    event = kinesis_event(recs, stream="gps")
    assert location_tracker.handler(event, None) == {"batchItemFailures": []}

    items = [
        from_item(i)
        for i in ctx.ddb.query(
            TableName=ctx.env["LOCATIONS_TABLE"],
            KeyConditionExpression="vehicle_id = :v",
            ExpressionAttributeValues={":v": {"S": vid}},
        )["Items"]
    ]
    assert sorted(i["timestamp"] for i in items) == times
    assert all(i["geohash"] == geo.location_geohash(i["lat"], i["lon"]) for i in items)
    by_cell = ctx.ddb.query(
        TableName=ctx.env["LOCATIONS_TABLE"],
        IndexName="geohash-index",
        KeyConditionExpression="geohash = :g",
        ExpressionAttributeValues={":g": {"S": geo.location_geohash(*path[3])}},
    )["Items"]
    assert {from_item(i)["timestamp"] for i in by_cell if from_item(i)["vehicle_id"] == vid} == set(times[1:5])

    lon, lat = ctx.redis.geopos(f"geo:fleet:{fleet}", vid)[0]
    assert (lat, lon) == (pytest.approx(path[-1][0], abs=1e-5), pytest.approx(path[-1][1], abs=1e-5))
    assert ctx.redis.geopos("geo:all", vid)[0] is not None

    msgs = tap.messages()
    assert [(m["message"]["event_type"], m["attributes"]["event_type"], m["attributes"]["severity"]) for m in msgs] == [
        ("enter", "geofence_enter", "info"),
        ("dwell", "geofence_dwell", "warning"),
        ("exit", "geofence_exit", "info"),
    ]
    assert {m["message"]["geofence_id"] for m in msgs} == {fence_id}
    assert msgs[1]["message"]["dwell_s"] >= 600

    assert location_tracker.handler(event, None) == {"batchItemFailures": []}  # redelivery
    assert tap.messages() == []


def test_stale_fix_is_stored_but_does_not_move_vehicle_and_bad_fix_to_dlq(fleet_with_depot):
    ctx, fleet, _ = fleet_with_depot
    vid, t0 = unique_vehicle(), now_ms() - 600_000
    newer, older = gps(vid, 41.0, -88.0, t0 + 60_000, fleet_id=fleet), gps(vid, 42.0, -89.0, t0, fleet_id=fleet)
    bad = gps(vid, 95.0, -88.0, t0 + 1, fleet_id=fleet)
    assert location_tracker.handler(kinesis_event([newer, bad, older], stream="gps"), None) == {"batchItemFailures": []}
    lon, lat = ctx.redis.geopos(f"geo:fleet:{fleet}", vid)[0]
    assert lat == pytest.approx(41.0, abs=1e-5)
    stored = ctx.ddb.query(
        TableName=ctx.env["LOCATIONS_TABLE"],
        KeyConditionExpression="vehicle_id = :v",
        ExpressionAttributeValues={":v": {"S": vid}},
    )["Items"]
    assert len(stored) == 2
    assert [m["reason"] for m in ctx.dlq()] == ["LAT_OUT_OF_RANGE"]


@pytest.mark.parametrize("ttl_days", [None, "7"])
def test_location_items_carry_the_ttl_attribute(make_ctx, ttl_days):
    ctx = make_ctx("location", **({"LOCATIONS_TTL_DAYS": ttl_days} if ttl_days else {}))
    vid, t0 = unique_vehicle(), now_ms() - 600_000
    fixes = [gps(vid, 41.0, -88.0 + i / 100, t0 + i * 30_000, fleet_id=unique_fleet()) for i in range(3)]
    assert location_tracker.handler(kinesis_event(fixes, stream="gps"), None) == {"batchItemFailures": []}
    items = [
        from_item(i)
        for i in ctx.ddb.query(
            TableName=ctx.env["LOCATIONS_TABLE"],
            KeyConditionExpression="vehicle_id = :v",
            ExpressionAttributeValues={":v": {"S": vid}},
        )["Items"]
    ]
    days = int(ttl_days or 30)  # the default matches vehicle_diagnostics (DIAGNOSTICS_TTL_DAYS)
    assert sorted((i["timestamp"], i["expires_at"]) for i in items) == [
        (t0 + i * 30_000, (t0 + i * 30_000) // 1000 + days * 86_400) for i in range(3)
    ]


def test_a_failed_enter_publish_holds_the_later_fixes_so_the_retry_loses_no_event(fleet_with_depot, make_ctx):
    """Issue 18 #3: a short visit (2 fixes in, 2 out) whose enter publish fails. The later fixes of
    the vehicle must not move its tracker state past the failed fix, or the retry skips it as stale
    and both the enter and the exit are lost."""
    ctx, fleet, fence_id = fleet_with_depot
    tap = ctx.subscribe("GEOFENCE_TOPIC_ARN")
    vid, t0 = unique_vehicle(), now_ms() - 600_000
    path = [(41.90, -87.70), (41.8501, -87.6501), (41.8500, -87.6500), (41.95, -87.80), (41.96, -87.81)]
    recs = [gps(vid, lat, lon, t0 + i * 30_000, fleet_id=fleet) for i, (lat, lon) in enumerate(path)]
    event = kinesis_event(recs, stream="gps")
    # The topic is unreachable for this invocation only (a real SNS NotFound, not a mock).
    missing = ctx.env["GEOFENCE_TOPIC_ARN"] + "-missing"
    make_ctx("location", GEOFENCE_TOPIC_ARN=missing)
    failed = location_tracker.handler(event, None)["batchItemFailures"]
    seqs = [r["kinesis"]["sequenceNumber"] for r in event["Records"]]
    assert [f["itemIdentifier"] for f in failed] == seqs[2:]  # the enter fix and every later fix of the vehicle
    make_ctx("location")
    retry = {"Records": event["Records"][2:]}  # Kinesis retries from the lowest failed sequence number
    assert location_tracker.handler(retry, None) == {"batchItemFailures": []}
    got = [(m["message"]["event_type"], m["message"]["geofence_id"]) for m in tap.messages()]
    assert got == [("enter", fence_id), ("exit", fence_id)]


def test_an_invocation_that_dies_after_an_event_does_not_announce_it_again(fleet_with_depot, monkeypatch):
    """The batch's tracker states are written together at the end (handlers.common.batch_redis), but a
    fix that published is saved before the next record runs: when Redis fails later in the batch and
    Lambda retries the whole batch, the enter already announced is not announced a second time, and
    the fixes that did not get their state saved are tracked on the retry."""
    import redis

    ctx, fleet, _ = fleet_with_depot
    tap = ctx.subscribe("GEOFENCE_TOPIC_ARN")
    entering, other, t0 = unique_vehicle(), unique_vehicle(), now_ms() - 3_600_000
    records = [
        gps(entering, 41.90, -87.70, t0, fleet_id=fleet),
        gps(entering, 41.8501, -87.6501, t0 + 30_000, fleet_id=fleet),
        gps(entering, *DEPOT, t0 + 60_000, fleet_id=fleet),  # the second fix inside: one enter
        gps(other, 41.70, -87.60, t0 + 61_000, fleet_id=fleet),
        gps(other, 41.71, -87.61, t0 + 62_000, fleet_id=fleet),  # Redis fails here
    ]
    real_check = location_tracker.unassigned_driving.check_fix

    def redis_fails_at_the_last_fix(r, record, **kwargs):
        if record["ts_ms"] == t0 + 62_000:
            raise redis.exceptions.ConnectionError("injected: Redis went away")
        return real_check(r, record, **kwargs)

    monkeypatch.setattr(location_tracker.unassigned_driving, "check_fix", redis_fails_at_the_last_fix)
    event = kinesis_event(records, stream="gps")
    with pytest.raises(Exception, match="DependencyUnavailable|ConnectionError"):
        location_tracker.handler(event, None)
    assert ctx.redis.get(f"geo:state:{other}") is None  # its first fix's state was queued, not written

    monkeypatch.setattr(location_tracker.unassigned_driving, "check_fix", real_check)
    assert location_tracker.handler(event, None) == {"batchItemFailures": []}  # Lambda's retry
    events = [(m["message"]["vehicle_id"], m["message"]["event_type"]) for m in tap.messages()]
    assert events == [(entering, "enter")]
    assert ctx.redis.get(f"geo:state:{other}") is not None
