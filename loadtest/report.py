"""Aggregate worker reports into a load-run report with percentiles and service-level verdicts.

Service levels (a run passes when every measured one holds):
- sent rate >= 95% of the target rate (the schedule's records over the run's wall time);
- throttled entries < 1% of PutRecords entries, and nothing dropped after retries;
- end-to-end p95 <= 2 s (sent -> item in DynamoDB, canaries that never arrive count as late);
- DLQ depth does not grow during the run.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SLO_SENT_RATIO = 0.95
SLO_THROTTLE_RATIO = 0.01
SLO_E2E_P95_S = 2.0


def publish(report: dict[str, Any], path: Path, summary: str) -> int:
    """Write a run's report as JSON to `path`, print its summary and where it went; the exit status
    a run command returns (0 only when the report says it passed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str))
    print(summary)
    print(f"report: {path}")
    return 0 if report["passed"] else 1


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no data."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def spread(values: list[float], digits: int = 3) -> dict[str, float | None]:
    def rounded(value: float | None) -> float | None:
        return None if value is None or math.isinf(value) else round(value, digits)

    return {
        "p50": rounded(percentile(values, 50)),
        "p95": rounded(percentile(values, 95)),
        "p99": rounded(percentile(values, 99)),
        "max": rounded(max(values)) if values else None,
        "count": len(values),
    }


@dataclass
class LoadAggregate:
    start_at: float
    duration_s: float
    rate_factor: float
    sent: Counter = field(default_factory=Counter)
    sent_bytes: int = 0
    generated: Counter = field(default_factory=Counter)
    throttled: int = 0
    retries: int = 0
    dropped: int = 0
    call_ms: list[float] = field(default_factory=list)
    per_second: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    behind_s: dict[int, float] = field(default_factory=dict)
    send_s: dict[int, float] = field(default_factory=dict)
    done_workers: set = field(default_factory=set)
    last_at: float = 0.0
    samples: list[dict[str, Any]] = field(default_factory=list)  # probe samples over time

    def add(self, message: dict[str, Any]) -> None:
        self.sent.update(message["sent"])
        self.sent_bytes += message["sent_bytes_total"]
        self.generated.update(message["generated"])
        self.throttled += message["throttled"]
        self.retries += message["retries"]
        self.dropped += message["dropped"]
        self.call_ms.extend(message["call_ms"])
        self.per_second[int(message["at"] - self.start_at)] += sum(message["sent"].values())
        worker = message["worker"]
        self.behind_s[worker] = message["behind_s"]
        self.send_s[worker] = message["send_s"]
        self.last_at = max(self.last_at, message["at"])
        if message["done"]:
            self.done_workers.add(worker)

    @property
    def wall_s(self) -> float:
        """Wall time of the run: the schedule's span, longer when the workers fell behind."""
        return max(self.last_at - self.start_at, self.duration_s / self.rate_factor)

    def sent_rate(self) -> float:
        return sum(self.sent.values()) / self.wall_s

    def target_rate(self) -> float:
        return sum(self.generated.values()) / (self.duration_s / self.rate_factor)


def _verdict(name: str, value: Any, limit: str, passed: bool | None) -> dict[str, Any]:
    return {
        "name": name,
        "value": value,
        "limit": limit,
        "status": "n/a" if passed is None else ("PASS" if passed else "FAIL"),
    }


def build_report(
    aggregate: LoadAggregate,
    *,
    e2e: dict[str, list[float]] | None,
    e2e_missed: int,
    dlq_start: dict[str, int],
    dlq_end: dict[str, int],
    settings: dict[str, Any],
) -> dict[str, Any]:
    entries = sum(aggregate.sent.values()) + aggregate.throttled + aggregate.dropped
    throttle_ratio = aggregate.throttled / entries if entries else 0.0
    target = aggregate.target_rate()
    ratio = aggregate.sent_rate() / target if target else 0.0
    all_latencies = [v for values in (e2e or {}).values() for v in values]
    # A canary that never arrived is later than any bound: count it as infinitely late.
    with_missed = all_latencies + [math.inf] * e2e_missed
    e2e_p95 = percentile(with_missed, 95)
    dlq_growth = {q: dlq_end.get(q, 0) - dlq_start.get(q, 0) for q in set(dlq_start) | set(dlq_end)}
    rates = [aggregate.per_second[s] for s in sorted(aggregate.per_second)][1:-1]  # skip ramp edges
    slos = [
        _verdict("sent rate / target", round(ratio, 3), f">= {SLO_SENT_RATIO}", ratio >= SLO_SENT_RATIO),
        _verdict(
            "throttled entries",
            round(throttle_ratio, 4),
            f"< {SLO_THROTTLE_RATIO}",
            throttle_ratio < SLO_THROTTLE_RATIO,
        ),
        _verdict("dropped after retries", aggregate.dropped, "== 0", aggregate.dropped == 0),
        _verdict(
            "end-to-end p95 s",
            None if e2e_p95 is None else round(e2e_p95, 3),
            f"<= {SLO_E2E_P95_S}",
            None if e2e is None or e2e_p95 is None else e2e_p95 <= SLO_E2E_P95_S,
        ),
        _verdict(
            "DLQ growth",
            sum(dlq_growth.values()),
            "== 0",
            None if not (dlq_start or dlq_end) else sum(dlq_growth.values()) <= 0,
        ),
    ]

    def series(key: str) -> dict[str, dict[str, float | None]]:
        values: dict[str, list[float]] = defaultdict(list)
        for sample in aggregate.samples:
            for name, value in sample.get(key, {}).items():
                values[name].append(value)
        return {name: spread(v) for name, v in sorted(values.items())}

    return {
        "settings": settings,
        "wall_s": round(aggregate.wall_s, 2),
        "sim_speed": round(aggregate.duration_s / aggregate.wall_s, 3),
        "records": {
            "generated": dict(aggregate.generated),
            "sent": dict(aggregate.sent),
            "sent_bytes": aggregate.sent_bytes,
            "throttled": aggregate.throttled,
            "retried_calls": aggregate.retries,
            "dropped": aggregate.dropped,
        },
        "rates": {
            "target_per_s": round(target, 1),
            "sent_per_s": round(aggregate.sent_rate(), 1),
            "per_second": spread([float(r) for r in rates]),
        },
        "put_records_ms": spread(aggregate.call_ms),
        "e2e_s": {kind: spread(values) for kind, values in (e2e or {}).items()},
        "e2e_missed": e2e_missed,
        "consumer_lag_s": series("lag_s"),
        "function_lag_s": series("function_lag_s"),
        # 100 = one core busy; which process is pinned shows where the stack saturates.
        "cpu_pct": series("cpu_pct"),
        # send_s close to wall_s means the sink (the target) is the bottleneck; a worker that is
        # behind with little send time is limited by generating records (CPU).
        "workers": {"behind_s_at_end": aggregate.behind_s, "send_s": aggregate.send_s},
        "dlq_growth": dlq_growth,
        "probe_samples": aggregate.samples,
        "slos": slos,
        "passed": all(s["status"] != "FAIL" for s in slos),
    }


def render_summary(report: dict[str, Any]) -> str:
    lines = [
        f"wall {report['wall_s']} s, simulated speed x{report['sim_speed']}, "
        f"target {report['rates']['target_per_s']} rec/s, sent {report['rates']['sent_per_s']} rec/s",
        f"PutRecords ms p50/p95/p99: {report['put_records_ms']['p50']}/"
        f"{report['put_records_ms']['p95']}/{report['put_records_ms']['p99']}",
        "records sent: "
        + ", ".join(f"{kind} {count:,}" for kind, count in sorted(report["records"]["sent"].items()))
        + f"; throttled {report['records']['throttled']}, dropped {report['records']['dropped']}",
    ]
    for kind, spread in report["e2e_s"].items():
        lines.append(f"e2e {kind} s p50/p95/p99: {spread['p50']}/{spread['p95']}/{spread['p99']} (n={spread['count']})")
    for stream, spread in report.get("consumer_lag_s", {}).items():
        lines.append(f"consumer lag {stream} s p50/p95/max: {spread['p50']}/{spread['p95']}/{spread['max']}")
    cpu = report.get("cpu_pct", {})
    if cpu:
        lines.append(
            "CPU % of a core (median): "
            + ", ".join(
                f"{name} {spread['p50']}" for name, spread in sorted(cpu.items(), key=lambda kv: -(kv[1]["p50"] or 0))
            )
        )
    lines.append(f"{'service level':<24} {'value':>10}  {'limit':<8} status")
    for slo in report["slos"]:
        lines.append(f"{slo['name']:<24} {str(slo['value']):>10}  {slo['limit']:<8} {slo['status']}")
    lines += [f"error: {e}" for e in report.get("errors", [])]
    lines.append("PASS" if report["passed"] else "FAIL")
    return "\n".join(lines)
