"""Fuel efficiency: MPG, idle share, benchmark comparison, inefficiency patterns and coaching.

Samples are diagnostics records (`{"ts": ..., "signals": {...}}`, normalized ones carry `ts_ms`)
or flat dicts (`{"ts_ms": ..., "vehicle_speed_kph": ..., ...}`); both are accepted.
MPG is US miles per US gallon (the fleet is North American).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from .telemetry import iso_to_epoch_ms

KM_PER_MILE = 1.609344
LITRES_PER_US_GALLON = 3.785411784

EXCESS_IDLING = "excess_idling"
SPEEDING = "speeding"
HARSH_ACCELERATION = "harsh_acceleration"
LOW_MPG = "low_mpg"


IDLE_RPM_MIN = 300.0  # below this the engine is off or cranking
MOVING_KPH = 2.0  # GPS/wheel-speed noise floor
MAX_GAP_S = 600  # a longer silence is a data gap, not time at the last state
HARSH_MAX_DT_S = 10  # 60 s samples cannot show an acceleration; only judge dense data
MIN_RUNNING_S_FOR_IDLE = 900  # idle share over a few minutes says nothing
MIN_DISTANCE_KM_FOR_MPG = 20.0
LOW_MPG_RATIO = 0.85
IDLE_BURN_LPH = 3.0  # heavy diesel at idle burns ~0.8 US gal/h
SPEEDING_PENALTY = 0.07  # ~7 % more fuel above 105 km/h (aerodynamic drag ~ v^2)


@dataclass(frozen=True)
class Benchmark:
    """What a vehicle class should achieve. Stored in Redis (hash per vehicle type) by the handler."""

    vehicle_type: str
    mpg: float
    max_idle_pct: float
    speed_limit_kph: float = 105.0  # ~65 mph, the usual governed/fleet policy speed
    max_speeding_pct: float = 5.0  # share of driving time above speed_limit_kph
    harsh_accel_mps2: float = 2.5  # ~0.25 g; loaded heavy trucks rarely exceed 1.5 m/s2
    max_harsh_per_100km: float = 1.0

    _NUMERIC = ("mpg", "max_idle_pct", "speed_limit_kph", "max_speeding_pct", "harsh_accel_mps2", "max_harsh_per_100km")

    def to_mapping(self) -> dict[str, str]:
        """Redis HSET mapping (all strings)."""
        return {name: repr(float(getattr(self, name))) for name in self._NUMERIC}

    @classmethod
    def from_mapping(cls, vehicle_type: str, mapping: dict) -> Benchmark:
        """Inverse of to_mapping (bytes or str keys/values); missing or bad fields fall back to
        DEFAULT_BENCHMARKS[vehicle_type] (or GENERIC_BENCHMARK)."""
        base = DEFAULT_BENCHMARKS.get(vehicle_type, GENERIC_BENCHMARK)
        values = {}
        for key, value in (mapping or {}).items():
            key = key.decode() if isinstance(key, (bytes, bytearray)) else key
            if key in cls._NUMERIC:
                try:
                    number = float(value.decode() if isinstance(value, (bytes, bytearray)) else value)
                except (TypeError, ValueError, OverflowError):
                    continue
                if math.isfinite(number) and number >= 0:
                    values[key] = number
        return cls(vehicle_type=vehicle_type, **{name: values.get(name, getattr(base, name)) for name in cls._NUMERIC})


def benchmark_key(vehicle_type: str) -> str:
    """Redis hash key of a vehicle class's benchmark."""
    return f"fuel:benchmark:{vehicle_type}"


# Class-8 tractors average ~6.5-7 MPG (NACFE/ATRI fleet data), reefer tractors lower (doors,
# dock idling), straight trucks ~8, Class 2b-3 cargo vans ~14.
DEFAULT_BENCHMARKS: dict[str, Benchmark] = {
    "tractor": Benchmark("tractor", mpg=6.5, max_idle_pct=20.0),
    "reefer": Benchmark("reefer", mpg=5.8, max_idle_pct=25.0),
    "straight_truck": Benchmark("straight_truck", mpg=8.0, max_idle_pct=15.0),
    "van": Benchmark("van", mpg=14.0, max_idle_pct=12.0, speed_limit_kph=113.0, harsh_accel_mps2=3.0),
}
GENERIC_BENCHMARK = Benchmark("generic", mpg=6.5, max_idle_pct=20.0)


@dataclass(frozen=True)
class Pattern:
    """An inefficiency found in the samples: `observed` vs `limit` in `unit`."""

    code: str
    observed: float
    limit: float
    unit: str
    detail: str = ""


@dataclass(frozen=True)
class CoachingTip:
    """A recommendation for the driver; `priority` 1 = most urgent. `est_fuel_saving_l` may be 0."""

    code: str
    priority: int
    title: str
    message: str
    est_fuel_saving_l: float = 0.0


@dataclass
class FuelAssessment:
    """Result of `assess`. mpg/efficiency_ratio are None when distance or fuel is unknown."""

    mpg: float | None
    idle_pct: float | None
    patterns: list[Pattern] = field(default_factory=list)
    coaching: list[CoachingTip] = field(default_factory=list)
    efficiency_ratio: float | None = None
    distance_km: float = 0.0
    fuel_l: float = 0.0
    fuel_method: str = "none"  # "fuel_used" | "fuel_rate" | "none"
    running_s: float = 0.0
    idle_s: float = 0.0

    def to_dict(self) -> dict:
        """JSON-friendly form (for Aurora fuel_analytics and the coaching message)."""
        return asdict(self)


def mpg(distance_km: float, fuel_l: float) -> float | None:
    """US MPG for a distance and fuel volume; None when fuel_l <= 0 or distance < 0."""
    if fuel_l is None or distance_km is None or fuel_l <= 0 or distance_km < 0:
        return None
    return (distance_km / KM_PER_MILE) / (fuel_l / LITRES_PER_US_GALLON)


def assess(samples: list[dict], benchmark: Benchmark | None) -> FuelAssessment:
    """Fuel efficiency of one vehicle over the samples (any order; sorted by time here).

    Distance from odometer delta (else speed x time); fuel from fuel_used_l delta, else from
    fuel_rate_lph integrated over time. Idle = engine running (rpm >= 300) at speed < 2 km/h.
    `benchmark` None disables the benchmark comparison (patterns use GENERIC_BENCHMARK limits).
    Malformed samples are skipped; never raises on lists of dicts.
    """
    points = sorted(_points(samples), key=lambda point: point[0])
    limits = benchmark or GENERIC_BENCHMARK
    totals = _integrate(points, limits)
    distance_km, fuel_l, method = _distance_and_fuel(points, totals)
    # Without an odometer or any speed reading the distance is unknown, not zero: no MPG.
    distance_known = totals.speed_covered or _delta(points, "odometer_km") is not None
    result = FuelAssessment(
        mpg=mpg(distance_km, fuel_l) if distance_known else None,
        idle_pct=None,
        distance_km=distance_km,
        fuel_l=fuel_l,
        fuel_method=method,
        running_s=totals.running_s,
        idle_s=totals.idle_s,
    )
    if totals.running_s > 0:
        result.idle_pct = 100.0 * totals.idle_s / totals.running_s
    if benchmark is not None and result.mpg is not None and benchmark.mpg > 0:
        result.efficiency_ratio = result.mpg / benchmark.mpg
    result.patterns = _patterns(result, totals, limits, benchmark is not None)
    result.coaching = coaching_for(result.patterns, result, limits)
    return result


@dataclass
class _Totals:
    running_s: float = 0.0
    idle_s: float = 0.0
    driving_s: float = 0.0
    speeding_s: float = 0.0
    speed_distance_km: float = 0.0
    speed_covered: bool = False
    rate_fuel_l: float = 0.0
    rate_covered: bool = False
    harsh_events: int = 0
    max_accel_mps2: float = 0.0


def _integrate(points: list[tuple[int, dict]], limits: Benchmark) -> _Totals:
    totals = _Totals()
    in_harsh_run = False
    for (t0, a), (t1, b) in zip(points, points[1:]):
        dt = (t1 - t0) / 1000
        if dt <= 0 or dt > MAX_GAP_S:
            in_harsh_run = False
            continue
        speed = a.get("vehicle_speed_kph")
        rpm = a.get("engine_rpm")
        running = rpm >= IDLE_RPM_MIN if rpm is not None else (speed or 0) >= MOVING_KPH
        if running:
            totals.running_s += dt
            if speed is not None and speed < MOVING_KPH:
                totals.idle_s += dt
        if speed is not None:
            totals.speed_covered = True
        if speed is not None and speed >= MOVING_KPH:
            totals.driving_s += dt
            totals.speed_distance_km += speed * dt / 3600
            if speed > limits.speed_limit_kph:
                totals.speeding_s += dt
        rate = a.get("fuel_rate_lph")
        if rate is not None:
            totals.rate_fuel_l += rate * dt / 3600
            totals.rate_covered = True
        next_speed = b.get("vehicle_speed_kph")
        harsh = False
        if speed is not None and next_speed is not None and dt <= HARSH_MAX_DT_S:
            accel = (next_speed - speed) / 3.6 / dt
            totals.max_accel_mps2 = max(totals.max_accel_mps2, accel)
            harsh = accel >= limits.harsh_accel_mps2
        if harsh and not in_harsh_run:
            totals.harsh_events += 1  # one event per burst, not per sample in it
        in_harsh_run = harsh
    return totals


def _distance_and_fuel(points: list[tuple[int, dict]], totals: _Totals) -> tuple[float, float, str]:
    odometer = _delta(points, "odometer_km")
    distance_km = odometer if odometer is not None else totals.speed_distance_km
    used = _delta(points, "fuel_used_l")
    if used is not None:
        return distance_km, used, "fuel_used"
    if totals.rate_covered:
        return distance_km, totals.rate_fuel_l, "fuel_rate"
    return distance_km, 0.0, "none"


def _delta(points: list[tuple[int, dict]], name: str) -> float | None:
    # Counters (odometer, fuel used) only grow; a decrease is an ECU swap or reset, so the delta
    # is unknown rather than negative.
    values = [signals[name] for _, signals in points if name in signals]
    if len(values) < 2 or values[-1] < values[0]:
        return None
    return float(values[-1] - values[0])


def _patterns(result: FuelAssessment, totals: _Totals, limits: Benchmark, has_benchmark: bool) -> list[Pattern]:
    found = []
    if (
        result.idle_pct is not None
        and totals.running_s >= MIN_RUNNING_S_FOR_IDLE
        and result.idle_pct > limits.max_idle_pct
    ):
        found.append(
            Pattern(
                EXCESS_IDLING,
                round(result.idle_pct, 1),
                limits.max_idle_pct,
                "%",
                f"{totals.idle_s / 60:.0f} min idling of {totals.running_s / 60:.0f} min running",
            )
        )
    if totals.driving_s > 0:
        speeding_pct = 100.0 * totals.speeding_s / totals.driving_s
        if speeding_pct > limits.max_speeding_pct:
            found.append(
                Pattern(
                    SPEEDING,
                    round(speeding_pct, 1),
                    limits.max_speeding_pct,
                    "%",
                    f"{totals.speeding_s / 60:.0f} min above {limits.speed_limit_kph:.0f} km/h",
                )
            )
    if totals.harsh_events:
        per_100km = 100.0 * totals.harsh_events / max(result.distance_km, 1.0)
        if per_100km > limits.max_harsh_per_100km:
            found.append(
                Pattern(
                    HARSH_ACCELERATION,
                    round(per_100km, 2),
                    limits.max_harsh_per_100km,
                    "events/100km",
                    f"{totals.harsh_events} events, peak {totals.max_accel_mps2:.1f} m/s2",
                )
            )
    if (
        has_benchmark
        and result.efficiency_ratio is not None
        and result.mpg is not None
        and result.distance_km >= MIN_DISTANCE_KM_FOR_MPG
        and result.efficiency_ratio < LOW_MPG_RATIO
    ):
        found.append(
            Pattern(
                LOW_MPG,
                round(result.mpg, 2),
                round(limits.mpg * LOW_MPG_RATIO, 2),
                "mpg",
                f"{result.efficiency_ratio:.0%} of the {limits.vehicle_type} benchmark",
            )
        )
    return found


def coaching_for(patterns: list[Pattern], result: FuelAssessment, limits: Benchmark) -> list[CoachingTip]:
    """Coaching tips for the patterns, most urgent (largest estimated saving) first."""
    tips = []
    for pattern in patterns:
        if pattern.code == EXCESS_IDLING:
            excess_s = result.idle_s - result.running_s * limits.max_idle_pct / 100
            tips.append(
                CoachingTip(
                    EXCESS_IDLING,
                    0,
                    "Cut idle time",
                    f"Idling was {pattern.observed:.0f}% of engine time (target "
                    f"<= {pattern.limit:.0f}%). Shut down when parked over 5 "
                    "minutes; use the APU or bunk heater for cab comfort.",
                    round(max(0.0, excess_s) / 3600 * IDLE_BURN_LPH, 1),
                )
            )
        elif pattern.code == SPEEDING:
            tips.append(
                CoachingTip(
                    SPEEDING,
                    0,
                    "Ease off the top speed",
                    f"{pattern.observed:.0f}% of driving was above "
                    f"{limits.speed_limit_kph:.0f} km/h. Cruising at "
                    f"{limits.speed_limit_kph - 8:.0f}-{limits.speed_limit_kph:.0f}"
                    " km/h saves fuel: drag grows with the square of speed.",
                    round(result.fuel_l * pattern.observed / 100 * SPEEDING_PENALTY, 1),
                )
            )
        elif pattern.code == HARSH_ACCELERATION:
            tips.append(
                CoachingTip(
                    HARSH_ACCELERATION,
                    0,
                    "Accelerate smoothly",
                    f"{pattern.observed:.1f} harsh accelerations per 100 km. "
                    "Progressive shifting and gentle throttle save fuel and "
                    "drivetrain wear.",
                    0.0,
                )
            )
        elif pattern.code == LOW_MPG:
            tips.append(
                CoachingTip(
                    LOW_MPG,
                    0,
                    "Fuel economy below class benchmark",
                    f"{pattern.observed:.1f} MPG vs {limits.mpg:.1f} for a "
                    f"{limits.vehicle_type}. Check tyre pressure, use cruise "
                    "control on highways and anticipate stops.",
                    round(result.fuel_l * max(0.0, 1 - (result.efficiency_ratio or 1)), 1),
                )
            )
    ordered = sorted(tips, key=lambda tip: (-tip.est_fuel_saving_l, tip.code))
    return [
        CoachingTip(tip.code, rank, tip.title, tip.message, tip.est_fuel_saving_l)
        for rank, tip in enumerate(ordered, start=1)
    ]


def _points(samples: Any) -> list[tuple[int, dict]]:
    points = []
    for sample in samples if isinstance(samples, list) else ():
        if not isinstance(sample, dict):
            continue
        ts_ms = _sample_ts_ms(sample)
        nested = sample.get("signals")
        signals = nested if isinstance(nested, dict) else sample
        clean = {}
        for name, value in signals.items():
            number = _reading(value)
            if number is not None:
                clean[name] = number
        if ts_ms is not None:
            points.append((ts_ms, clean))
    return points


def _reading(value: Any) -> float | None:
    # Counters and rates are never negative; anything not a finite number is no reading.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _sample_ts_ms(sample: dict) -> int | None:
    value = _reading(sample.get("ts_ms", sample.get("timestamp")))
    if value is not None:
        return int(value)
    ts = sample.get("ts")
    if not isinstance(ts, str):
        return None  # iso_to_epoch_ms refuses it with ValueError too
    try:
        return iso_to_epoch_ms(ts)
    except (ValueError, OverflowError):
        return None
