"""ELD data check values (49 CFR 395 subpart B, Appendix A, section 4.4.5).

- Character values (Table 3): ``1``-``9`` are 1-9, ``A``-``Z`` 17-42, ``a``-``z`` 49-74 (the ASCII
  code minus 48); every other character, ``0`` included, counts 0.
- Event data check value (4.4.5.1): the lower byte of the sum of the character values of event type,
  event code, date, time, vehicle miles, engine hours, latitude, longitude, CMV power unit number and
  ELD username; rotated left three times (8-bit rotate, no carry); XOR ``C3``; two hex digits.
- Line data check value (4.4.5.2): the same over every character of an output line except the check
  value itself; XOR ``96``.
- File data check value (4.4.5.3): the lower 16 bits of the sum of every line data check value; each
  of its two bytes rotated left three times; XOR ``969C``; four hex digits.
"""

from __future__ import annotations

from collections.abc import Iterable


def char_value(char: str) -> int:
    if "1" <= char <= "9" or "A" <= char <= "Z" or "a" <= char <= "z":
        return ord(char) - 48
    return 0


def _rotl8(value: int, times: int = 3) -> int:
    for _ in range(times):
        value = ((value << 1) | (value >> 7)) & 0xFF
    return value


def _byte_check(text: str, mask: int) -> str:
    return f"{_rotl8(sum(char_value(c) for c in text) & 0xFF) ^ mask:02X}"


def event_check_value(elements: Iterable[str]) -> str:
    """Over the ten data elements of 4.4.5.1 (b), already formatted as they appear in the file."""
    return _byte_check("".join(elements), 0xC3)


def line_check_value(line: str) -> str:
    """Over an output line without its trailing ``,<check value>``."""
    return _byte_check(line, 0x96)


def file_check_value(line_check_values: Iterable[str]) -> str:
    total = sum(int(value, 16) for value in line_check_values) & 0xFFFF
    high, low = _rotl8(total >> 8), _rotl8(total & 0xFF)
    return f"{((high << 8) | low) ^ 0x969C:04X}"
