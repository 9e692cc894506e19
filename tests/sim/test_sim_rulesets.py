"""The `ruleset` injection: the selected vehicles' drivers work under another HOS rule set, and their
duty-status records say so (validated like any record); other drivers' records do not change."""

import orjson
import pytest

from handlers.domain.validation import validate
from sim.config import SimConfig, parse_utc
from sim.fleet import Fleet
from sim.injections import Injection
from tests.sim.sim_records_support import BUSY_START, decoded, run_records


def _records(*injections):
    config = SimConfig(vehicles=4, duration_s=3600, start=BUSY_START)
    return run_records(Fleet.build(config, seed=3, injections=[Injection.from_mapping(i) for i in injections]))


def test_selected_drivers_carry_their_rule_set_and_cycle():
    plan = {"type": "duty_plan", "vehicles": [0, 1, 2], "plan": [["ON", "pretrip", "10m"], ["D", "drive", "30m"]]}
    records = _records(
        plan,
        {"type": "ruleset", "vehicles": [0], "ruleset": "canada-south", "cycle": "cycle-2"},
        {"type": "ruleset", "vehicles": [1], "ruleset": "us-texas-intrastate"},
    )
    hos = decoded(records, "hos")
    by_vehicle = {r["vehicle_id"]: (r.get("ruleset"), r["cycle"]) for r in hos}
    assert by_vehicle["VH-000001"] == ("canada-south", "cycle-2")
    assert by_vehicle["VH-000002"] == ("us-texas-intrastate", "70/7")  # the rule set's own cycle
    assert by_vehicle["VH-000003"][0] is None  # us-property: no `ruleset` field, the bytes as before
    end_ms = (parse_utc(BUSY_START) + 3600) * 1000
    assert all(validate(orjson.loads(data), now_ms=end_ms).ok for kind, _, data in records if kind == "hos")


def test_default_drivers_records_are_unchanged_by_another_drivers_rule_set():
    base = [r for r in _records() if r[1] != "VH-000001"]
    with_ruleset = [
        r for r in _records({"type": "ruleset", "vehicles": [0], "ruleset": "us-passenger"}) if r[1] != "VH-000001"
    ]
    assert base == with_ruleset


@pytest.mark.parametrize(
    "values, message",
    [
        ({"ruleset": "eu-561"}, "ruleset needs ruleset in"),
        ({"ruleset": "us-texas-intrastate", "cycle": "70/8"}, "cycle must be one of \\['70/7'\\]"),
    ],
)
def test_bad_ruleset_injection_is_refused(values, message):
    with pytest.raises(ValueError, match=message):
        Injection.from_mapping({"type": "ruleset", "vehicles": [0], **values})
