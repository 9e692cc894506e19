"""The run report: one self-contained HTML page (inline SVG and CSS, nothing fetched at view time)
with the summary, the outcome checks, the CloudWatch alarm state changes, for HOS runs a 24-hour
duty-status grid per driver (report_eld), a map of what location_tracker stored with geofences,
alert markers and an offline basemap (report_map), the latency distribution per alert topic
(report_latency), the alert timeline on a UTC clock axis (report_timeline) and the send rate and
consumer lag over the run (report_chart.line_chart).

`render(result)` takes a scenario_runner.run.RunResult; `result.stored` (report_data.StoredData,
read from the stack after the run) and `result.series` (report_data.RunSeries) may be None, then
their charts say so.
"""

from __future__ import annotations

from pathlib import Path

from scenario_runner import report_chart, report_eld, report_map
from scenario_runner.report_chart import clock_label, esc, line_chart
from scenario_runner.report_data import (
    RunSeries,
    StoredData,
    alerts_from_topics,
    latency_samples,
    violations_by_driver,
)
from scenario_runner.report_latency import latency_svg
from scenario_runner.report_timeline import timeline_svg


def render(result) -> str:
    """HTML for a scenario_runner.run.RunResult."""
    scenario = result.scenario
    stored: StoredData = getattr(result, "stored", None) or StoredData(notes=["nothing was read from the stack"])
    series: RunSeries = getattr(result, "series", None) or RunSeries()
    topics = result.observed.topics
    alerts = alerts_from_topics(topics)
    placed = report_map.place_alerts(alerts, stored.positions)
    css = "\n".join((report_chart.CSS, report_eld.CSS, report_map.CSS))
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>fleettap run: "
        f"{esc(scenario.name)}</title><style>{css}</style></head><body>",
        f"<h1>Scenario {esc(scenario.name)} "
        f"<span class='{'pass' if result.passed else 'fail'}'>"
        f"{'PASSED' if result.passed else 'FAILED'}</span></h1>",
        f"<p>{esc(scenario.description)}</p>",
        _summary(result),
        _outcomes(result),
        _alarms(result),
        _duty_grids(result, stored),
        "<h2>Stored positions, geofences and alerts</h2>",
        report_map.map_svg(stored.positions, scenario.geofences, placed),
        _map_caption(stored, placed),
        "<h2>Latency per alert topic</h2>",
        latency_svg(
            latency_samples(
                result.observed.topics,
                getattr(result, "sent_at", None) or {},
                scenario.fleet.start_epoch_s,
                scenario.fleet.tick_s,
            )
        ),
        "<h2>Alerts over time</h2>",
        timeline_svg(
            {topic: [(a["received_at"], a["label"]) for a in alerts if a["topic"] == topic] for topic in topics},
            series.samples[0][0] if series.samples else None,
        ),
        "<h2>Send rate and consumer lag</h2>",
        "<figure><figcaption>records sent per second (UTC)</figcaption>",
        line_chart("send-rate", {"records/s": series.send_rate()}, y_unit="rec/s", x_label=clock_label),
        "</figure><figure><figcaption>consumer lag per stream, seconds behind the newest record (UTC)</figcaption>",
        line_chart("lag", series.lag(), y_unit="s", x_label=clock_label),
        "</figure></body></html>",
    ]
    return "".join(parts)


def write(result, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{result.scenario.name}-{result.stamp}.html"
    path.write_text(render(result))
    return path


def _duty_grids(result, stored: StoredData) -> str:
    if not stored.driver_logs:
        return ""
    fleet = result.scenario.fleet
    start, end = fleet.start_epoch_s, fleet.start_epoch_s + fleet.duration_s
    violations = violations_by_driver(result.observed.topics)
    grids = []
    for driver, events in sorted(stored.driver_logs.items()):
        vehicle = next((v for _, _, v in reversed(events) if v), None)
        statuses = [(at, status) for at, status, _ in events]
        # 49 CFR 395.8: the driver's day runs midnight to midnight at his home terminal.
        for day in report_eld.home_days(start, end, stored.driver_zones.get(driver, "UTC")):
            intervals = report_eld.day_intervals(statuses, day.start_s, until_s=end, day_end_s=day.end_s)
            if intervals:
                grids.append(report_eld.eld_grid_svg(driver, day, intervals, violations.get(driver, []), vehicle))
    return (
        "<h2>Duty status (ELD graph grid)</h2><p class='muted'>The statuses hos_processor stored "
        "(driver_logs), drawn through the end of the simulated period, each driver's day midnight to "
        "midnight in his home terminal's time zone (49 CFR 395.8; named on each grid; UTC when the log "
        "names none); red marks where a violation starts.</p>" + "".join(grids)
    )


def _map_caption(stored: StoredData, placed: list) -> str:
    unplaced = sum(1 for alert in placed if not alert["placed"])
    notes = [f"{stored.positions_total} positions stored by location_tracker", f"{len(placed)} alerts"]
    if unplaced:
        notes.append(f"{unplaced} alerts with no position (no coordinates and no stored position of their vehicle)")
    notes += stored.notes
    return f"<p class='muted'>{esc('; '.join(notes))}</p>"


def _summary(result) -> str:
    rows = [
        ("vehicles", result.scenario.fleet.vehicles),
        ("simulated", f"{result.scenario.fleet.duration_s / 3600:.2f} h from {result.start}"),
        ("records sent", result.sink_stats.get("records", 0)),
        *((f"  {kind}", count) for kind, count in sorted(result.sink_stats.get("by_kind", {}).items())),
        ("throttled / failed", f"{result.sink_stats.get('throttled', 0)} / {result.sink_stats.get('failed', 0)}"),
        ("send time", f"{result.send_s:.1f} s"),
        ("drain time", f"{result.drain_s:.1f} s"),
    ]
    for topic, messages in sorted(result.observed.topics.items()):
        if messages:
            rows.append((f"alerts: {topic}", len(messages)))
    for name, latency in sorted(result.latencies.items()):
        rows.append((f"latency {name}", latency))
    for section in ("dynamodb", "aurora", "s3"):
        for name, count in sorted(getattr(result.observed, section).items()):
            rows.append((f"{section} {name}", count))
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    return f"<h2>Summary</h2><table id='summary'>{body}</table>"


def _outcomes(result) -> str:
    body = "".join(
        f"<tr class='{'pass' if o.ok else 'fail'}'><td>{'✓' if o.ok else '✗'}</td>"
        f"<td>{esc(o.name)}</td><td>{esc(o.detail)}</td></tr>"
        for o in result.outcomes
    )
    return f"<h2>Expected outcomes</h2><table>{body}</table>"


def _alarms(result) -> str:
    changes = getattr(result.observed, "alarms", None) or []
    if not changes:
        return "<h2>Alarm state changes</h2><p>No CloudWatch alarm changed state during the run.</p>"
    body = "".join(
        f"<tr class='{'fail' if c['new'] == 'ALARM' else 'pass'}'><td>{esc(c['at'] or '')}</td>"
        f"<td>{esc(c['alarm'])}</td><td>{esc(c['old'])} &rarr; {esc(c['new'])}</td><td>{esc(c['reason'])}</td></tr>"
        for c in changes
    )
    return (
        "<h2>Alarm state changes</h2><table><tr><th>at</th><th>alarm</th><th>change</th><th>reason</th></tr>"
        f"{body}</table>"
    )
