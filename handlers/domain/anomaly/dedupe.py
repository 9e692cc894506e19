"""Alert de-duplication: is an anomaly news, an escalation, or more of an episode already alerted?

`dedupe(prev_state, anomaly, now_ms)` -> (PUBLISH | ESCALATE | SUPPRESS, new_state); the state is a
small JSON-able dict the handler keeps under `dedupe_key(vehicle_id, rule)` for STATE_TTL_S.
`alert_body` is the vehicle-alerts message (contracts.md).
"""

from __future__ import annotations

from collections.abc import Mapping

from .model import SEVERITIES, SEVERITY_RANK, Anomaly, alert_id


def dedupe_key(vehicle_id: str, rule: str) -> str:
    """Redis key under which the handler stores the dedupe state of (vehicle, rule)."""
    return f"alert:{vehicle_id}:{rule}"


PUBLISH, ESCALATE, SUPPRESS = "publish", "escalate", "suppress"
DEFAULT_CLEAR_AFTER_S = 900  # quiet this long -> the episode is over, next one alerts again
DEFAULT_ESCALATE_AFTER_S = 1800  # still firing after this long -> one persistence escalation
# Redis EXPIRE for the state key. Decisions use event time, so the state must outlive any replay of
# the readings it decided: Kinesis retention (at most 7 d, and the processor rejects readings older
# than 7 d) plus a day, like the other idempotency marks (handlers.common.idempotency.MARK_TTL_S).
# A 960 s state let a reading redelivered 16 minutes later open a new episode under a new alert_id.
REPLAY_HORIZON_S = 8 * 86400
STATE_TTL_S = REPLAY_HORIZON_S


def dedupe(
    prev_state: Mapping | None,
    anomaly: Anomaly,
    now_ms: int,
    *,
    clear_after_s: int = DEFAULT_CLEAR_AFTER_S,
    escalate_after_s: int = DEFAULT_ESCALATE_AFTER_S,
) -> tuple[str, dict]:
    """Decide whether an anomaly is news. Returns (decision, new_state).

    - "publish": first firing, or the previous episode went quiet for clear_after_s;
    - "escalate": severity rose above the episode's, or the episode has lasted escalate_after_s
      (once; the escalation raises severity one level, capped at critical);
    - "suppress": anything else (state's count/last_ms updated), and a reading older than the
      current episode's first (a replay of an earlier episode: the state is returned unchanged).
    new_state["alert_id"] / ["severity"] are what the handler publishes on publish/escalate.
    The state is a small JSON-able dict; a malformed prev_state counts as none.
    """
    rank = SEVERITY_RANK.get(anomaly.severity, 0)
    state = dict(prev_state) if isinstance(prev_state, Mapping) else None
    if state is not None and not _state_is_valid(state):
        state = None
    if state is not None and now_ms < state["first_ms"]:
        # A reading from before this episode (a replay or redelivery of an earlier one): that
        # episode was decided when the reading first arrived; it changes nothing now.
        return SUPPRESS, state
    if state is None or now_ms - state["last_ms"] > clear_after_s * 1000:
        return PUBLISH, {
            "rule": anomaly.rule,
            "first_ms": now_ms,
            "last_ms": now_ms,
            "count": 1,
            "severity": anomaly.severity,
            "peak_rank": rank,
            "persist_escalated": False,
            "episode_start_ms": anomaly.window_start_ms,
            "alert_id": alert_id(anomaly.vehicle_id, anomaly.rule, anomaly.window_start_ms),
        }
    state["last_ms"] = max(state["last_ms"], now_ms)
    state["count"] = state.get("count", 0) + 1
    if rank > state["peak_rank"]:
        return ESCALATE, _escalated(state, anomaly, rank)
    lasted_ms = now_ms - state["first_ms"]
    if not state.get("persist_escalated") and lasted_ms >= escalate_after_s * 1000:
        state["persist_escalated"] = True
        return ESCALATE, _escalated(state, anomaly, min(state["peak_rank"] + 1, len(SEVERITIES) - 1))
    return SUPPRESS, state


def _escalated(state: dict, anomaly: Anomaly, rank: int) -> dict:
    state["peak_rank"] = max(state["peak_rank"], rank)
    state["severity"] = SEVERITIES[rank]
    # One id per (episode, severity): a redelivered escalation dedupes downstream too.
    state["alert_id"] = alert_id(anomaly.vehicle_id, f"{anomaly.rule}@{state['severity']}", state["episode_start_ms"])
    return state


def _state_is_valid(state: Mapping) -> bool:
    return all(
        isinstance(state.get(key), int) and not isinstance(state.get(key), bool)
        for key in ("first_ms", "last_ms", "peak_rank", "episode_start_ms")
    ) and 0 <= state["peak_rank"] < len(SEVERITIES)


class AlertDeduper:
    """In-memory `dedupe` for many (vehicle, rule) pairs: simulator and tests."""

    def __init__(
        self, *, clear_after_s: int = DEFAULT_CLEAR_AFTER_S, escalate_after_s: int = DEFAULT_ESCALATE_AFTER_S
    ) -> None:
        self._states: dict[str, dict] = {}
        self._clear_after_s = clear_after_s
        self._escalate_after_s = escalate_after_s

    def check(self, anomaly: Anomaly, now_ms: int) -> tuple[str, dict]:
        """(decision, state) as `dedupe`, keeping the state."""
        key = dedupe_key(anomaly.vehicle_id, anomaly.rule)
        decision, state = dedupe(
            self._states.get(key),
            anomaly,
            now_ms,
            clear_after_s=self._clear_after_s,
            escalate_after_s=self._escalate_after_s,
        )
        self._states[key] = state
        return decision, state


def alert_body(record: Mapping, anomaly: Anomaly, state: Mapping | None = None) -> dict:
    """SNS vehicle-alerts message body (contracts.md). With a dedupe `state`, its alert_id and
    severity (escalations) are used."""
    severity = state.get("severity", anomaly.severity) if state else anomaly.severity
    return {
        "alert_id": state.get("alert_id") if state else anomaly.alert_id,
        "vehicle_id": record.get("vehicle_id"),
        "fleet_id": record.get("fleet_id"),
        "driver_id": record.get("driver_id"),
        "vehicle_type": record.get("vehicle_type"),
        "rule": anomaly.rule,
        "metric": anomaly.metric,
        "value": anomaly.value,
        "threshold": anomaly.threshold,
        "severity": severity,
        "ts": record.get("ts"),
        "message": anomaly.message,
    }
