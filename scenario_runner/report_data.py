"""What the run report draws, read from the run and from the stack after it:

- `RunSeries`: records sent and consumer lag per stream over the run (sampled while sending and
  draining; lag from the local runtime's status file);
- `read_driver_logs` / `read_positions`: the duty statuses hos_processor stored (driver_logs table)
  and the positions location_tracker stored (vehicle_locations table), inside the simulated period;
- `alerts_from_topics`, `violations_by_driver`, `latency_samples`: figures from the alerts the
  observers saw.
Reading from the stack is capped (MAX_SCAN_ITEMS per table) so a fleet-scale run still reports.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

MAX_SCAN_ITEMS = 100_000
MAX_POINTS_PER_VEHICLE = 600
MAX_VEHICLES_ON_MAP = 60


@dataclass
class RunSeries:
    """Samples (wall epoch s, records sent so far, {stream: lag s}) taken during the run."""

    state_dir: Path | None = None
    samples: list[tuple[float, int, dict]] = field(default_factory=list)

    def sample(self, records_sent: int, now: float | None = None) -> None:
        lag: dict = {}
        if self.state_dir is not None:
            from loadtest.probe import read_runtime_status, stream_lag_s

            lag = stream_lag_s(read_runtime_status(self.state_dir))
        self.samples.append((now if now is not None else time.time(), records_sent, lag))

    def send_rate(self) -> list[tuple[float, float]]:
        """(epoch s, records/s) between consecutive samples at least a second apart."""
        points, previous = [], None
        for at, records, _ in self.samples:
            if previous is not None and at - previous[0] >= 1.0:
                points.append((at, (records - previous[1]) / (at - previous[0])))
                previous = (at, records)
            elif previous is None:
                previous = (at, records)
        return points

    def lag(self) -> dict[str, list[tuple[float, float]]]:
        series: dict[str, list[tuple[float, float]]] = {}
        for at, _, lag in self.samples:
            for stream, seconds in lag.items():
                series.setdefault(stream, []).append((at, seconds))
        return series


@dataclass
class StoredData:
    driver_logs: dict = field(default_factory=dict)  # driver_id -> [(epoch s, status, vehicle_id)]
    driver_zones: dict = field(default_factory=dict)  # driver_id -> home terminal's IANA time zone
    positions: dict = field(default_factory=dict)  # vehicle_id -> [(epoch s, lat, lon)], oldest first
    positions_total: int = 0  # stored positions read (before thinning for the map)
    notes: list = field(default_factory=list)


def _scan(client, table: str, projection: str, names: dict) -> tuple[list[dict], bool]:
    items, kwargs = [], {}
    while True:
        page = client.scan(TableName=table, ProjectionExpression=projection, ExpressionAttributeNames=names, **kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items, False
        if len(items) >= MAX_SCAN_ITEMS:
            return items, True
        kwargs = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def _number(item: dict, key: str) -> float | None:
    value = item.get(key, {})
    return float(value["N"]) if "N" in value else None


def read_driver_logs(client, table: str, start_ms: int, end_ms: int) -> tuple[dict, dict, bool]:
    """driver_id -> [(epoch s, status, vehicle_id)] of the statuses logged in [start_ms, end_ms),
    plus the last one before start_ms (the status the period opens in); driver_id -> the home
    terminal's time zone of the driver's latest record (hos_processor stores the record's
    `time_zone`); capped?"""
    items, capped = _scan(
        client,
        table,
        "#d, #t, #s, #v, #z",
        {"#d": "driver_id", "#t": "event_time", "#s": "status", "#v": "vehicle_id", "#z": "time_zone"},
    )
    logs: dict[str, list] = {}
    zoned: dict[str, tuple[float, str]] = {}
    for item in items:
        at = _number(item, "event_time")
        if at is None or at >= end_ms or "S" not in item.get("status", {}):
            continue
        driver = item["driver_id"]["S"]
        logs.setdefault(driver, []).append((at / 1000, item["status"]["S"], item.get("vehicle_id", {}).get("S")))
        zone = item.get("time_zone", {}).get("S")
        if zone and at >= zoned.get(driver, (-1.0, ""))[0]:
            zoned[driver] = (at, zone)
    result = {}
    for driver, events in logs.items():
        events.sort()
        before = [e for e in events if e[0] * 1000 < start_ms]
        result[driver] = before[-1:] + [e for e in events if e[0] * 1000 >= start_ms]
    return result, {driver: zone for driver, (_, zone) in zoned.items()}, capped


def read_positions(client, table: str, start_ms: int, end_ms: int) -> tuple[dict, int, bool]:
    """vehicle -> [(epoch s, lat, lon)] stored for [start_ms, end_ms]; the total read; capped?"""
    items, capped = _scan(
        client, table, "#v, #t, #a, #o", {"#v": "vehicle_id", "#t": "timestamp", "#a": "lat", "#o": "lon"}
    )
    tracks: dict[str, list] = {}
    total = 0
    for item in items:
        at, lat, lon = _number(item, "timestamp"), _number(item, "lat"), _number(item, "lon")
        if at is None or lat is None or lon is None or not start_ms <= at <= end_ms:
            continue
        total += 1
        tracks.setdefault(item["vehicle_id"]["S"], []).append((at / 1000, lat, lon))
    for track in tracks.values():
        track.sort()
    return tracks, total, capped


def thin(tracks: dict, vehicles: int = MAX_VEHICLES_ON_MAP, points: int = MAX_POINTS_PER_VEHICLE) -> dict:
    """At most `vehicles` tracks (by vehicle id) of at most `points` evenly spaced points each."""
    kept = {}
    for vehicle in sorted(tracks)[:vehicles]:
        track = tracks[vehicle]
        step = max(1, -(-len(track) // points))
        kept[vehicle] = track[::step] if step > 1 else track
    return kept


def parse_instant(value) -> float | None:
    """Epoch s from an ISO-8601 string or epoch ms number; None otherwise."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value / 1000
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()
    return None


def _event_time(body: dict) -> float | None:
    for key in ("ts_ms", "ts", "start", "detected_at", "entered_ms"):
        at = parse_instant(body.get(key))
        if at is not None:
            return at
    return None


def alerts_from_topics(topics: dict) -> list[dict]:
    """One dict per alert message: topic, vehicle_id, at_s (the event's time), received_at, lat,
    lon (when the alert carries them) and a label."""
    alerts = []
    for topic, messages in sorted(topics.items()):
        for message in messages:
            body = message.body if isinstance(message.body, dict) else {}
            kind = body.get("rule") or body.get("event_type") or body.get("alert_type") or topic
            alerts.append(
                {
                    "topic": topic,
                    "vehicle_id": body.get("vehicle_id"),
                    "at_s": _event_time(body),
                    "received_at": message.received_at,
                    "lat": body.get("lat"),
                    "lon": body.get("lon"),
                    "label": f"{topic}: {kind} {body.get('vehicle_id') or ''} {body.get('driver_id') or ''}".strip(),
                }
            )
    return alerts


def violations_by_driver(topics: dict) -> dict[str, list[dict]]:
    """driver_id -> [{rule, start_s}] of the hos_violation messages (one per violation id)."""
    seen, result = set(), {}
    for message in topics.get("hos-violations", []):
        body = message.body if isinstance(message.body, dict) else {}
        if body.get("rule") is None or body.get("driver_id") is None:
            continue
        key = body.get("violation_id") or (body["driver_id"], body["rule"], body.get("start"))
        if key in seen:
            continue
        seen.add(key)
        result.setdefault(body["driver_id"], []).append(
            {"rule": body["rule"], "start_s": parse_instant(body.get("start"))}
        )
    return result


# Where an alert names the time of the record it came from: ts_ms / ts (the record's own), or
# detected_at (hos_violation: the ts of the record whose processing found it; unassigned_driving:
# the fix at which it was judged).
RECORD_TIME_KEYS = ("ts_ms", "ts", "detected_at")


def latency_samples(topics: dict, sent_at: dict, start_epoch_s: int, tick_s: int = 1) -> dict[str, list[float]]:
    """Per topic: seconds from sending the record a message names (RECORD_TIME_KEYS: the simulated
    second, rounded down to the tick that carried it) to the observer seeing the message."""
    result = {}
    for topic, messages in topics.items():
        delays = []
        for message in messages:
            body = message.body if isinstance(message.body, dict) else {}
            at = next((parse_instant(body[k]) for k in RECORD_TIME_KEYS if body.get(k) is not None), None)
            if at is None:
                continue
            t = int(at) - start_epoch_s
            t -= t % tick_s
            if t in sent_at:
                delays.append(message.received_at - sent_at[t])
        if delays:
            result[topic] = sorted(delays)
    return result


def collect(env: str, start_epoch_s: int, end_epoch_s: int, dynamodb=None) -> StoredData:
    """What the stack stored during the simulated period (driver logs, positions)."""
    from sim import aws

    client = dynamodb or aws.client("dynamodb")
    stored = StoredData()
    start_ms, end_ms = start_epoch_s * 1000, end_epoch_s * 1000
    try:
        stored.driver_logs, stored.driver_zones, capped = read_driver_logs(
            client, aws.resource_name("driver_logs", env=env), start_ms, end_ms
        )
        if capped:
            stored.notes.append(f"driver logs: the first {MAX_SCAN_ITEMS} items read")
    except client.exceptions.ResourceNotFoundException as error:
        stored.notes.append(f"driver logs not read: {error}")
    try:
        positions, stored.positions_total, capped = read_positions(
            client, aws.resource_name("vehicle_locations", env=env), start_ms, end_ms
        )
        stored.positions = thin(positions)
        if capped:
            stored.notes.append(f"positions: the first {MAX_SCAN_ITEMS} items read")
        if len(positions) > len(stored.positions):
            stored.notes.append(f"map: {len(stored.positions)} of {len(positions)} vehicles drawn")
    except client.exceptions.ResourceNotFoundException as error:
        stored.notes.append(f"positions not read: {error}")
    return stored
