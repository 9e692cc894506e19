import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.domain import fuel
from handlers.domain.fuel import DEFAULT_BENCHMARKS, Benchmark, assess

T0 = 1_795_629_600_000
TRACTOR = DEFAULT_BENCHMARKS["tractor"]


def sample(minute, **signals):
    return {"ts_ms": T0 + int(minute * 60_000), "signals": signals}


def highway_trip(minutes=120, speed=96.0, l_per_100km=36.0):
    """Constant-speed trip with consistent odometer and fuel counters."""
    samples = []
    for m in range(minutes + 1):
        km = speed * m / 60
        samples.append(
            sample(
                m,
                engine_rpm=1400,
                vehicle_speed_kph=speed,
                odometer_km=1000 + km,
                fuel_used_l=5000 + km * l_per_100km / 100,
                fuel_rate_lph=speed * l_per_100km / 100,
            )
        )
    return samples


def test_mpg_unit_conversion():
    # 100 km on 10 L is 10 L/100 km = 23.52 US MPG.
    assert fuel.mpg(100, 10) == pytest.approx(23.5215, rel=1e-4)
    assert fuel.mpg(100, 0) is None and fuel.mpg(-1, 5) is None
    assert fuel.mpg(0, 5) == 0.0


def test_mpg_from_odometer_and_fuel_used():
    result = assess(highway_trip(l_per_100km=36.0), TRACTOR)
    assert result.fuel_method == "fuel_used"
    assert result.distance_km == pytest.approx(192.0)
    assert result.mpg == pytest.approx(235.2146 / 36.0, rel=1e-4)  # 6.53 MPG
    assert result.efficiency_ratio == pytest.approx(result.mpg / 6.5)
    assert result.idle_pct == 0.0 and result.patterns == [] and result.coaching == []


def test_mpg_from_fuel_rate_when_counters_missing():
    samples = [
        {
            "ts_ms": s["ts_ms"],
            "signals": {k: v for k, v in s["signals"].items() if k not in ("fuel_used_l", "odometer_km")},
        }
        for s in highway_trip()
    ]
    result = assess(samples, TRACTOR)
    assert result.fuel_method == "fuel_rate"
    assert result.distance_km == pytest.approx(192.0)
    assert result.fuel_l == pytest.approx(192.0 * 0.36)
    assert result.mpg == pytest.approx(235.2146 / 36.0, rel=1e-4)


def test_no_fuel_information_gives_none():
    result = assess([sample(0, vehicle_speed_kph=50), sample(1, vehicle_speed_kph=50)], TRACTOR)
    assert result.mpg is None and result.efficiency_ratio is None and result.fuel_method == "none"


def test_counter_reset_is_not_a_negative_distance():
    samples = [
        sample(0, odometer_km=5000, fuel_used_l=100, vehicle_speed_kph=60, engine_rpm=1200),
        sample(1, odometer_km=10, fuel_used_l=101, vehicle_speed_kph=60, engine_rpm=1200),
    ]
    result = assess(samples, TRACTOR)
    assert result.distance_km == pytest.approx(1.0)  # fell back to speed x time


def test_excess_idling_pattern_and_coaching():
    samples = [sample(m, engine_rpm=650, vehicle_speed_kph=0, fuel_rate_lph=3.0) for m in range(0, 40)]
    samples += [sample(m, engine_rpm=1400, vehicle_speed_kph=90, fuel_rate_lph=32) for m in range(40, 61)]
    result = assess(samples, TRACTOR)
    assert result.idle_pct == pytest.approx(40 / 60 * 100)
    [pattern] = [p for p in result.patterns if p.code == fuel.EXCESS_IDLING]
    assert pattern.limit == 20.0
    [tip] = result.coaching
    assert tip.code == fuel.EXCESS_IDLING and tip.priority == 1
    assert tip.est_fuel_saving_l == pytest.approx((40 - 12) / 60 * 3.0, abs=0.1)


def test_short_idle_is_not_judged():
    samples = [sample(m, engine_rpm=650, vehicle_speed_kph=0) for m in range(0, 10)]
    result = assess(samples, TRACTOR)
    assert result.idle_pct == 100.0 and result.patterns == []


def test_engine_off_is_not_idle():
    samples = [sample(m, engine_rpm=0, vehicle_speed_kph=0) for m in range(0, 60)]
    assert assess(samples, TRACTOR).idle_pct is None


def test_speeding_pattern():
    samples = [sample(m, engine_rpm=1500, vehicle_speed_kph=118 if m < 20 else 95) for m in range(0, 61)]
    result = assess(samples, TRACTOR)
    [pattern] = result.patterns
    assert pattern.code == fuel.SPEEDING and pattern.observed == pytest.approx(33.3, abs=0.1)


def test_harsh_acceleration_counted_per_burst_on_dense_samples():
    samples = []
    speed = 0.0
    for second in range(0, 600):
        # three bursts at 12 km/h per second (3.3 m/s2), otherwise steady
        if second % 200 < 3:
            speed = min(100.0, speed + 12)
        samples.append({"ts_ms": T0 + second * 1000, "signals": {"vehicle_speed_kph": speed, "engine_rpm": 1500}})
    result = assess(samples, TRACTOR)
    [pattern] = [p for p in result.patterns if p.code == fuel.HARSH_ACCELERATION]
    assert pattern.detail.startswith("3 events")


def test_sparse_samples_never_claim_harsh_acceleration():
    samples = [sample(m, vehicle_speed_kph=0 if m % 2 else 100, engine_rpm=1500) for m in range(30)]
    assert all(p.code != fuel.HARSH_ACCELERATION for p in assess(samples, TRACTOR).patterns)


def test_low_mpg_against_class_benchmark_only_with_benchmark():
    samples = highway_trip(l_per_100km=50.0)  # 4.7 MPG vs 6.5
    result = assess(samples, TRACTOR)
    assert [p.code for p in result.patterns] == [fuel.LOW_MPG]
    assert result.coaching[0].est_fuel_saving_l > 0
    assert assess(samples, None).patterns == [] and assess(samples, None).efficiency_ratio is None
    van = assess(highway_trip(l_per_100km=50.0), DEFAULT_BENCHMARKS["van"])
    assert van.efficiency_ratio < result.efficiency_ratio


def test_gaps_count_for_nothing_and_order_does_not_matter():
    samples = [
        sample(0, engine_rpm=700, vehicle_speed_kph=0),
        sample(1, engine_rpm=700, vehicle_speed_kph=0),
        sample(120, engine_rpm=1500, vehicle_speed_kph=80),
        sample(121, engine_rpm=1500, vehicle_speed_kph=80),
    ]
    result = assess(list(reversed(samples)), TRACTOR)
    assert result.running_s == 120 and result.idle_s == 60


def test_flat_and_iso_samples_are_accepted():
    flat = [
        {"ts": "2026-11-25T18:00:00.000Z", "engine_rpm": 700, "vehicle_speed_kph": 0},
        {"ts": "2026-11-25T18:01:00.000Z", "engine_rpm": 700, "vehicle_speed_kph": 0},
    ]
    assert assess(flat, TRACTOR).idle_s == 60


def test_benchmark_redis_mapping_round_trip_and_fallbacks():
    mapping = {k.encode(): v.encode() for k, v in TRACTOR.to_mapping().items()}
    assert Benchmark.from_mapping("tractor", mapping) == TRACTOR
    partial = Benchmark.from_mapping("van", {"mpg": "15.5", "max_idle_pct": "bad"})
    assert partial.mpg == 15.5 and partial.max_idle_pct == DEFAULT_BENCHMARKS["van"].max_idle_pct
    assert fuel.benchmark_key("reefer") == "fuel:benchmark:reefer"
    assert set(DEFAULT_BENCHMARKS) == {"tractor", "straight_truck", "van", "reefer"}


def test_to_dict_is_json_ready():
    import json

    result = assess(highway_trip(l_per_100km=50.0), TRACTOR)
    assert json.loads(json.dumps(result.to_dict()))["patterns"][0]["code"] == fuel.LOW_MPG


junk = st.one_of(st.none(), st.integers(), st.text(max_size=5), st.floats(), st.lists(st.integers(), max_size=2))


@settings(deadline=None)  # a loaded CI box must not turn into flaky failures
@given(
    st.lists(
        st.one_of(
            junk,
            st.fixed_dictionaries(
                {"ts_ms": st.integers(min_value=T0, max_value=T0 + 86_400_000)},
                optional={
                    "signals": st.dictionaries(
                        st.sampled_from(
                            ["engine_rpm", "vehicle_speed_kph", "odometer_km", "fuel_used_l", "fuel_rate_lph"]
                        ),
                        st.floats(min_value=-10, max_value=1e5) | junk,
                    )
                },
            ),
        ),
        max_size=40,
    )
)
def test_assess_never_raises_and_stays_sane(samples):
    result = assess(samples, TRACTOR)
    assert result.idle_pct is None or 0 <= result.idle_pct <= 100
    assert result.mpg is None or result.mpg >= 0
    assert [tip.priority for tip in result.coaching] == list(range(1, len(result.coaching) + 1))


def test_unknown_distance_gives_no_mpg_but_parked_idling_gives_zero():
    no_distance = [sample(m, engine_rpm=1400, fuel_used_l=100 + m) for m in range(10)]
    assert assess(no_distance, TRACTOR).mpg is None
    parked = [sample(m, engine_rpm=700, vehicle_speed_kph=0, fuel_used_l=100 + m * 0.05) for m in range(10)]
    assert assess(parked, TRACTOR).mpg == 0.0


def test_huge_integers_are_not_readings():
    huge = 10**400  # float() of this overflows
    samples = [
        {"ts_ms": huge, "signals": {"engine_rpm": 700}},
        sample(0, engine_rpm=huge, vehicle_speed_kph=0),
        sample(1, engine_rpm=700, vehicle_speed_kph=0),
    ]
    result = assess(samples, TRACTOR)
    assert result.idle_s == 0 and result.running_s == 0  # the first interval has no rpm reading
