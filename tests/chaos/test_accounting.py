"""The accounting of a fault run (chaos.accounting): pure, no stack."""

from __future__ import annotations

import base64
from collections import Counter

import pytest

from chaos.accounting import (
    DeadLetter,
    Observed,
    SentRecord,
    account,
    count_effects,
    count_reports,
    count_scheduled,
    identity,
    parse_dead_letter,
    schedule_breaches,
)


def diag(n: int) -> SentRecord:
    return SentRecord("diagnostics", f'{{"record_id": "VH-1-d-{n}"}}'.encode(), f"VH-1-d-{n}")


def stored(*records: SentRecord) -> dict:
    ids = {r.record_id for r in records}
    return {"vehicle_diagnostics": set(ids), "vehicle_history": set(ids)}


def test_a_record_in_every_store_of_its_kind_is_processed_exactly_once():
    records = [diag(1), diag(2)]
    row = account("x", records, Observed(stored=stored(*records)))
    assert (row.sent, row.exactly_once, row.lost, row.dead_lettered) == (2, 2, 0, 0)
    assert row.holds


def test_a_record_missing_from_one_store_is_lost_and_named_by_kind():
    records = [diag(1), diag(2)]
    observed = Observed(stored={"vehicle_diagnostics": {"VH-1-d-1", "VH-1-d-2"}, "vehicle_history": {"VH-1-d-1"}})
    row = account("x", records, observed)
    assert (row.exactly_once, row.lost) == (1, 1)
    assert row.lost_by == Counter({"diagnostics": 1})
    assert not row.holds


def test_duplicates_sent_count_once():
    row = account("x", [diag(1), diag(1), diag(1)], Observed(stored=stored(diag(1))))
    assert (row.sent, row.exactly_once) == (1, 1)


def test_poison_needs_a_dead_letter_with_a_reason_and_its_bytes():
    poison = SentRecord("gps", b"not json", None, "dlq", "poison:not-json")
    nameless = SentRecord("gps", b"@@@", None, "dlq", "poison:not-base64")
    observed = Observed(
        dead_letters=[
            DeadLetter("location-dlq", "MALFORMED_JSON", b"not json"),
            DeadLetter("location-dlq", None, b"@@@"),  # no reason: does not count
        ]
    )
    row = account("x", [poison, nameless], observed)
    assert (row.dead_lettered, row.lost) == (1, 1)
    assert row.lost_by == Counter({"poison:not-base64": 1})


def test_poison_that_was_stored_is_accepted_not_processed():
    bad = SentRecord("diagnostics", b'{"record_id": "p"}', "p", "dlq", "poison:far-future")
    row = account("x", [bad], Observed(stored={"vehicle_diagnostics": {"p"}, "vehicle_history": {"p"}}))
    assert (row.poison_accepted, row.exactly_once, row.lost) == (1, 0, 0)


def test_metadata_only_entries_do_not_make_records_replayable():
    records = [diag(1), diag(2)]
    observed = Observed(
        stored=stored(diag(1)), dead_letters=[DeadLetter("processor-dlq", "RetryAttemptsExhausted", None, 1)]
    )
    row = account("x", records, observed)
    assert (row.lost, row.metadata_only) == (1, 1)


def test_copies_in_one_queue_are_counted_beyond_the_first_per_queue():
    bad = SentRecord("diagnostics", b"x", None, "dlq")
    letters = [DeadLetter(q, "MALFORMED_JSON", b"x") for q in ("processor-dlq", "processor-dlq", "fuel-dlq")]
    row = account("x", [bad], Observed(dead_letters=letters))
    assert (row.dead_lettered, row.dlq_copies) == (1, 1)


def test_side_effects_above_the_baseline_are_doubled_and_below_it_missing():
    alert = {"vehicle_id": "VH-1", "rule": "COOLANT", "severity": "high", "alert_id": "a1", "ts": "t1"}
    again = {**alert, "alert_id": "a2", "ts": "t2"}  # same event under another id: doubled
    other = {"vehicle_id": "VH-2", "rule": "COOLANT", "severity": "high"}
    baseline = count_effects("vehicle-alerts", [alert, other])
    observed = Observed(effects=count_effects("vehicle-alerts", [alert, again]))
    row = account("x", [], observed, baseline)
    assert (row.doubled, row.effects_missing) == (1, 1)
    assert row.doubled_by == Counter({"vehicle-alerts": 1})
    assert not row.holds


def _report(violation_id, driver="DR-1", rule="HOS_11H_DRIVING", **extra):
    violation = {"violation_id": violation_id, "driver_id": driver, "vehicle_id": "VH-1", "rule": rule}
    return {"report_type": "hos_violation", "severity": "critical", "violation": violation, **extra}


def test_a_second_report_for_one_violation_under_a_new_id_is_doubled():
    baseline = count_reports([_report("v1"), _report("v2", driver="DR-2")])
    observed = Observed(effects=count_reports([_report("v9"), _report("v10"), _report("v11", driver="DR-2")]))
    row = account("x", [], observed, baseline)
    assert (row.doubled, row.effects_missing) == (1, 0)
    assert row.doubled_by == Counter({"report": 1})


def test_reports_of_different_drivers_or_rules_are_different_effects():
    observed = count_reports([_report("a"), _report("b", driver="DR-2"), _report("c", rule="HOS_14H_WINDOW")])
    assert len(observed) == 3


def test_an_amendment_is_not_a_doubled_report_but_a_second_version_of_one_is():
    amendment = {"report_type": "hos_violation_amendment", "amends": "k.json", "revision": 1}
    baseline = count_reports([_report("v1")])
    once = account("x", [], Observed(effects=count_reports([_report("v1"), amendment])), baseline)
    assert (once.doubled, once.effects_missing) == (0, 0)
    twice = account("x", [], Observed(effects=count_reports([_report("v1"), amendment, amendment])), baseline)
    assert twice.doubled_by == Counter({"amendment": 1})


def test_identity_ignores_ids_and_times():
    assert identity("t", {"vehicle_id": "V", "alert_id": "1", "ts": "a"}) == identity(
        "t", {"vehicle_id": "V", "alert_id": "2"}
    )
    assert identity("t", "raw") == ("t", "'raw'")


def test_dead_letter_bodies_of_both_kinds_parse():
    data = b'{"record_id": "r"}'
    handler_body = {"reason": "TS_TOO_OLD", "record": {"kinesis": {"data": base64.b64encode(data).decode()}}}
    assert parse_dead_letter("hos-dlq", handler_body) == DeadLetter("hos-dlq", "TS_TOO_OLD", data)
    esm_body = {"requestContext": {"condition": "RetryAttemptsExhausted"}, "KinesisBatchInfo": {"batchSize": 7}}
    assert parse_dead_letter("hos-dlq", esm_body) == DeadLetter("hos-dlq", "RetryAttemptsExhausted", None, 7)
    assert parse_dead_letter("q", "plain text") == DeadLetter("q", None, None)
    assert parse_dead_letter("q", {"reason": "X", "record": {"kinesis": {"data": "%%%"}}}).data is None


@pytest.mark.parametrize("kind", ["gps", "hos"])
def test_other_kinds_need_their_own_store(kind):
    store = {"gps": "vehicle_locations", "hos": "driver_logs"}[kind]
    record = SentRecord(kind, b"r", "r")
    assert account("x", [record], Observed(stored={store: {"r"}})).exactly_once == 1
    assert account("x", [record], Observed(stored={"vehicle_diagnostics": {"r"}})).lost == 1


def _request(vehicle, minute, prediction="p"):
    return {"vehicle_id": vehicle, "predicted_at": minute * 60_000, "prediction_id": prediction, "severity": "high"}


def test_a_maintenance_request_at_another_reading_is_not_doubled():
    """The scoring follows the readings' batching: the baseline scored VH-1 at minute 31, a faulted
    run at minutes 25 and 86 (an interval apart): no contract broken, nothing doubled."""
    baseline = count_scheduled("maintenance-required", [_request("VH-1", 31)])
    run = count_scheduled("maintenance-required", [_request("VH-1", 25), _request("VH-1", 86)])
    row = account("x", [], Observed(effects=run), baseline)
    assert (row.doubled, row.effects_missing) == (0, 0)


def test_a_maintenance_request_published_twice_or_inside_the_interval_is_doubled():
    twice = count_scheduled("maintenance-required", [_request("VH-1", 31), _request("VH-1", 31)])
    assert schedule_breaches("maintenance-required", twice) == 1
    close = count_scheduled("maintenance-required", [_request("VH-1", 31), _request("VH-1", 60), _request("VH-2", 60)])
    row = account("x", [], Observed(effects=close), Counter())
    assert row.doubled_by == Counter({"maintenance-required": 1})
