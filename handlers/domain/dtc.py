"""Diagnostic trouble codes in OBD-II (SAE J2012) and J1939 DM1 (SPN/FMI/OC) form."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# J2012: system letter + 4 characters. The first digit is 0-3 (2 bits in the raw encoding);
# the remaining three are hex digits, which is why "hex-ish" ("P0A0F" is a real hybrid code).
_OBD_CODE = re.compile(r"^[PCBU][0-3][0-9A-F]{3}$")
OBD_SYSTEMS = {"P": "powertrain", "C": "chassis", "B": "body", "U": "network"}

SPN_MAX = (1 << 19) - 1  # 19-bit suspect parameter number
FMI_MAX = 31  # 5 bits
OC_MAX = 126  # 7 bits; 127 means "not available"
OC_NOT_AVAILABLE = 127

# Reason codes (used by validation.py)
DTC_NOT_OBJECT = "DTC_NOT_OBJECT"
DTC_CODE_INVALID = "DTC_CODE_INVALID"
DTC_SPN_INVALID = "DTC_SPN_INVALID"
DTC_FMI_INVALID = "DTC_FMI_INVALID"
DTC_OC_INVALID = "DTC_OC_INVALID"
DTC_FORM_AMBIGUOUS = "DTC_FORM_AMBIGUOUS"


@dataclass(frozen=True)
class Dtc:
    """One normalized trouble code. `form` is "obd" or "j1939".

    OBD codes set `code` (upper case); J1939 codes set spn/fmi and `occurrences`
    (None when the ECU reported 127 = not available).
    """

    form: str
    code: str | None = None
    spn: int | None = None
    fmi: int | None = None
    occurrences: int | None = None

    @property
    def key(self) -> str:
        """Stable identifier used in threshold metrics: 'P0217' or 'spn110:fmi0'."""
        if self.form == "obd":
            if self.code is None:  # parse_dtc builds every OBD Dtc with its code
                raise ValueError("an OBD Dtc needs its code")
            return self.code
        return f"spn{self.spn}:fmi{self.fmi}"

    def to_item(self) -> dict:
        """The record form: {"code": ...} or {"spn", "fmi", "oc"} (oc 127 when unknown)."""
        if self.form == "obd":
            return {"code": self.code}
        oc = OC_NOT_AVAILABLE if self.occurrences is None else self.occurrences
        return {"spn": self.spn, "fmi": self.fmi, "oc": oc}


def parse_dtc(item: object) -> Dtc | str:
    """A `Dtc` for a valid record entry, otherwise the reason code (a str). Never raises."""
    if not isinstance(item, dict):
        return DTC_NOT_OBJECT
    has_code = "code" in item
    has_spn = "spn" in item
    if has_code and has_spn:
        return DTC_FORM_AMBIGUOUS
    if has_code:
        code = item["code"]
        if not isinstance(code, str):
            return DTC_CODE_INVALID
        return _parse_obd(code)
    if not has_spn:
        return DTC_CODE_INVALID
    spn, fmi, oc = item.get("spn"), item.get("fmi"), item.get("oc", OC_NOT_AVAILABLE)
    if not _is_int_in(spn, 0, SPN_MAX):
        return DTC_SPN_INVALID
    if not _is_int_in(fmi, 0, FMI_MAX):
        return DTC_FMI_INVALID
    if not _is_int_in(oc, 0, OC_NOT_AVAILABLE):
        return DTC_OC_INVALID
    return Dtc(form="j1939", spn=spn, fmi=fmi, occurrences=None if oc == OC_NOT_AVAILABLE else oc)


@lru_cache(maxsize=4096)  # a fleet reports a few hundred distinct codes, over and over
def _parse_obd(raw: str) -> Dtc | str:
    code = raw.strip().upper()
    if not _OBD_CODE.match(code):
        return DTC_CODE_INVALID
    return Dtc(form="obd", code=code)


def _is_int_in(value: object, low: int, high: int) -> bool:
    # bool is an int subclass; True is not an SPN.
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
