"""``compliance_rules`` items describing the rule sets other than us-property (reference data).

One item per rule code of each rule set (``rule_set`` = the rule set's name), with the limit in
seconds and the source the limit comes from (``rulesets``). The engine applies these rule sets from
its own frozen tables; the items let operators and reports read each driver's limits from the same
table as the us-property ones (whose items, ``DEFAULT_RULES``, do override the engine).
"""

from __future__ import annotations

from typing import Any

from .rulesets import RULESETS, US_PROPERTY, RuleSet


def _items(rs: RuleSet) -> list[dict[str, Any]]:
    items = [
        {
            "rule_code": "REST",
            "limit_s": rs.reset_rest_s,
            "description": "Consecutive off-duty time that starts a new duty period.",
        },
        {"rule_code": rs.driving_rule, "limit_s": rs.driving_s, "description": "Driving per duty period."},
    ]
    if rs.window_s is not None:
        items.append(
            {
                "rule_code": rs.window_rule,
                "limit_s": rs.window_s,
                "description": "No driving after this long since coming on duty.",
            }
        )
    if rs.on_duty_s is not None:
        items.append(
            {
                "rule_code": rs.on_duty_rule,
                "limit_s": rs.on_duty_s,
                "description": "No driving after this much on-duty time in the duty period.",
            }
        )
    for name, cycle in rs.cycles.items():
        items.append(
            {
                "rule_code": cycle.rule,
                "limit_s": cycle.limit_s,
                "cycle": name,
                "days": cycle.days,
                "reset_s": cycle.reset_s,
                "cfr": cycle.source,
                "description": f"No driving after {cycle.limit_s // 3600} hours on duty in {cycle.days} days.",
            }
        )
    for code, value, text in (
        ("DAY_DRIVING_13", rs.day_driving_s, "Driving per day."),
        ("DAY_ON_DUTY_14", rs.day_on_duty_s, "On-duty time per day."),
        ("DAY_OFF_10", rs.day_off_s, "Off-duty time per day (at least)."),
        ("CYCLE_2_OFF_24", rs.cycle_2_off_after_s, "Cycle 2: 24 consecutive hours off before this much on-duty time."),
    ):
        if value is not None:
            items.append({"rule_code": code, "limit_s": value, "description": text})
    return [{"rule_set": rs.name, "cfr": rs.source, **item} for item in items]


RULESET_ITEMS: list[dict[str, Any]] = [
    item for name, rs in sorted(RULESETS.items()) if name != US_PROPERTY for item in _items(rs)
]
