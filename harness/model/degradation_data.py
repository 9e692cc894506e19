"""Synthetic training data for the local predictive-maintenance model, from a small physical model.

Each sample is a 30-minute window of diagnostics records (one a minute) of one vehicle, plus its
service history, turned into features by the handler's own `handlers.domain.predictive.build_features`
(so training and serving use the same feature code and the FEATURE_NAMES order).

Physical model (thresholds shared with sim/degradation.py, which the simulator uses to inject faults):
- A vehicle is healthy (55 %) or carries one degradation process with severity s ~ U(0, 1):
  `cooling_failure` (fouled radiator / weak water pump), `battery_decline` (sulfated battery /
  failing alternator), `injector_wear` (worn injectors).
- Engine load L ~ U(20, 85) %, rpm = 1050 + 9 L; coolant settles at 86 + 0.08 (L - 50) + 28 s^1.3 °C
  (the cooling deficit grows faster than linearly) and is still rising at 5 s °C/h when degraded;
  battery at 14.1 - 2.8 s V while charging; worn injectors raise fuel rate by 25 s % and
  rpm jitter; noise on every signal.
- ECUs raise codes as sim/degradation.py does: coolant >= 104 °C SPN 110 FMI 16, >= 110 °C FMI 0;
  battery < 12.0 V SPN 168 FMI 1; injector severity >= 0.6 SPN 651 FMI 7.
- Ground truth: the degraded component fails within HORIZON_DAYS with probability
  sigmoid(12 (s - 0.55)) (a wear process near its end of life), plus 1 % background failure of a
  random component for old, high-mileage vehicles.
"""
from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

HORIZON_DAYS = 14
WINDOW_MIN = 30
PROCESSES = {"cooling_failure": "cooling_system", "battery_decline": "battery_electrical",
             "injector_wear": "fuel_system"}
COMPONENTS = tuple(PROCESSES.values())
VEHICLE_TYPES = ("tractor", "straight_truck", "van", "reefer")


@dataclass
class Sample:
    records: list[dict]
    history: dict
    failing_component: str | None  # the component that fails within the horizon, if any


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _dtc(spn: int, fmi: int) -> dict:
    return {"spn": spn, "fmi": fmi, "oc": 1}


def window(rng: random.Random, process: str | None, severity: float, start: dt.datetime) -> tuple[list[dict], dict]:
    vehicle_type = rng.choice(VEHICLE_TYPES)
    age_days = rng.uniform(100, 3000)
    odometer = age_days * rng.uniform(150, 450)
    engine_hours = odometer / rng.uniform(45, 60)
    history = {"age_days": age_days, "odometer_km": odometer, "last_service_km": odometer - rng.uniform(0, 40000),
               "prior_failures": rng.choice([0, 0, 0, 1, 1, 2, 3]), "engine_hours": engine_hours}
    cooling = severity if process == "cooling_failure" else 0.0
    battery = severity if process == "battery_decline" else 0.0
    injector = severity if process == "injector_wear" else 0.0
    records = []
    base_load = rng.uniform(20, 85)
    for minute in range(WINDOW_MIN):
        load = min(100.0, max(0.0, base_load + rng.gauss(0, 6)))
        rpm = 1050 + 9 * load + rng.gauss(0, 25 + 120 * injector)
        coolant = (86 + 0.08 * (load - 50) + 28 * cooling ** 1.3
                   + 5 * cooling * (minute - WINDOW_MIN) / 60 + rng.gauss(0, 0.8))
        battery_v = 14.1 - 2.8 * battery + rng.gauss(0, 0.08)
        fuel_rate = (8 + 0.35 * load) * (1 + 0.25 * injector) + rng.gauss(0, 0.6)
        dtcs = []
        if coolant >= 110:
            dtcs.append(_dtc(110, 0))
        elif coolant >= 104:
            dtcs.append(_dtc(110, 16))
        if battery_v < 12.0:
            dtcs.append(_dtc(168, 1))
        if injector >= 0.6:
            dtcs.append(_dtc(651, 7))
        records.append({
            "kind": "diagnostics", "vehicle_type": vehicle_type,
            "ts": (start + dt.timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "signals": {"engine_rpm": rpm, "coolant_temp_c": coolant, "engine_load_pct": load,
                        "battery_v": battery_v, "fuel_rate_lph": fuel_rate,
                        "odometer_km": odometer + minute * 1.2, "engine_hours": engine_hours + minute / 60},
            "dtcs": dtcs,
        })
    return records, history


def generate(count: int, seed: int) -> list[Sample]:
    rng = random.Random(seed)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    samples = []
    for _ in range(count):
        process = None if rng.random() < 0.55 else rng.choice(list(PROCESSES))
        severity = rng.random() if process else 0.0
        records, history = window(rng, process, severity, start)
        failing = None
        if process and rng.random() < _sigmoid(12 * (severity - 0.55)):
            failing = PROCESSES[process]
        elif history["age_days"] > 2000 and rng.random() < 0.01:
            failing = rng.choice(COMPONENTS)
        samples.append(Sample(records, history, failing))
    return samples
