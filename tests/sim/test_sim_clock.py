"""sim.clock: the one clock of the simulator and the runner."""

from __future__ import annotations

import time

import pytest

from sim import clock


def test_the_wall_clock_by_default():
    before = time.time()
    assert before <= clock.from_env({}).now() <= time.time()


def test_fleettap_now_places_the_run_at_an_instant_and_time_still_passes():
    shifted = clock.from_env({clock.ENV_VAR: "2026-12-06T02:30:00Z"})
    first = shifted.now()
    assert abs(first - 1796524200.0) < 5  # 2026-12-06T02:30:00Z
    time.sleep(0.05)
    assert shifted.now() - first >= 0.05


def test_an_offset_is_an_instant_too():
    shifted = clock.from_env({clock.ENV_VAR: "2026-12-05T20:30:00-06:00"})
    assert abs(shifted.now() - 1796524200.0) < 5


@pytest.mark.parametrize("bad", ["2026-12-06T02:30:00", "tomorrow", "2026-13-01T00:00:00Z"])
def test_a_malformed_instant_names_the_variable(bad):
    with pytest.raises(ValueError, match=clock.ENV_VAR):
        clock.from_env({clock.ENV_VAR: bad})
