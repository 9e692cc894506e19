"""The data check values of the ELD output file (49 CFR 395 subpart B, Appendix A, 4.4.5), written here
from the text of the specification, independently of handlers/domain/eld: the tests recompute every
check value of a file with these (tests/unit/domain/eld, tests/handlers/test_dot_eld.py)."""

from __future__ import annotations

# --- Independent reading of Appendix A 4.4.5 and Table 3 -------------------------------------------------
# Table 3 lists the decimal value of each character: digits 1-9 are 1-9, A-Z 17-42, a-z 49-74, and every
# other character (0, punctuation, space) is 0.
TABLE_3 = {
    **{str(d): d for d in range(1, 10)},
    **{chr(ord("A") + i): 17 + i for i in range(26)},
    **{chr(ord("a") + i): 49 + i for i in range(26)},
}


def rotate_left_three_times(byte: int) -> int:
    """'Three consecutive circular shift left (rotate no carry - left) operations' on an 8-bit value."""
    bits = format(byte, "08b")
    for _ in range(3):
        bits = bits[1:] + bits[0]
    return int(bits, 2)


def spec_line_check(text: str) -> str:
    # 4.4.5.2: sum Table 3 values of the line's characters, keep the lower 8 bits, rotate, XOR 96 hex.
    checksum = sum(TABLE_3.get(char, 0) for char in text) % 256
    return format(rotate_left_three_times(checksum) ^ 0b10010110, "02X")


def spec_event_check(elements: list[str]) -> str:
    # 4.4.5.1: the same over the listed event elements, XOR C3 hex (decimal 195).
    checksum = sum(TABLE_3.get(char, 0) for char in "".join(elements)) % 256
    return format(rotate_left_three_times(checksum) ^ 195, "02X")


def spec_file_check(line_checks: list[str]) -> str:
    # 4.4.5.3: sum all line check values, keep the lower two bytes, rotate each byte three times, XOR 969C.
    checksum = sum(int(value, 16) for value in line_checks) % 65536
    high, low = divmod(checksum, 256)
    rotated = rotate_left_three_times(high) * 256 + rotate_left_three_times(low)
    return format(rotated ^ 38556, "04X")


def check_file(text: str, username: str, power_unit_numbers: set[str]) -> int:
    """Assert every line, event and file check value of an output file; returns the data lines checked.

    An event's check value covers its power unit number, which is not a column of the event list: it
    must be one of ``power_unit_numbers`` (the CMV list's)."""
    lines = text.split("\r\n")
    assert lines[-1] == "", "the file ends with CR LF"
    section, checks = None, []
    for line in lines[:-2]:
        if line.endswith(":"):
            section = line
            continue
        body, check = line.rsplit(",", 1)
        assert check == spec_line_check(body), line
        checks.append(check)
        if section in ("ELD Event List:", "Unidentified Driver Profile Records:"):
            fields = line.split(",")
            event_type, code, date, time, miles, hours, lat, lon = fields[3:11]
            user = username if section == "ELD Event List:" else ""
            elements = [event_type, code, date, time, miles, hours, lat, lon]
            assert any(fields[-2] == spec_event_check([*elements, unit, user]) for unit in power_unit_numbers), line
    assert lines[-3] == "End of File:" and lines[-2] == spec_file_check(checks)
    return len(checks)
