"""The run report rendered in a real headless Chromium: no console error, nothing fetched, and the
charts hold the run's numbers (grid totals = the logged durations, one marker per alert, one
dot per alert on the timeline, a latency row per topic)."""

from __future__ import annotations

import pytest

from scenario_runner import report
from tests.report.browser import browser, console_errors  # noqa: F401 (fixture)
from tests.report.run_fixture import DRIVER_ZONES, VIOLATIONS, expected_totals, home_midnight, run_result


@pytest.fixture(scope="module")
def page(browser, tmp_path_factory):  # noqa: F811
    path = report.write(run_result(), tmp_path_factory.mktemp("run-report"))
    browser.get(path.as_uri())
    browser.get_log("browser")  # from here on: this page's messages only
    browser.refresh()
    return browser


def values(driver, script: str):
    return driver.execute_script(script)


def test_the_page_renders_without_console_errors_or_network(page):
    assert console_errors(page) == []
    resources = values(page, "return performance.getEntriesByType('resource').map(e => e.name)")
    assert resources == []  # self-contained: nothing fetched at view time
    assert page.title.startswith("fleettap run: geofence-breach")


def test_the_duty_grid_totals_equal_the_logged_durations_of_each_home_terminal_day(page):
    grids = values(
        page,
        """return [...document.querySelectorAll('svg.eld-grid')].map(g => [g.dataset.driver, g.dataset.day,
             g.dataset.zone, g.closest('figure').querySelector('figcaption').textContent,
             Object.fromEntries([...g.querySelectorAll('.eld-total')].map(t => [t.dataset.status,
             [Number(t.dataset.seconds), t.textContent]]))])""",
    )
    expected = expected_totals()
    # DR-000002 (Los Angeles) has two days: 22:00-24:00 PST on the 22nd, then the 23rd
    assert (
        sorted((driver, day) for driver, day, *_ in grids)
        == sorted(expected)
        == [
            ("DR-000001", "2026-11-23"),
            ("DR-000002", "2026-11-22"),
            ("DR-000002", "2026-11-23"),
        ]
    )
    for driver, day, zone, caption, rows in grids:
        assert zone == DRIVER_ZONES[driver]
        assert caption.endswith(f"{day} ({zone}, {'CST' if zone == 'America/Chicago' else 'PST'})")
        for status, seconds in expected[(driver, day)].items():
            assert rows[status][0] == pytest.approx(seconds), (driver, day, status)
            minutes = round(seconds / 60)
            assert rows[status][1] == f"{minutes // 60:02d}:{minutes % 60:02d}"
    by_day = {(driver, day): rows for driver, day, _, _, rows in grids}
    # e.g. DR-000001 drives 04:45 then 06:40; DR-000002 sleeps 22:00-24:00 PST, the rest on the 23rd
    assert by_day[("DR-000001", "2026-11-23")]["D"][1] == "11:25"
    assert by_day[("DR-000002", "2026-11-22")]["SB"][1] == "02:00"
    assert by_day[("DR-000002", "2026-11-23")]["SB"][1] == "00:00"


def test_each_violation_is_marked_where_it_starts_on_its_home_terminal_day(page):
    marks = values(
        page,
        """return [...document.querySelectorAll('svg.eld-grid')].flatMap(g =>
             [...g.querySelectorAll('.eld-violation')].map(v => [g.dataset.driver, v.dataset.rule,
             Number(v.dataset.start), v.querySelector('line').getBBox().x]))""",
    )
    from tests.report.run_fixture import START

    assert sorted((d, r, s) for d, r, s, _ in marks) == sorted((d, r, START + o) for d, r, o in VIOLATIONS)
    for driver, _, start, x in marks:  # x on the 24-hour axis from local midnight: label 150 px, plot 690 px
        midnight = home_midnight(start, DRIVER_ZONES[driver])
        assert x == pytest.approx(150 + (start - midnight) / 86_400 * 690, abs=1.5)


def test_the_map_has_a_basemap_the_stored_positions_and_a_marker_per_alert(page):
    figures = values(
        page,
        """const m = document.getElementById('map'); return {positions: Number(m.dataset.positions),
             alerts: Number(m.dataset.alerts), markers: m.querySelectorAll('.alert-marker').length,
             dots: m.querySelectorAll('.position').length, fences: m.querySelectorAll('.fence').length,
             outlines: m.querySelectorAll('path[class^=outline]').length,
             scale: m.querySelector('.scale-bar text').textContent}""",
    )
    run = run_result()
    alerts = sum(len(messages) for messages in run.observed.topics.values())
    stored = sum(len(track) for track in run.stored.positions.values())
    assert figures["markers"] == figures["alerts"] == alerts
    assert figures["positions"] == figures["dots"] == stored
    assert figures["fences"] == len(run.scenario.geofences)
    assert figures["outlines"] >= 1  # Texas' outline at least
    assert figures["scale"].endswith("km")


def test_the_timeline_has_a_dot_per_alert_on_a_utc_clock_axis(page):
    figures = values(
        page,
        """const t = document.getElementById('timeline'); return {dots: t.querySelectorAll('.alert-dot').length,
             labels: [...t.querySelectorAll('.clock')].map(e => e.textContent)}""",
    )
    run = run_result()
    assert figures["dots"] == sum(len(messages) for messages in run.observed.topics.values())
    assert figures["labels"] and all(len(label) in (5, 8) and label[2] == ":" for label in figures["labels"])


def test_latency_rows_and_series_charts_hold_the_run_figures(page):
    figures = values(
        page,
        """return {topics: [...document.querySelectorAll('.latency-topic')].map(g =>
               [g.dataset.topic, Number(g.dataset.n)]),
             rate: Number(document.querySelector('#send-rate .series').dataset.max),
             lags: [...document.querySelectorAll('#lag .series')].map(s => s.dataset.series)}""",
    )
    assert dict(figures["topics"]) == {"geofence-alerts": 3, "hos-violations": 2, "vehicle-alerts": 1}
    assert figures["rate"] == pytest.approx(225.0)  # 450 records every 2 s
    assert sorted(figures["lags"]) == ["fleettap-dev-gps", "fleettap-dev-hos"]
