"""z-score and trend rules compare like with like: engine running and warm. A healthy vehicle's
cold start, idle-to-drive warm-up and engine stop raise nothing; real faults still alert."""

import collections

import pytest

from handlers.domain import anomaly
from handlers.domain.anomaly import evaluate
from tests.unit.domain.domain_records import NOW_MS, build_record

MINUTE = 60_000
AMBIENT_C = 12.0


def diag(ts_ms, signals):
    record = build_record(signals=signals, dtcs=[])
    record["ts_ms"] = ts_ms
    return record


def replay(samples, thresholds=None):
    """Evaluate a vehicle's samples [(engine_rpm, coolant_c, battery_v)], one a minute, keeping
    the windows as the handler does (window_signals, window_s). Returns all anomalies."""
    thresholds = thresholds or anomaly.default_thresholds("VH-000123", "tractor")
    spans = anomaly.window_signals(thresholds)
    windows = collections.defaultdict(list)
    found = []
    start = NOW_MS - len(samples) * MINUTE
    for i, (rpm, coolant, battery) in enumerate(samples):
        ts_ms = start + i * MINUTE
        signals = {"engine_rpm": rpm, "coolant_temp_c": coolant, "battery_v": battery}
        for signal, span in spans.items():
            if signal not in signals:
                continue
            windows[signal] = [p for p in windows[signal] if p[0] >= ts_ms - span * 1000] + [
                (ts_ms, float(signals[signal]))
            ]
        found.extend(evaluate(diag(ts_ms, signals), thresholds, windows))
    return found


def healthy_day():
    """Parked overnight, cold start, idle warm-up, drive, stop for lunch, restart warm, drive, stop."""
    samples = [(0.0, AMBIENT_C, 12.6)] * 30  # parked, cold, resting battery
    coolant = AMBIENT_C
    for minute in range(90):  # cold start, 1.5 degC/min max
        target = 83.0 if minute < 10 else 90.0  # idle, then load
        coolant = min(target, coolant + 1.5) if coolant < target else coolant
        rpm = 650.0 + (minute % 3) * 5 if minute < 10 else 1250.0 + (minute % 4) * 20
        samples.append((rpm, round(coolant), 14.1 + ((minute % 5) - 2) * 0.05))
    for _ in range(40):  # engine stop: cools, 12.6 V
        coolant = coolant - (coolant - AMBIENT_C) * 0.025
        samples.append((0.0, round(coolant), 12.6))
    for minute in range(60):  # restart while still warm
        coolant = min(90.0, coolant + 1.5)
        samples.append((1250.0 + (minute % 4) * 20, round(coolant), 14.1 + ((minute % 5) - 2) * 0.05))
    for _ in range(30):  # stop for the night
        coolant = coolant - (coolant - AMBIENT_C) * 0.025
        samples.append((0.0, round(coolant), 12.6))
    return samples


def test_healthy_cold_start_and_engine_stop_raise_nothing():
    assert replay(healthy_day()) == []


def test_same_day_without_the_regime_gate_would_page():
    """The scenario above is a real trap: scored against unfiltered history it alerts."""
    samples = healthy_day()
    without_rpm = []
    windows = collections.defaultdict(list)
    thresholds = anomaly.default_thresholds("VH-000123", "tractor")
    start = NOW_MS - len(samples) * MINUTE
    for i, (_, coolant, battery) in enumerate(samples):
        ts_ms = start + i * MINUTE
        signals = {"coolant_temp_c": coolant, "battery_v": battery}  # regime unknown: no gate
        for signal, value in signals.items():
            windows[signal] = [p for p in windows[signal] if p[0] >= ts_ms - 900_000] + [(ts_ms, value)]
        without_rpm.extend(evaluate(diag(ts_ms, signals), thresholds, windows))
    assert any(a.rule == "zscore:battery_v" for a in without_rpm)


def test_sensor_step_on_a_flat_warm_history_is_not_a_surprise():
    steady = [(1250.0, 88.0, 14.15)] * 15 + [(1250.0, 89.0, 14.0)]
    assert replay(steady) == []


def test_overheat_while_running_warm_still_alerts():
    samples = [(1250.0, 88.0 + (i % 3) * 0.5, 14.1) for i in range(20)] + [(1250.0, 97.0, 14.1)]
    assert [(a.rule, a.severity) for a in replay(samples)] == [("zscore:coolant_temp_c", "warning")]


def test_charging_voltage_drop_while_running_still_alerts():
    samples = [(1250.0, 88.0, 14.1 + (i % 3) * 0.05) for i in range(20)] + [(1250.0, 88.0, 13.4)]
    assert [(a.rule, a.severity) for a in replay(samples)] == [("zscore:battery_v", "warning")]


def test_charging_history_is_not_compared_with_resting_voltage():
    # Engine just stopped: 12.6 V after 14.1 V of charging is the rest regime, not a sag.
    samples = [(1250.0, 88.0, 14.1 + (i % 3) * 0.05) for i in range(20)] + [(0.0, 88.0, 12.6)]
    assert replay(samples) == []
    # Restarted: charging readings are compared with charging readings only.
    samples += [(0.0, 85.0, 12.6)] * 5 + [(1250.0, 86.0, 14.1)]
    assert replay(samples) == []


@pytest.mark.parametrize("rpm, coolant", [(0.0, 95.0), (900.0, 60.0)])
def test_no_zscore_when_engine_off_or_cold(rpm, coolant):
    history = [(1250.0, 50.0 + (i % 3) * 0.5, 14.1) for i in range(20)]
    assert not [a for a in replay(history + [(rpm, coolant, 14.1)]) if a.rule.startswith("zscore:")]


def test_running_reading_without_rpm_history_skips_zscore():
    history = [(NOW_MS - (20 - i) * MINUTE, 14.1 + (i % 3) * 0.05) for i in range(15)]
    record = diag(NOW_MS, {"engine_rpm": 1250.0, "battery_v": 13.0})
    thresholds = anomaly.default_thresholds("VH-000123", "tractor")
    assert evaluate(record, thresholds, {"battery_v": history}) == []
