"""sim.rounding's fast `round` against the builtin: same value, same sign of zero, same type."""

import math
import random

import pytest

from sim.rounding import round1, round2, round5, rounder


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and type(a) is type(b) and math.copysign(1.0, a) == math.copysign(1.0, b)


def _values(rng: random.Random, ndigits: int, count: int):
    scale = 10**ndigits
    for i in range(count):
        kind = i % 6
        if kind == 0:  # positions, speeds, temperatures
            yield rng.uniform(-200.0, 200.0)
        elif kind == 1:  # every magnitude, tiny to beyond the fast path's range
            yield rng.uniform(-1.0, 1.0) * 10.0 ** rng.randint(-12, 14)
        elif kind == 2:  # decimal ties: the builtin rounds the exact binary value, half to even
            yield (rng.randint(-(10**8), 10**8) + 0.5) / scale
        elif kind == 3:  # a hair either side of a tie
            yield (rng.randint(-(10**8), 10**8) + 0.5) / scale + rng.choice((-1, 1)) * rng.random() * 1e-9 / scale
        elif kind == 4:  # a hair either side of a representable result
            yield rng.randint(-(10**8), 10**8) / scale + rng.choice((-1, 1)) * rng.random() * 1e-12
        else:  # rounding to zero from either side
            yield rng.uniform(-1.0, 1.0) * 0.6 / scale


@pytest.mark.parametrize("ndigits, fast", [(1, round1), (2, round2), (5, round5), (0, rounder(0)), (9, rounder(9))])
def test_equals_builtin_round(ndigits, fast):
    rng = random.Random(ndigits)
    mismatches = [x for x in _values(rng, ndigits, 300_000) if not _same(fast(x), round(x, ndigits))]
    assert mismatches == []


@pytest.mark.parametrize("x", [0.0, -0.0, 0.05, -0.05, 0.15, 2.675, -2.675, 1e-30, -1e-30, 1e20, -1e20, 2.0**36 / 10])
def test_special_values(x):
    for ndigits, fast in ((1, round1), (2, round2), (5, round5)):
        assert _same(fast(x), round(x, ndigits)), (x, ndigits)


def test_nan_and_infinities_fall_back():
    assert math.isnan(round1(math.nan))
    assert round1(math.inf) == math.inf and round5(-math.inf) == -math.inf


def test_ndigits_outside_exact_powers_of_ten_is_refused():
    with pytest.raises(ValueError, match="ndigits"):
        rounder(23)
