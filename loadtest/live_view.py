"""Live terminal view of a load or soak run (rich), refreshed from a plain dict snapshot.

The snapshot keeps the view free of run logic: `load.py` and `soak.py` build it, this renders it.
Keys used (all optional): title, elapsed_s, streams {kind: {rate, sent, generated}}, throttled,
dropped, behind_s, lag {stream: seconds}, queues {name: depth}, dlqs {name: depth}, alert_rate,
e2e_p95_s, e2e_pending, rss_mib {process: MiB}.

With FLEETTAP_LIVE_SNAPSHOT=path in the environment, every update also writes the snapshot there as
JSON (at most once a second, replaced atomically), enabled or not: a soak reads its load run's
send rate and latency from it for the live page.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

SNAPSHOT_VARIABLE = "FLEETTAP_LIVE_SNAPSHOT"
SNAPSHOT_EVERY_S = 1.0


def _number(value: Any, digits: int = 0) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def render(snapshot: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title=snapshot.get("title", "fleettap load"), expand=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_column("detail")
    table.add_row("elapsed s", _number(snapshot.get("elapsed_s"), 1), "")
    for kind, stream in sorted(snapshot.get("streams", {}).items()):
        table.add_row(
            f"{kind} rec/s",
            _number(stream.get("rate"), 0),
            f"sent {_number(stream.get('sent'))} / generated {_number(stream.get('generated'))}",
        )
    table.add_row("throttled", _number(snapshot.get("throttled")), f"dropped {_number(snapshot.get('dropped'))}")
    table.add_row("behind schedule s", _number(snapshot.get("behind_s"), 2), "max over workers")
    for stream, lag in sorted(snapshot.get("lag", {}).items()):
        table.add_row(f"lag {stream}", _number(lag, 2), "consumer lag (runtime status)")
    for name, depth in sorted(snapshot.get("queues", {}).items()):
        table.add_row(f"queue {name}", _number(depth), "")
    for name, depth in sorted(snapshot.get("dlqs", {}).items()):
        table.add_row(f"DLQ {name}", _number(depth), "")
    if "alert_rate" in snapshot:
        table.add_row("alerts/s", _number(snapshot.get("alert_rate"), 1), "")
    table.add_row(
        "e2e p95 s", _number(snapshot.get("e2e_p95_s"), 2), f"canaries pending {_number(snapshot.get('e2e_pending'))}"
    )
    for process, mib in sorted(snapshot.get("rss_mib", {}).items()):
        table.add_row(f"RSS {process}", _number(mib, 1), "MiB")
    return table


class LiveView(AbstractContextManager):
    """rich.live.Live when enabled and rich is importable; silent otherwise. With `page` (a
    loadtest.live_page.LivePage), every update also becomes a sample the web page draws
    (`samples`, kept for the HTML report at the end)."""

    def __init__(self, enabled: bool = True, refresh_per_second: float = 2.0, page=None, target_rate=None) -> None:
        self._live = None
        self.page, self.target_rate = page, target_rate
        self.samples: list[dict[str, Any]] = []
        self._sampled_at = 0.0
        given = os.environ.get(SNAPSHOT_VARIABLE)
        self._snapshot_path = Path(given) if given else None
        self._snapshot_at = 0.0
        if enabled:
            try:
                from rich.live import Live
            except ImportError:
                return
            self._live = Live(render({}), refresh_per_second=refresh_per_second, transient=False)

    def __enter__(self) -> LiveView:
        if self._live:
            self._live.__enter__()
        return self

    def update(self, snapshot: dict[str, Any]) -> None:
        if self._live:
            self._live.update(render(snapshot))
        if self._snapshot_path and time.monotonic() - self._snapshot_at >= SNAPSHOT_EVERY_S:
            self._snapshot_at = time.monotonic()
            write_snapshot(self._snapshot_path, snapshot)
        if self.page is not None and time.monotonic() - self._sampled_at >= SNAPSHOT_EVERY_S:
            from loadtest import live_charts

            self._sampled_at = time.monotonic()
            self.samples.append(sample_of(snapshot))
            self.page.publish(live_charts.sections(self.samples, self.target_rate))

    def __exit__(self, *exc: Any) -> None:
        if self._live:
            self._live.__exit__(*exc)


def write_snapshot(path: Path, snapshot: dict[str, Any]) -> None:
    """The snapshot's public keys (not the `_`-prefixed working state) as JSON, atomically."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps({k: v for k, v in snapshot.items() if not k.startswith("_")}, default=str))
    partial.replace(path)


def read_snapshot(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def sample_of(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A load run's snapshot as a sample of loadtest.live_charts (its time series point)."""
    rates = [s.get("rate") for s in (snapshot.get("streams") or {}).values() if s.get("rate") is not None]
    return {
        "t": round(float(snapshot.get("elapsed_s") or 0.0), 2),
        "load": {
            "rate": sum(rates) if rates else None,
            "sent": sum(int(s.get("sent") or 0) for s in (snapshot.get("streams") or {}).values()),
            **{k: snapshot.get(k) for k in ("e2e_p50_s", "e2e_p95_s", "e2e_p99_s", "throttled", "dropped")},
        },
        "lag_s": dict(snapshot.get("lag") or {}),
        "dlqs": dict(snapshot.get("dlqs") or {}),
        "rss_mib": dict(snapshot.get("rss_mib") or {}),
    }
