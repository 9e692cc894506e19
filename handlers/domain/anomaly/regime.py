"""Engine operating regimes: which past readings of an engine signal a reading may be compared with.

An engine signal's own history only means something within one regime (see REGIME_SIGNALS):
`Regime(signals, windows).same_regime(signal, value, window)` keeps the comparable points.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from .model import Point

# Operating regimes. An engine signal's own history only means something within one regime:
# coolant climbs 60 degC on every cold start and sinks after every stop, and the battery reads
# ~14 V while the alternator charges and ~12.6 V at rest. z-score and trend rules on these signals
# therefore compare a reading taken with the engine running (engine_rpm > 0) only with readings
# taken with the engine running, and coolant only once warm. signal -> lowest "warm" value (None:
# running is enough). A record without engine_rpm leaves the running gate off (regime unknown).
RUNNING_RPM = 0.0  # engine running iff engine_rpm > RUNNING_RPM
WARM_COOLANT_C = 70.0  # below this the engine is warming up (thermostat still closed)
REGIME_SIGNALS: dict[str, float | None] = {"coolant_temp_c": WARM_COOLANT_C, "battery_v": None}
RPM_SIGNAL = "engine_rpm"


class Regime:
    """The engine regime of one record and, lazily, the timestamps at which it was running."""

    __slots__ = ("running", "_rpm_window", "_running_ts")

    def __init__(self, signals: Mapping, windows: Mapping) -> None:
        rpm = signals.get(RPM_SIGNAL)
        if isinstance(rpm, Decimal) and rpm.is_finite():
            rpm = float(rpm)
        # None = unknown (no rpm on the record): the running gate stays off.
        self.running = rpm > RUNNING_RPM if rpm.__class__ in (int, float) else None
        self._rpm_window = windows.get(RPM_SIGNAL)
        self._running_ts: set | None = None

    def same_regime(self, signal: str, value: float, window: list[Point]) -> list[Point]:
        """The points of `window` comparable with the current reading: [] when the current
        reading is outside the gated regime (engine off, or coolant not yet warm), else the
        points taken with the engine running (when rpm history says so) and warm."""
        warm = REGIME_SIGNALS[signal]
        if self.running is False or (warm is not None and value < warm):
            return []
        if self.running:
            running_ts = self._running_timestamps()
            if running_ts is None:
                return []  # running now, but no rpm history to tell which readings are comparable
            window = [point for point in window if point[0] in running_ts]
        if warm is not None:
            window = [point for point in window if point[1] >= warm]
        return window

    def _running_timestamps(self) -> set | None:
        if self._running_ts is None and self._rpm_window:
            running = set()
            for point in self._rpm_window:
                try:
                    if float(point[1]) > RUNNING_RPM:
                        running.add(int(point[0]))
                except (TypeError, ValueError, IndexError):
                    continue
            self._running_ts = running
        return self._running_ts
