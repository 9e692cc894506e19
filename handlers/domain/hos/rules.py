"""Hours-of-service limits for property-carrying drivers (49 CFR 395, as amended 2020-09-29).

The limits live in data so the HOS Lambda can load them from the DynamoDB ``compliance_rules``
table (rule_set ``property``); ``DEFAULT_RULES`` is the seed content of that table and the
fallback for any item that is absent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from .model import HosInputError

HOUR = 3600
MINUTE = 60

RULE_SET = "property"

DRIVING_11 = "DRIVING_11"
WINDOW_14 = "WINDOW_14"
WINDOW_16 = "WINDOW_16"
BREAK_30 = "BREAK_30"
CYCLE_60_7 = "CYCLE_60_7"
CYCLE_70_8 = "CYCLE_70_8"

CYCLES = {"60/7": (CYCLE_60_7, 7), "70/8": (CYCLE_70_8, 8)}

ADVERSE_DRIVING = "adverse_driving"
SHORT_HAUL_150 = "short_haul_150"
SIXTEEN_HOUR = "sixteen_hour"
EXCEPTIONS = frozenset({ADVERSE_DRIVING, SHORT_HAUL_150, SIXTEEN_HOUR})

# FMCSA split-sleeper FAQ (2020), question 4: nominal < 15 min over, out of service > 3 h over.
NOMINAL_BELOW_S = 15 * MINUTE
OUT_OF_SERVICE_ABOVE_S = 3 * HOUR


@dataclass(frozen=True)
class HosRules:
    """Limits in seconds; field names say what is limited, not which rule code reports it."""

    driving_s: int = 11 * HOUR
    window_s: int = 14 * HOUR
    window_16_s: int = 16 * HOUR
    driving_before_break_s: int = 8 * HOUR
    break_length_s: int = 30 * MINUTE
    cycle_60_7_s: int = 60 * HOUR
    cycle_70_8_s: int = 70 * HOUR
    restart_s: int = 34 * HOUR
    reset_rest_s: int = 10 * HOUR
    split_sleeper_long_s: int = 7 * HOUR
    split_short_s: int = 2 * HOUR
    adverse_extension_s: int = 2 * HOUR

    def cycle_limit_s(self, cycle: str) -> int:
        return self.cycle_60_7_s if cycle == "60/7" else self.cycle_70_8_s


# rule_code -> (HosRules field, CFR section, description)
_TABLE: dict[str, tuple[str, str, str]] = {
    DRIVING_11: (
        "driving_s",
        "49 CFR 395.3(a)(3)(i)",
        "No driving after 11 hours of driving since the last 10 hours off duty.",
    ),
    WINDOW_14: ("window_s", "49 CFR 395.3(a)(2)", "No driving after the 14th hour after coming on duty."),
    WINDOW_16: (
        "window_16_s",
        "49 CFR 395.1(o)",
        "16-hour window, once per 7 days or after a 34-hour restart; 11 hours still apply.",
    ),
    BREAK_30: (
        "driving_before_break_s",
        "49 CFR 395.3(a)(3)(ii)",
        "No driving after 8 hours of cumulative driving without a 30-minute interruption.",
    ),
    "BREAK_LENGTH": (
        "break_length_s",
        "49 CFR 395.3(a)(3)(ii)",
        "Consecutive non-driving time that counts as the required interruption.",
    ),
    CYCLE_60_7: ("cycle_60_7_s", "49 CFR 395.3(b)(1)", "No driving after 60 hours on duty in 7 consecutive days."),
    CYCLE_70_8: ("cycle_70_8_s", "49 CFR 395.3(b)(2)", "No driving after 70 hours on duty in 8 consecutive days."),
    "RESTART_34": (
        "restart_s",
        "49 CFR 395.3(c)",
        "34 consecutive hours off duty or in the sleeper berth restart the cycle.",
    ),
    "REST_10": (
        "reset_rest_s",
        "49 CFR 395.3(a)(1)",
        "10 consecutive hours off duty or in the sleeper berth start a new duty period.",
    ),
    "SPLIT_SLEEPER_LONG": (
        "split_sleeper_long_s",
        "49 CFR 395.1(g)(1)(ii)",
        "Split sleeper: one period of at least 7 consecutive hours in the berth.",
    ),
    "SPLIT_SHORT": (
        "split_short_s",
        "49 CFR 395.1(g)(1)(ii)",
        "Split sleeper: the other period at least 2 consecutive hours off duty or in the berth.",
    ),
    "ADVERSE_EXTENSION": (
        "adverse_extension_s",
        "49 CFR 395.1(b)(1)",
        "Adverse driving conditions add up to 2 hours to driving and to the window.",
    ),
}

_DEFAULTS = HosRules()

DEFAULT_RULES: list[dict[str, Any]] = [
    {
        "rule_set": RULE_SET,
        "rule_code": code,
        "limit_s": getattr(_DEFAULTS, field),
        "cfr": cfr,
        "description": description,
    }
    for code, (field, cfr, description) in _TABLE.items()
]


def rules_from_items(items: Iterable[Mapping[str, Any]] | None) -> HosRules:
    """Build limits from ``compliance_rules`` items; absent codes keep their defaults.

    Items of another rule_set and unknown codes are ignored so the table can hold more rule sets.
    A malformed limit raises ``HosInputError`` rather than silently weakening a limit.
    """
    overrides: dict[str, int] = {}
    for item in items or ():
        if item.get("rule_set", RULE_SET) != RULE_SET:
            continue
        entry = _TABLE.get(str(item.get("rule_code")))
        if entry is None:
            continue
        overrides[entry[0]] = _positive_seconds(item.get("limit_s"), item.get("rule_code"))
    return replace(_DEFAULTS, **overrides)


def _positive_seconds(value: Any, code: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        raise HosInputError(f"compliance rule {code}: limit_s must be a number, got {value!r}")
    try:
        seconds = int(Decimal(str(value)))
    except (ArithmeticError, ValueError) as exc:
        raise HosInputError(f"compliance rule {code}: limit_s {value!r} is not a number") from exc
    if seconds <= 0:
        raise HosInputError(f"compliance rule {code}: limit_s must be positive, got {value!r}")
    return seconds


def severity_for(over_s: float) -> str:
    if over_s < NOMINAL_BELOW_S:
        return "nominal"
    if over_s > OUT_OF_SERVICE_ABOVE_S:
        return "out_of_service"
    return "normal"


SEVERITY_RANK = {"nominal": 0, "normal": 1, "out_of_service": 2}
