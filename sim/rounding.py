"""`round(x, ndigits)` for floats, the same value bit for bit, at about half the cost.

Records carry sensor values rounded to their resolution (lat/lon to 1e-5 degrees, speed to 0.1 km/h
...): 5-6 `round` calls per record, a sixth of the generator's time, because `round(x, n)` goes
through a decimal string (dtoa and back). The fast path here uses float arithmetic and falls back
to `round` whenever it cannot prove the result is the same:

- `round(x, n)` is the double nearest to m / 10**n, where m is the integer nearest to the exact
  product x * 10**n (ties to even).
- y = x * 10**n as a float differs from the exact product by at most half an ulp of y: below
  2**-17 for |y| < 2**36. So if y's fractional part is below 0.4999 (above 0.5001), m is floor(y)
  (floor(y) + 1); near a tie (0.4999-0.5001) the fast path gives up.
- m and 10**n (n <= 22) are exact doubles, so the IEEE division m / 10**n is the double nearest the
  exact quotient, which is what `round` returns.
- A zero result keeps the sign of x in `round` (round(-0.01, 1) is -0.0): m == 0 falls back.
  NaN, infinities and |y| >= 2**36 fall back too.

Only for float arguments (an int comes back as a float, where `round` would return an int).
`tests/sim/test_sim_rounding.py` compares both on millions of values, ties and near-ties included.
"""

from __future__ import annotations

import math
from collections.abc import Callable

_LIMIT = 68719476736.0  # 2**36: below it the product's error is under 2**-17, far inside the 1e-4 margin


def rounder(ndigits: int) -> Callable[[float], float]:
    """A function equal to `lambda x: round(x, ndigits)` for every float x."""
    if not 0 <= ndigits <= 22:
        raise ValueError(f"ndigits must be 0-22 (10**ndigits exact in a double), not {ndigits}")
    scale = 10.0**ndigits

    def rounded(x: float, _scale=scale, _ndigits=ndigits, _floor=math.floor, _round=round) -> float:
        if not x:  # 0.0 or -0.0: round gives x back
            return x
        y = x * _scale
        if -_LIMIT < y < _LIMIT:
            m = _floor(y)
            fraction = y - m  # exact: m and y share the same binade or m is 0
            if fraction < 0.4999:
                if m:
                    return m / _scale
            elif fraction > 0.5001:
                m += 1
                if m:
                    return m / _scale
        return _round(x, _ndigits)

    rounded.__name__ = rounded.__qualname__ = f"round{ndigits}"
    return rounded


round1 = rounder(1)
round2 = rounder(2)
round5 = rounder(5)
