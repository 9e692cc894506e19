"""The rule sets the engine knows: one frozen table per rule set, each limit with the section it comes from.

``us-property`` is the original engine (``HosRules`` in ``rules``, split sleeper, 30-minute break,
16-hour exception); this table only names its cycles so every rule set is validated the same way.
The other rule sets are evaluated by ``ruleset_engine``: limits per duty period (driving, elapsed
window, cumulative on-duty time), the cycle, and for ``canada-south`` the limits per day.

Where a limit was confirmed from a secondary source rather than the regulation's own text, the
comment next to it says so. Not modelled (a rest must be one consecutive period to start a new
duty period): the sleeper splits of 395.1(g)(3) (passenger), 37 TAC 4.12(a)(2)(A)-(D) (Texas) and
SOR/2005-313 ss. 18-19 (Canada), and the Canadian deferral of daily off-duty time (s. 16).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import HosInputError
from .rules import CYCLE_60_7, CYCLE_70_8, HOUR

US_PROPERTY = "us-property"
US_PASSENGER = "us-passenger"
US_TEXAS = "us-texas-intrastate"
US_CALIFORNIA = "us-california-intrastate"
CANADA_SOUTH = "canada-south"


@dataclass(frozen=True)
class CycleRule:
    """On-duty limit over a number of home-terminal days; ``reset_s`` off duty restarts it (None: no reset)."""

    rule: str
    days: int
    limit_s: int
    reset_s: int | None
    source: str


@dataclass(frozen=True)
class RuleSet:
    """Limits of one rule set in seconds; ``None`` means the rule set has no such limit."""

    name: str
    source: str
    reset_rest_s: int  # consecutive rest that starts a new duty period
    driving_s: int  # driving per duty period
    driving_rule: str
    window_s: int | None = None  # elapsed time after coming on duty
    window_rule: str = ""
    on_duty_s: int | None = None  # cumulative on-duty time (off-duty time does not count)
    on_duty_rule: str = ""
    adverse_s: int = 2 * HOUR  # adverse driving conditions: extra driving ...
    adverse_extends: tuple[str, ...] = ("driving", "window", "on_duty")  # ... and which limits it extends
    cycles: dict[str, CycleRule] = field(default_factory=dict)
    default_cycle: str = ""
    exceptions: frozenset[str] = frozenset({"adverse_driving", "short_haul_150"})
    # Canada only: limits per day (24 hours from local midnight of the home terminal).
    day_driving_s: int | None = None
    day_on_duty_s: int | None = None
    day_off_s: int | None = None
    # Canada cycle 2: no driving after this much on duty without 24 consecutive hours off.
    cycle_2_off_after_s: int | None = None
    cycle_2_off_s: int | None = None

    def cycle(self, name: str | None) -> CycleRule:
        name = self.default_cycle if name is None else name
        if not isinstance(name, str) or name not in self.cycles:
            raise HosInputError(f"cycle for ruleset {self.name!r} must be one of {sorted(self.cycles)}; got {name!r}")
        return self.cycles[name]


_US_RESTART = 34 * HOUR

# 49 CFR 395.3 (property). Limits themselves live in rules.HosRules; only the cycles are named here.
PROPERTY = RuleSet(
    name=US_PROPERTY,
    source="49 CFR 395.3",
    reset_rest_s=10 * HOUR,
    driving_s=11 * HOUR,
    driving_rule="DRIVING_11",
    window_s=14 * HOUR,
    window_rule="WINDOW_14",
    cycles={
        "60/7": CycleRule(CYCLE_60_7, 7, 60 * HOUR, _US_RESTART, "49 CFR 395.3(b)(1), (c)"),
        "70/8": CycleRule(CYCLE_70_8, 8, 70 * HOUR, _US_RESTART, "49 CFR 395.3(b)(2), (c)"),
    },
    default_cycle="70/8",
    exceptions=frozenset({"adverse_driving", "short_haul_150", "sixteen_hour"}),
)

# 49 CFR 395.5: (a)(1) 10 hours driving after 8 consecutive hours off; (a)(2) no driving after 15
# hours on duty after 8 consecutive hours off (cumulative on-duty time, not a window); (b) 60/7, 70/8.
# The 34-hour restart of 395.3(c) is for property carriers only, so passenger cycles never reset.
# Adverse driving (395.1(b)(1)): 2 more hours of driving and of the 15-hour on-duty limit, as read by
# J. J. Keller's summary of the 2020 rule (secondary source).
PASSENGER = RuleSet(
    name=US_PASSENGER,
    source="49 CFR 395.5",
    reset_rest_s=8 * HOUR,
    driving_s=10 * HOUR,
    driving_rule="DRIVING_10",
    on_duty_s=15 * HOUR,
    on_duty_rule="ON_DUTY_15",
    cycles={
        "60/7": CycleRule(CYCLE_60_7, 7, 60 * HOUR, None, "49 CFR 395.5(b)(1)"),
        "70/8": CycleRule(CYCLE_70_8, 8, 70 * HOUR, None, "49 CFR 395.5(b)(2)"),
    },
    default_cycle="70/8",
)

# 37 TAC 4.12(a)(2): 395.3 does not apply intrastate (so no 30-minute break); 12 hours driving after
# 8 consecutive hours off; no driving "after having been on duty 15 hours" after 8 consecutive hours
# off. That is the wording of 395.5(a)(2), so it is counted as cumulative on-duty time; issue 21 names
# the code WINDOW_15. 70 hours in 7 days with a 34-hour restart: 37 TAC 4.12 (the restart confirmed
# from Motive's Texas FAQ, a secondary source).
TEXAS = RuleSet(
    name=US_TEXAS,
    source="37 TAC 4.12",
    reset_rest_s=8 * HOUR,
    driving_s=12 * HOUR,
    driving_rule="DRIVING_12",
    on_duty_s=15 * HOUR,
    on_duty_rule="WINDOW_15",
    cycles={"70/7": CycleRule("CYCLE_70_7", 7, 70 * HOUR, _US_RESTART, "37 TAC 4.12")},
    default_cycle="70/7",
)

# 13 CCR 1212.5(a)(2) intrastate truck drivers: (A) 12 hours driving after 10 consecutive hours off;
# (B) no driving after the end of the 16th hour after coming on duty; (a)(4) 80 hours in 8 days;
# (a)(5) a 34-hour off-duty period ends the 8 days. 13 CCR 1212(b)(1): adverse conditions add 2 hours
# of driving only (14 in the aggregate); the 16th-hour limit is not extended.
CALIFORNIA = RuleSet(
    name=US_CALIFORNIA,
    source="13 CCR 1212.5",
    reset_rest_s=10 * HOUR,
    driving_s=12 * HOUR,
    driving_rule="DRIVING_12",
    window_s=16 * HOUR,
    window_rule="WINDOW_16",
    adverse_extends=("driving",),
    cycles={"80/8": CycleRule("CYCLE_80_8", 8, 80 * HOUR, _US_RESTART, "13 CCR 1212.5(a)(4), (a)(5)")},
    default_cycle="80/8",
)

# SOR/2005-313 south of 60°N. Day (s. 12): no driving after 13 hours driving or 14 hours on duty in a
# day; s. 14: at least 10 hours off duty in a day. Work shift (s. 13): no driving after 13 hours
# driving, 14 hours on duty or 16 hours elapsed since the last 8 consecutive hours off. Cycles
# (ss. 24-27): cycle 1 70 h / 7 days; cycle 2 120 h / 14 days and 24 consecutive hours off before
# 70 hours on duty (s. 26(b)); reset (s. 28) 36 (cycle 1) or 72 (cycle 2) consecutive hours off.
# Sources: s. 14 and s. 16 read in a reproduction of the regulation's text; ss. 12-13 and the cycle
# limits, the 24-hour rule and the 36/72-hour resets from provincial summaries (Alberta Transportation
# HOS module 9: "sections 24-27 cycles, 28 cycle reset"; Ontario CVSA notes), secondary sources. Which
# of ss. 25/26 holds which cycle is from memory of the text, not verified. Adverse driving (s. 76)
# extends driving, on-duty and elapsed time by 2 hours: not checked against the text either.
CANADA = RuleSet(
    name=CANADA_SOUTH,
    source="SOR/2005-313 ss. 12-16, 24-29",
    reset_rest_s=8 * HOUR,
    driving_s=13 * HOUR,
    driving_rule="DRIVING_13",
    window_s=16 * HOUR,
    window_rule="WINDOW_16",
    on_duty_s=14 * HOUR,
    on_duty_rule="ON_DUTY_14",
    cycles={
        "cycle-1": CycleRule("CYCLE_1_70_7", 7, 70 * HOUR, 36 * HOUR, "SOR/2005-313 ss. 25, 28(a)"),
        "cycle-2": CycleRule("CYCLE_2_120_14", 14, 120 * HOUR, 72 * HOUR, "SOR/2005-313 ss. 26, 28(b)"),
    },
    default_cycle="cycle-1",
    exceptions=frozenset({"adverse_driving"}),
    day_driving_s=13 * HOUR,
    day_on_duty_s=14 * HOUR,
    day_off_s=10 * HOUR,
    cycle_2_off_after_s=70 * HOUR,
    cycle_2_off_s=24 * HOUR,
)

RULESETS: dict[str, RuleSet] = {rs.name: rs for rs in (PROPERTY, PASSENGER, TEXAS, CALIFORNIA, CANADA)}


def ruleset_named(name: str | None) -> RuleSet:
    name = US_PROPERTY if name is None else name
    if not isinstance(name, str) or name not in RULESETS:
        raise HosInputError(f"ruleset must be one of {sorted(RULESETS)}; got {name!r}")
    return RULESETS[name]
