"""Vehicle classes: makes and models with their VIN manufacturer codes, and the drivetrain and
fuel constants the physics model needs. One entry per contract vehicle type."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Model:
    make: str
    model: str
    wmi: str  # VIN world manufacturer identifier of the plant that builds it


@dataclass(frozen=True)
class VehicleClass:
    """Cruise speeds sit under the usual 105 km/h (65 mph) fleet governor, with noise."""

    vehicle_type: str
    models: tuple[Model, ...]
    dtc_form: str  # "j1939" for heavy trucks, "obd" for light vehicles (SAE J1979 / J2012)
    duty_profile: str  # long_haul | regional | local (see duty.py)
    tank_l: float
    cruise_kph: float
    idle_rpm: float
    min_cruise_rpm: float  # the transmission shifts up as soon as the engine stays above this
    max_rpm: float
    gear_ratios: tuple[float, ...]
    axle_ratio: float
    tyre_radius_m: float
    idle_fuel_lph: float
    fuel_per_load_krpm: float  # L/h added per unit of (load fraction x engine kRPM)
    mass_factor: float  # how much speed costs load (aero + rolling resistance of a loaded unit)
    auxiliary_fuel_lph: float = 0.0  # a reefer's refrigeration unit
    rpm_by_kph: tuple[float, ...] = field(default=(), compare=False)

    def with_rpm_table(self) -> VehicleClass:
        """Precompute engine RPM for every whole km/h, so the hot path is one list lookup."""
        table = []
        for kph in range(0, 161):
            wheel_rpm = (kph / 3.6) / (2 * math.pi * self.tyre_radius_m) * 60
            rpm = self.idle_rpm
            for ratio in reversed(self.gear_ratios):  # highest gear first
                candidate = wheel_rpm * self.axle_ratio * ratio
                if candidate >= self.min_cruise_rpm:
                    rpm = candidate
                    break
            else:
                rpm = max(self.idle_rpm, wheel_rpm * self.axle_ratio * self.gear_ratios[0])
            table.append(round(min(rpm, self.max_rpm), 1))
        return _replace_table(self, tuple(table))


def _replace_table(cls: VehicleClass, table: tuple[float, ...]) -> VehicleClass:
    import dataclasses

    return dataclasses.replace(cls, rpm_by_kph=table)


_HEAVY_MODELS = (
    Model("Freightliner", "Cascadia", "1FU"),
    Model("Freightliner", "Cascadia", "3AK"),
    Model("Kenworth", "T680", "1XK"),
    Model("Peterbilt", "579", "1XP"),
    Model("Volvo", "VNL 860", "4V4"),
    Model("International", "LT625", "1HT"),
    Model("Mack", "Anthem", "1M1"),
    Model("Western Star", "57X", "5KK"),
)
_TEN_SPEED = (12.8, 9.25, 6.76, 4.92, 3.53, 2.61, 1.89, 1.38, 1.0, 0.73)

CLASSES = {
    "tractor": VehicleClass(
        "tractor",
        _HEAVY_MODELS,
        "j1939",
        "long_haul",
        tank_l=570,
        cruise_kph=97,
        idle_rpm=650,
        min_cruise_rpm=1100,
        max_rpm=2100,
        gear_ratios=_TEN_SPEED,
        axle_ratio=3.36,
        tyre_radius_m=0.51,
        idle_fuel_lph=3.0,
        fuel_per_load_krpm=42,
        mass_factor=1.0,
    ).with_rpm_table(),
    "reefer": VehicleClass(
        "reefer",
        _HEAVY_MODELS,
        "j1939",
        "long_haul",
        tank_l=570,
        cruise_kph=96,
        idle_rpm=650,
        min_cruise_rpm=1100,
        max_rpm=2100,
        gear_ratios=_TEN_SPEED,
        axle_ratio=3.36,
        tyre_radius_m=0.51,
        idle_fuel_lph=3.0,
        fuel_per_load_krpm=42,
        mass_factor=1.05,
        auxiliary_fuel_lph=2.5,
    ).with_rpm_table(),
    "straight_truck": VehicleClass(
        "straight_truck",
        (
            Model("Freightliner", "M2 106", "1FV"),
            Model("International", "MV607", "1HT"),
            Model("Isuzu", "NPR-HD", "JAL"),
            Model("Hino", "L6", "5PV"),
            Model("Kenworth", "T280", "2NK"),
        ),
        "j1939",
        "regional",
        tank_l=250,
        cruise_kph=93,
        idle_rpm=700,
        min_cruise_rpm=1300,
        max_rpm=2600,
        gear_ratios=(3.1, 1.81, 1.41, 1.0, 0.71, 0.61),
        axle_ratio=4.88,
        tyre_radius_m=0.48,
        idle_fuel_lph=2.0,
        fuel_per_load_krpm=39,
        mass_factor=0.6,
    ).with_rpm_table(),
    "van": VehicleClass(
        "van",
        (
            Model("Ford", "Transit 250", "1FT"),
            Model("Ram", "ProMaster 2500", "3C6"),
            Model("Mercedes-Benz", "Sprinter 2500", "W1Y"),
            Model("Chevrolet", "Express 2500", "1GC"),
        ),
        "obd",
        "local",
        tank_l=95,
        cruise_kph=100,
        idle_rpm=750,
        min_cruise_rpm=1400,
        max_rpm=5500,
        gear_ratios=(4.7, 2.99, 2.15, 1.77, 1.52, 1.28, 1.0, 0.85, 0.69, 0.64),
        axle_ratio=3.73,
        tyre_radius_m=0.37,
        idle_fuel_lph=1.0,
        fuel_per_load_krpm=28,
        mass_factor=0.3,
    ).with_rpm_table(),
}
