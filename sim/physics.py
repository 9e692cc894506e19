"""A simple physical model of a truck: motion along legs, engine speed from road speed and gear,
load from speed and mass, fuel burn from load, speed and idle, coolant and battery dynamics.

`advance` integrates one vehicle from its last update to `now_s` and leaves the instantaneous
signal values on the state. It is the hot path (called ~3 times a minute per vehicle), so state
lives in a __slots__ object and the code avoids per-call allocation.
"""

from __future__ import annotations

import math
import random

from sim import degradation
from sim.catalog import VehicleClass
from sim.geography import Leg
from sim.identities import Vehicle
from sim.routes import next_leg

AMBIENT_C = 15.0
URBAN_ZONE_KM = 8.0  # near the ends of a leg the vehicle is in town traffic
URBAN_KPH = 45.0
LOCAL_KPH = 55.0
CONGESTION_CHANCE = 0.004  # per update (every 20-30 s): about one jam per 2-3 driving hours
COOLANT_TAU_RUNNING_S = 600.0
COOLANT_TAU_OFF_S = 2400.0
# Thermostat and water pump limit how fast coolant warms: about 1.5 degC/min from a cold start.
COOLANT_MAX_RISE_PER_S = 1.5 / 60
REFUEL_TO = 0.95
LOW_FUEL_SHARE = 0.5  # drivers top up at any stop below half a tank (fleet fuel-card policy)


class VehicleState:
    __slots__ = (
        "vehicle",
        "vclass",
        "profile",
        "lat",
        "lon",
        "leg",
        "leg_km",
        "at_city",
        "heading",
        "speed",
        "rpm",
        "load",
        "throttle",
        "fuel_rate",
        "odometer_km",
        "engine_hours",
        "fuel_used_l",
        "fuel_l",
        "coolant_c",
        "battery_v",
        "engine_on",
        "moving",
        "status",
        "activity",
        "last_t",
        "cruise_kph",
        "traffic_until",
        "traffic_factor",
        "conditions",
        "occurrences",
        "route",
        "idle_when_stopped",
        "aggressive",
        "prefixes",
    )

    def __init__(self, vehicle: Vehicle, vclass: VehicleClass, lat: float, lon: float, rng: random.Random) -> None:
        self.vehicle = vehicle
        self.vclass = vclass
        self.profile = vclass.duty_profile
        self.lat, self.lon = lat, lon
        self.leg = None
        self.leg_km = 0.0
        self.at_city = vehicle.home_terminal
        self.heading = 0.0
        self.speed = self.rpm = self.load = self.throttle = self.fuel_rate = 0.0
        age_years = max(2027 - vehicle.year, 1)
        yearly_km = {"long_haul": 160_000, "regional": 70_000, "local": 40_000}[self.profile]
        self.odometer_km = age_years * yearly_km * rng.uniform(0.6, 1.1)
        self.engine_hours = self.odometer_km / rng.uniform(45.0, 60.0)
        self.fuel_used_l = self.odometer_km * rng.uniform(0.3, 0.4)
        self.fuel_l = vclass.tank_l * rng.uniform(0.6, 0.95)
        self.coolant_c = AMBIENT_C
        self.battery_v = 12.6
        self.engine_on = self.moving = False
        self.status, self.activity = "OFF", "rest"
        self.last_t = 0.0
        self.cruise_kph = vclass.cruise_kph + rng.uniform(-4.0, 3.0)
        self.traffic_until = 0.0
        self.traffic_factor = 1.0
        self.conditions: list = []
        self.occurrences: dict = {}
        self.route = None  # scenario waypoints; None = roam per duty profile
        self.idle_when_stopped = False
        self.aggressive = False
        self.prefixes = None  # records.RecordPrefixes, set by the fleet


def set_activity(state: VehicleState, status: str, activity: str, engine_on: bool) -> None:
    state.status, state.activity = status, activity
    state.moving = activity == "drive"
    # An excessive idler leaves the engine running through stops, breaks and rest.
    state.engine_on = engine_on or state.moving or state.idle_when_stopped
    if activity == "fuel" or (not state.moving and state.fuel_l < state.vclass.tank_l * LOW_FUEL_SHARE):
        state.fuel_l = state.vclass.tank_l * REFUEL_TO


def advance(state: VehicleState, now_s: float, rng: random.Random) -> None:
    dt = now_s - state.last_t
    if dt <= 0:
        return
    state.last_t = now_s
    vclass = state.vclass
    random_ = rng.random
    severity = degradation.severities(state.conditions, now_s) if state.conditions else None

    if state.moving:
        _drive(state, dt, now_s, rng)
    else:
        state.speed = 0.0
    if state.engine_on:
        speed = state.speed
        if speed > 0.5:
            kph = int(speed)
            rpm = vclass.rpm_by_kph[kph if kph < 160 else 160]
            load = 12.0 + vclass.mass_factor * 0.0045 * speed * speed + (random_() - 0.5) * 16.0
            if state.aggressive:
                load += 12.0
        else:
            rpm = vclass.idle_rpm + (random_() - 0.5) * 20.0
            load = 9.0 + random_() * 4.0
        load = 100.0 if load > 100.0 else (0.0 if load < 0.0 else load)
        fuel_rate = vclass.idle_fuel_lph + vclass.fuel_per_load_krpm * load * rpm * 1e-5
        fuel_rate += vclass.auxiliary_fuel_lph
        coolant_target = 82.0 + load * 0.12
        battery = 14.1 + (random_() - 0.5) * 0.2
        if severity:
            fuel_rate *= 1.0 + 0.6 * severity.get("injector_wear", 0.0)
            coolant_target += 40.0 * severity.get("cooling_failure", 0.0)
            battery -= 2.6 * severity.get("battery_decline", 0.0)
        tau = COOLANT_TAU_RUNNING_S
        state.engine_hours += dt / 3600.0
        state.throttle = load * 0.85 + random_() * 3.0 if speed > 0.5 else 0.0
    else:
        rpm = load = fuel_rate = 0.0
        coolant_target = AMBIENT_C
        battery = 12.6 - (1.3 * severity.get("battery_decline", 0.0) if severity else 0.0)
        tau = COOLANT_TAU_OFF_S
        state.throttle = 0.0
    burnt = fuel_rate * dt / 3600.0
    state.fuel_used_l += burnt
    fuel_l = state.fuel_l - burnt
    state.fuel_l = 0.0 if 0.0 > fuel_l else fuel_l  # max(fuel_l, 0.0), without the call
    change = (coolant_target - state.coolant_c) * (1.0 - math.exp(-dt / tau))
    max_rise = COOLANT_MAX_RISE_PER_S * dt
    state.coolant_c += max_rise if change > max_rise else change
    state.rpm, state.load, state.fuel_rate, state.battery_v = rpm, load, fuel_rate, battery


def _drive(state: VehicleState, dt: float, now_s: float, rng: random.Random) -> None:
    leg = state.leg
    if leg is None or state.leg_km >= leg.road_km:
        leg = _start_next_leg(state, rng)
        if leg is None:  # a scenario route that has ended: parked where it stopped, engine off
            state.speed = 0.0
            state.engine_on = state.idle_when_stopped
            return
    leg_km, road_km = state.leg_km, leg.road_km
    if state.profile == "local":
        target = LOCAL_KPH
    elif leg_km < URBAN_ZONE_KM or road_km - leg_km < URBAN_ZONE_KM:
        target = URBAN_KPH
    else:
        target = state.cruise_kph + (16.0 if state.aggressive else 0.0)
    if now_s >= state.traffic_until:
        state.traffic_factor = 1.0
        if rng.random() < CONGESTION_CHANCE:
            state.traffic_until = now_s + rng.uniform(300.0, 1200.0)
            state.traffic_factor = rng.uniform(0.3, 0.6)
    speed = target * state.traffic_factor + (rng.random() - 0.5) * 8.0
    speed = 5.0 if speed < 5.0 else speed
    state.speed = speed
    distance = speed * dt / 3600.0
    state.odometer_km += distance
    leg_km += distance
    state.leg_km = leg_km
    share = leg_km / road_km
    if share >= 1.0:
        share = 1.0
    state.lat = leg.from_lat + (leg.to_lat - leg.from_lat) * share
    state.lon = leg.from_lon + (leg.to_lon - leg.from_lon) * share


def _start_next_leg(state: VehicleState, rng: random.Random):
    if state.route is not None:
        if not state.route:
            state.leg = None
            return None
        to_lat, to_lon = state.route.pop(0)
        leg = Leg.between(state.lat, state.lon, to_lat, to_lon)
    else:
        leg, city = next_leg(rng, state.profile, state.lat, state.lon, state.at_city, state.vehicle.home_terminal)
        # Destinations are chosen city to city: the next leg is planned from where this one ends.
        state.at_city = city
    state.leg, state.leg_km, state.heading = leg, 0.0, leg.heading_deg
    return leg


def trouble_codes(state: VehicleState, now_s: float) -> list[dict]:
    """The vehicle's active DTCs for a diagnostics sample (only called for vehicles with conditions)."""
    return degradation.active_dtcs(
        state.vclass.dtc_form,
        state.coolant_c,
        state.battery_v,
        state.engine_on,
        degradation.severities(state.conditions, now_s),
        state.occurrences,
        now_s,
    )
