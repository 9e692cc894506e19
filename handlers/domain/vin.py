"""Vehicle Identification Numbers: ISO 3779 shape plus the North American check digit (49 CFR 565).

The fleet is North American, so position 9 must hold the check digit; a VIN with a wrong one is
rejected rather than guessed at (a typo in a VIN routes alerts to the wrong truck).
"""

from __future__ import annotations

import functools
import random

VIN_LENGTH = 17
ALLOWED_CHARS = frozenset("0123456789ABCDEFGHJKLMNPRSTUVWXYZ")  # no I, O, Q
_TRANSLITERATION = {
    **{str(d): d for d in range(10)},
    "A": 1,
    "B": 2,
    "C": 3,
    "D": 4,
    "E": 5,
    "F": 6,
    "G": 7,
    "H": 8,
    "J": 1,
    "K": 2,
    "L": 3,
    "M": 4,
    "N": 5,
    "P": 7,
    "R": 9,
    "S": 2,
    "T": 3,
    "U": 4,
    "V": 5,
    "W": 6,
    "X": 7,
    "Y": 8,
    "Z": 9,
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
CHECK_DIGIT_POSITION = 8  # zero-based index of position 9

# Reason codes (also used by validation.py)
VIN_MISSING = "VIN_MISSING"
VIN_LENGTH_INVALID = "VIN_LENGTH"
VIN_CHARS_INVALID = "VIN_CHARS"
VIN_CHECK_DIGIT_INVALID = "VIN_CHECK_DIGIT"

# Heavy-truck world manufacturer identifiers, so simulated VINs look like the real fleet.
TRUCK_WMIS = ("1FU", "1XK", "1XP", "4V4", "3AK", "1HT", "1M1", "1FV", "5KK")
_MODEL_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"  # no I O Q U Z 0 at position 10
_BODY_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


def check_digit(vin: str) -> str:
    """The check digit ('0'-'9' or 'X') computed for a 17-character VIN (position 9 ignored).

    Raises ValueError when the VIN has the wrong length or a character outside ALLOWED_CHARS.
    """
    if len(vin) != VIN_LENGTH:
        raise ValueError(f"VIN must be {VIN_LENGTH} characters")
    total = 0
    for char, weight in zip(vin.upper(), _WEIGHTS):
        if char not in _TRANSLITERATION:
            raise ValueError(f"character {char!r} not allowed in a VIN")
        total += _TRANSLITERATION[char] * weight
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def vin_problem(vin: object) -> str | None:
    """None when `vin` is a valid North American VIN, else the reason code."""
    if vin is None or vin == "":
        return VIN_MISSING
    if not isinstance(vin, str) or len(vin) != VIN_LENGTH:
        return VIN_LENGTH_INVALID
    return _string_vin_problem(vin)


@functools.lru_cache(maxsize=65_536)
def _string_vin_problem(vin: str) -> str | None:
    # Every record of a vehicle carries the same VIN, and every consumer validates it: computed once
    # per VIN and environment (a shard's vehicles, tens of thousands at most; ~100 B an entry).
    if not set(vin) <= ALLOWED_CHARS:  # lower case is not canonical, treat as invalid chars
        return VIN_CHARS_INVALID
    if vin[CHECK_DIGIT_POSITION] != check_digit(vin):
        return VIN_CHECK_DIGIT_INVALID
    return None


def is_valid_vin(vin: object) -> bool:
    """True when `vin` passes length, character set and check-digit tests."""
    return vin_problem(vin) is None


def make_vin(
    seed: int | str | random.Random | None = None, *, wmi: str | None = None, serial: int | None = None
) -> str:
    """Build a VALID North American VIN deterministically from `seed`.

    `seed` may be an int/str (same seed -> same VIN) or a `random.Random` to draw from.
    `serial` (0-999999) fixes positions 12-17, so `make_vin(s, serial=n)` is unique per n.
    `wmi` (3 allowed characters) fixes the manufacturer; default is drawn from TRUCK_WMIS.
    """
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)
    manufacturer = wmi if wmi is not None else rng.choice(TRUCK_WMIS)
    if len(manufacturer) != 3 or not set(manufacturer) <= ALLOWED_CHARS:
        raise ValueError("wmi must be 3 VIN characters")
    descriptor = "".join(rng.choice(_BODY_CHARS) for _ in range(5))
    year = rng.choice(_MODEL_YEAR_CODES)
    plant = rng.choice(_BODY_CHARS)
    number = serial if serial is not None else rng.randrange(1_000_000)
    if not 0 <= number < 1_000_000:
        raise ValueError("serial must be in 0..999999")
    draft = f"{manufacturer}{descriptor}0{year}{plant}{number:06d}"
    return draft[:CHECK_DIGIT_POSITION] + check_digit(draft) + draft[CHECK_DIGIT_POSITION + 1 :]
