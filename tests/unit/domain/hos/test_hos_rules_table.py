"""The compliance_rules table items: defaults with CFR citations, and loading limits from items."""

from __future__ import annotations

from decimal import Decimal

import pytest

from handlers.domain.hos import DEFAULT_RULES, HosInputError, HosRules, evaluate_log, rules_from_items
from tests.unit.domain.hos.hos_log_builder import HOUR, only, steps_log


def test_default_items_cover_every_reported_rule_with_a_citation():
    codes = {item["rule_code"] for item in DEFAULT_RULES}
    assert {"DRIVING_11", "WINDOW_14", "WINDOW_16", "BREAK_30", "CYCLE_60_7", "CYCLE_70_8"} <= codes
    for item in DEFAULT_RULES:
        assert item["rule_set"] == "property"
        assert item["cfr"].startswith("49 CFR 395.")
        assert isinstance(item["limit_s"], int) and item["limit_s"] > 0
        assert item["description"]


def test_default_items_round_trip_to_the_default_limits():
    assert rules_from_items(DEFAULT_RULES) == HosRules()
    assert rules_from_items(None) == HosRules()
    assert rules_from_items([]) == HosRules()


def test_limits_loaded_from_dynamodb_items_are_used():
    items = [{"rule_set": "property", "rule_code": "DRIVING_11", "limit_s": Decimal(10 * HOUR)}]
    rules = rules_from_items(items)
    events, end = steps_log("2024-04-02T06:00", [("D", 7), ("ON", 0.5), ("D", 3.5), ("OFF", 1)], "UTC")
    assert evaluate_log(events, as_of=end).violations == []
    assert only(evaluate_log(events, as_of=end, rules=rules), "DRIVING_11").over_s == HOUR // 2


def test_other_rule_sets_and_unknown_codes_are_ignored():
    items = [
        {"rule_set": "passenger", "rule_code": "DRIVING_11", "limit_s": 10 * HOUR},
        {"rule_set": "property", "rule_code": "YARD_MOVES", "limit_s": 5},
    ]
    assert rules_from_items(items) == HosRules()


@pytest.mark.parametrize("limit", [0, -5, "eleven", None, True, "NaN"])
def test_a_malformed_limit_is_refused_not_weakened(limit):
    with pytest.raises(HosInputError, match="DRIVING_11"):
        rules_from_items([{"rule_set": "property", "rule_code": "DRIVING_11", "limit_s": limit}])
