from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.domain import anomaly
from handlers.domain.anomaly import AlertDeduper, Anomaly, dedupe

MINUTE = 60_000
T0 = 1_795_629_600_000


def hot(ts_ms, severity="high", value=112.0):
    return Anomaly(
        "threshold:coolant_temp_c",
        "coolant_temp_c",
        value,
        110.0,
        severity,
        "hot",
        anomaly.bucket_start_ms(ts_ms, 900),
        "VH-000123",
        ts_ms,
    )


def test_an_hour_of_overheating_is_one_alert_and_one_escalation():
    deduper = AlertDeduper()
    decisions = [deduper.check(hot(T0 + i * MINUTE), T0 + i * MINUTE) for i in range(60)]
    kinds = [decision for decision, _ in decisions]
    assert kinds.count("publish") == 1 and kinds.count("escalate") == 1 and kinds.count("suppress") == 58
    assert kinds[0] == "publish" and kinds[30] == "escalate"
    assert decisions[30][1]["severity"] == "critical"
    ids = {state["alert_id"] for decision, state in decisions if decision != "suppress"}
    assert len(ids) == 2


def test_severity_rise_escalates_immediately_and_once_per_level():
    state = None
    outcomes = []
    for i, severity in enumerate(["warning", "warning", "high", "high", "critical", "high"]):
        decision, state = dedupe(state, hot(T0 + i * MINUTE, severity), T0 + i * MINUTE)
        outcomes.append(decision)
    assert outcomes == ["publish", "suppress", "escalate", "suppress", "escalate", "suppress"]


def test_quiet_period_starts_a_new_episode():
    decision, state = dedupe(None, hot(T0), T0)
    later = T0 + 16 * MINUTE
    decision2, state2 = dedupe(state, hot(later), later)
    assert (decision, decision2) == ("publish", "publish")
    assert state2["alert_id"] != state["alert_id"]
    within = T0 + 14 * MINUTE
    assert dedupe(state, hot(within), within)[0] == "suppress"


def test_redelivered_first_record_gives_same_alert_id():
    _, first = dedupe(None, hot(T0 + 5000), T0 + 5000)
    _, again = dedupe(None, hot(T0 + 5000), T0 + 5000)
    assert first["alert_id"] == again["alert_id"]
    assert first["alert_id"] == anomaly.alert_id(
        "VH-000123", "threshold:coolant_temp_c", anomaly.bucket_start_ms(T0 + 5000, 900)
    )


def test_alert_id_is_deterministic_and_discriminating():
    base = anomaly.alert_id("VH-1", "threshold:battery_v", 1000)
    assert base == anomaly.alert_id("VH-1", "threshold:battery_v", 1000)
    assert base.startswith("al-") and len(base) == 27
    assert (
        len(
            {
                base,
                anomaly.alert_id("VH-2", "threshold:battery_v", 1000),
                anomaly.alert_id("VH-1", "threshold:coolant_temp_c", 1000),
                anomaly.alert_id("VH-1", "threshold:battery_v", 2000),
            }
        )
        == 4
    )


def test_malformed_state_is_treated_as_absent():
    for junk in ({}, {"first_ms": "x"}, {"first_ms": 1, "last_ms": 1, "peak_rank": 9, "episode_start_ms": 1}, "s"):
        assert dedupe(junk, hot(T0), T0)[0] == "publish"


@settings(deadline=None)  # a loaded CI box must not turn into flaky failures
@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=28), st.sampled_from(anomaly.SEVERITIES)), min_size=1, max_size=200
    )
)
def test_dedupe_bounds_alert_count(events):
    """However the severity moves, a continuous episode alerts at most once per severity level
    plus one persistence escalation."""
    state = None
    loud = 0
    ts = T0
    for gap, severity in events:
        ts += gap * 30_000  # gaps of at most 14 minutes: the episode never goes quiet
        decision, state = dedupe(state, hot(ts, severity), ts)
        loud += decision != "suppress"
    assert loud <= len(anomaly.SEVERITIES) + 1
