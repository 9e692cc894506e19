"""The rule-set and unassigned-driving scenarios produce the records that should trigger their expected
outcome, judged by the HOS engine under each record's rule set (the end-to-end run is the runner's job)."""

import collections

import orjson

from handlers.domain import unassigned
from handlers.domain.hos import evaluate_log
from handlers.domain.telemetry import iso_to_epoch_ms
from scenario_runner import scenario
from sim.fleet import Fleet
from tests.sim.sim_records_support import run_records


def _records(name: str) -> list[dict]:
    loaded = scenario.load(name, anchor=False).for_test()
    fleet = Fleet.build(loaded.fleet, seed=loaded.seed, injections=loaded.injections)
    return [orjson.loads(data) for _, _, data in run_records(fleet)]


def _by_vehicle(records, kind):
    grouped = collections.defaultdict(list)
    for record in records:
        if record["kind"] == kind:
            grouped[record["vehicle_id"]].append(record)
    return grouped


def _hos_rules(name: str) -> dict:
    records = _records(name)
    as_of = max(r["ts"] for r in records)
    return {
        vehicle: sorted(
            {
                v.rule
                for v in evaluate_log(
                    [{"status": r["status"], "at": r["ts"]} for r in log],
                    cycle=log[0]["cycle"],
                    time_zone=log[0]["time_zone"],
                    exceptions=log[0]["exceptions"],
                    as_of=as_of,
                    ruleset=log[0].get("ruleset"),
                ).violations
            }
        )
        for vehicle, log in _by_vehicle(records, "hos").items()
    }


def test_passenger_carrier_breaks_the_10_hour_rule_once():
    assert _hos_rules("hos-passenger") == {"VH-000001": ["DRIVING_10"], "VH-000002": [], "VH-000003": []}


def test_texas_rule_set_allows_12_hours_where_the_federal_driver_breaks_11():
    assert _hos_rules("hos-texas") == {"VH-000001": [], "VH-000002": ["DRIVING_12"], "VH-000003": ["DRIVING_11"]}


def test_cross_border_driver_breaks_a_canadian_limit():
    assert _hos_rules("hos-cross-border") == {"VH-000001": ["DRIVING_13"], "VH-000002": []}


def test_unassigned_driving_truck_moves_while_off_duty():
    records = _records("unassigned-driving")
    hos = _by_vehicle(records, "hos")
    assert {r["status"] for r in hos["VH-000001"]} == {"OFF"}
    run = None
    qualified = False
    for fix in _by_vehicle(records, "gps")["VH-000001"]:
        run = unassigned.step(run, iso_to_epoch_ms(fix["ts"]), fix["speed_kph"])
        qualified = qualified or bool(run and run.qualifies)
    assert qualified
    assert "D" in {r["status"] for r in hos["VH-000002"]}
