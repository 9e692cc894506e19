"""Unit tests of the run report's pure drawing and data functions."""

from __future__ import annotations

import datetime as dt

import pytest

from scenario_runner import report_chart, report_eld, report_map
from scenario_runner.observers import Message
from scenario_runner.report_data import (
    RunSeries,
    alerts_from_topics,
    latency_samples,
    parse_instant,
    thin,
    violations_by_driver,
)
from scenario_runner.report_latency import histogram, latency_svg, percentile
from scenario_runner.report_timeline import timeline_svg

DAY = int(dt.datetime(2026, 11, 23, tzinfo=dt.UTC).timestamp())


def test_day_intervals_carry_the_status_in_effect_at_midnight_and_stop_at_the_data_end():
    events = [(DAY - 3600, "SB"), (DAY + 3600, "D"), (DAY + 7200, "PC"), (DAY + 9000, "YM")]
    intervals = report_eld.day_intervals(events, DAY, until_s=DAY + 10_000)
    assert [(i.start_s - DAY, i.end_s - DAY, i.row) for i in intervals] == [
        (0, 3600, "SB"),
        (3600, 7200, "D"),
        (7200, 9000, "OFF"),
        (9000, 10_000, "ON"),
    ]
    totals = report_eld.row_totals(intervals)
    assert totals == {"OFF": 1800, "SB": 3600, "D": 3600, "ON": 1000}


def test_day_intervals_merge_repeats_skip_unknown_statuses_and_clip_at_the_day_end():
    events = [(DAY + 100, "ON"), (DAY + 200, "ON"), (DAY + 300, "XX"), (DAY + 86_000, "D")]
    intervals = report_eld.day_intervals(events, DAY)
    assert [(i.start_s - DAY, i.end_s - DAY, i.row) for i in intervals] == [(100, 86_000, "ON"), (86_000, 86_400, "D")]


def test_the_grid_shows_totals_in_hh_mm_and_marks_only_violations_inside_the_day():
    intervals = report_eld.day_intervals([(DAY, "D"), (DAY + 11 * 3600 + 59, "OFF")], DAY)
    svg = report_eld.eld_grid_svg(
        "DR-1", DAY, intervals, [{"rule": "DRIVING_11", "start_s": DAY + 39600}, {"rule": "X", "start_s": DAY - 5}]
    )
    assert "data-status='D' data-seconds='39659'>11:01</text>" in svg
    assert "data-status='OFF' data-seconds='46741'>12:59</text>" in svg
    assert svg.count("class='eld-violation'") == 1 and "data-violations='1'" in svg


def test_home_days_lists_each_day_the_period_touches_in_the_zone():
    assert [d.start_s for d in report_eld.home_days(DAY + 3600, DAY + 86_400 + 10)] == [DAY, DAY + 86_400]
    assert [d.start_s for d in report_eld.home_days(DAY, DAY + 86_400)] == [DAY]
    # 06:00-22:00 UTC is 22:00 (Nov 22) to 14:00 PST: two Los Angeles days, one Chicago day (00:00-16:00 CST)
    la = report_eld.home_days(DAY + 6 * 3600, DAY + 22 * 3600, "America/Los_Angeles")
    assert [d.date.isoformat() for d in la] == ["2026-11-22", "2026-11-23"]
    assert [d.date.isoformat() for d in report_eld.home_days(DAY + 6 * 3600, DAY + 22 * 3600, "America/Chicago")] == [
        "2026-11-23"
    ]


@pytest.mark.parametrize(
    "date, utc_hour, abbreviation",
    [(dt.date(2026, 11, 23), 8, "PST"), (dt.date(2026, 7, 14), 7, "PDT")],
)
def test_a_los_angeles_drivers_grid_starts_at_his_home_terminals_midnight(date, utc_hour, abbreviation):
    midday = dt.datetime.combine(date, dt.time(20), dt.UTC).timestamp()  # 12:00/13:00 in Los Angeles
    [day] = report_eld.home_days(midday, midday + 60, "America/Los_Angeles")
    assert dt.datetime.fromtimestamp(day.start_s, dt.UTC) == dt.datetime.combine(date, dt.time(utc_hour), dt.UTC)
    assert day.end_s - day.start_s == 86_400 and day.label() == f"America/Los_Angeles, {abbreviation}"
    intervals = report_eld.day_intervals([(day.start_s - 3600, "OFF"), (midday, "D")], day.start_s, None, day.end_s)
    svg = report_eld.eld_grid_svg("DR-1", day, intervals, [{"rule": "DRIVING_11", "start_s": day.start_s - 1}])
    assert (
        f"data-day-start='{day.start_s:.0f}'" in svg and f"{date:%Y-%m-%d} (America/Los_Angeles, {abbreviation})" in svg
    )
    assert "data-zone='America/Los_Angeles'" in svg and "data-violations='0'" in svg  # a second before: the day before
    off = midday - day.start_s
    assert f"data-status='OFF' data-seconds='{off:.0f}'" in svg
    assert f"data-status='D' data-seconds='{86_400 - off:.0f}'" in svg


def test_a_day_the_clocks_change_has_as_many_hours_on_its_grid():
    noon = dt.datetime(2026, 11, 1, 18, tzinfo=dt.UTC).timestamp()  # Nov 1 2026: CDT -> CST at 02:00
    [day] = report_eld.home_days(noon, noon + 3600, "America/Chicago")
    assert day.end_s - day.start_s == 25 * 3600
    svg = report_eld.eld_grid_svg(
        "DR-1", day, report_eld.day_intervals([(day.start_s, "OFF")], day.start_s, None, day.end_s)
    )
    assert svg.count("class='eld-hour'") == 26 and "data-seconds='90000'>25:00" in svg


@pytest.mark.parametrize(
    "low, high, expected", [(0, 225, [0, 50, 100, 150, 200, 250]), (0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1.0])]
)
def test_nice_ticks_cover_the_range(low, high, expected):
    assert report_chart.nice_ticks(low, high) == pytest.approx(expected)


def test_clock_ticks_fall_on_whole_steps_and_read_as_utc_clock_times():
    ticks = report_chart.clock_ticks(DAY + 61, DAY + 3 * 3600)
    assert ticks[0] == DAY + 1800 and all(t % 1800 == 0 for t in ticks)
    assert report_chart.clock_label(DAY + 5400, 3 * 3600) == "01:30"
    assert report_chart.format_hhmm(11 * 3600 + 29) == "11:00"


def test_line_chart_draws_each_series_with_its_reference_band_and_fit():
    svg = report_chart.line_chart(
        "c",
        {"a": [(0, 1), (10, 3)], "empty": []},
        reference={"target": 2.5},
        bands={"a": (0, 10, 0, 4)},
        fits={"a": (0, 1, 10, 3)},
    )
    assert "data-series-count='1'" in svg and "data-series='a' data-n='2' data-last='3'" in svg
    assert "data-reference='target' data-value='2.5'" in svg and "class='band'" in svg and "class='fit'" in svg
    assert "No data" in report_chart.line_chart("c", {"empty": []})


def test_alerts_without_coordinates_sit_at_their_vehicles_nearest_stored_position():
    positions = {"VH-1": [(100.0, 30.0, -97.0), (200.0, 31.0, -98.0)]}
    alerts = [
        {"topic": "t", "vehicle_id": "VH-1", "at_s": 190.0},
        {"topic": "t", "lat": 29.0, "lon": -95.0},
        {"topic": "t", "vehicle_id": "VH-9", "at_s": 1.0},
    ]
    placed = report_map.place_alerts(alerts, positions)
    assert [(p["lat"], p["lon"], p["placed"]) for p in placed] == [
        (31.0, -98.0, True),
        (29.0, -95.0, True),
        (None, None, False),
    ]
    svg = report_map.map_svg(positions, [], placed)
    assert svg.count("class='alert-marker'") == 2 and "data-alerts='2'" in svg and "data-positions='2'" in svg


def test_the_shipped_basemap_is_small_and_has_texas():
    assert report_map.OUTLINES.stat().st_size < 400_000
    outlines = report_map.load_outlines()
    assert "public domain" in outlines["source"]
    projection = report_map.Projection([29.4, 32.8], [-98.5, -95.4])  # San Antonio - Dallas - Houston
    assert any(projection.visible(arc) for arc in outlines["layers"]["states"])  # the Gulf coast


def test_latency_percentiles_and_histogram():
    values = sorted([1.0, 2.0, 3.0, 4.0, 10.0])
    assert percentile(values, 50) == 3.0 and percentile(values, 95) == 10.0
    assert histogram(values, 0, 10, 5) == [1, 2, 1, 0, 1]
    assert "data-n='5'" in latency_svg({"t": values, "none": []}) and "data-topic='none'" not in latency_svg(
        {"t": values, "none": []}
    )


def test_timeline_counts_every_alert():
    svg = timeline_svg({"a": [(DAY + 10, "x"), (DAY + 20, "y")], "b": [(DAY + 15, "z")]}, DAY)
    assert svg.count("class='alert-dot'") == 3 and "data-alerts='3'" in svg and ">00:00:00<" in svg


def test_alert_figures_from_messages():
    topics = {
        "hos-violations": [
            Message(
                {"violation_id": "v1", "driver_id": "D1", "rule": "BREAK_30", "start": "2026-11-23T08:00:00Z"}, {}, 5
            ),
            Message(
                {"violation_id": "v1", "driver_id": "D1", "rule": "BREAK_30", "start": "2026-11-23T08:00:00Z"}, {}, 6
            ),
        ],
        "vehicle-alerts": [Message({"vehicle_id": "VH-1", "ts_ms": (DAY + 120) * 1000}, {}, DAY + 500.0)],
    }
    assert violations_by_driver(topics) == {"D1": [{"rule": "BREAK_30", "start_s": DAY + 8 * 3600}]}
    alerts = alerts_from_topics(topics)
    assert len(alerts) == 3 and alerts[2]["at_s"] == DAY + 120
    assert latency_samples(topics, {120: DAY + 400.0}, DAY, 60) == {"vehicle-alerts": [100.0]}
    found = {"hos-violations": [Message({"rule": "R", "detected_at": "2026-11-23T00:03:10Z"}, {}, DAY + 200.5)]}
    assert latency_samples(found, {180: DAY + 190.0}, DAY, 60) == {"hos-violations": [10.5]}
    assert parse_instant("2026-11-23T00:00:00") == DAY and parse_instant(None) is None


def test_run_series_rates_and_lag():
    series = RunSeries()
    for k, records in enumerate((0, 100, 300)):
        series.sample(records, now=DAY + 2 * k)
    series.samples[-1] = (*series.samples[-1][:2], {"gps": 1.5})
    assert series.send_rate() == [(DAY + 2, 50.0), (DAY + 4, 100.0)]
    assert series.lag() == {"gps": [(DAY + 4, 1.5)]}


def test_thin_keeps_few_vehicles_and_evenly_spaced_points():
    tracks = {f"V{i}": [(t, 0.0, 0.0) for t in range(1000)] for i in range(3)}
    kept = thin(tracks, vehicles=2, points=100)
    assert sorted(kept) == ["V0", "V1"] and len(kept["V0"]) == 100


def test_read_driver_logs_names_each_drivers_home_terminal_zone_from_his_latest_record():
    from scenario_runner.report_data import read_driver_logs

    def item(driver, at_s, status, zone=None):
        found = {"driver_id": {"S": driver}, "event_time": {"N": str(at_s * 1000)}, "status": {"S": status}}
        return found | ({"time_zone": {"S": zone}} if zone else {})

    class Table:  # one page of a DynamoDB scan
        def scan(self, **_):
            return {
                "Items": [
                    item("DR-1", DAY + 60, "D", "America/Denver"),
                    item("DR-1", DAY, "ON", "America/Chicago"),
                    item("DR-2", DAY, "OFF"),
                ]
            }

    logs, zones, capped = read_driver_logs(Table(), "driver_logs", DAY * 1000, (DAY + 3600) * 1000)
    assert zones == {"DR-1": "America/Denver"} and not capped
    assert logs["DR-1"] == [(DAY, "ON", None), (DAY + 60, "D", None)]
