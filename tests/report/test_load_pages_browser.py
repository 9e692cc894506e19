"""The soak's live page (served while the run goes) and its HTML report, rendered in a real
headless Chromium: no console error, the page refreshes from its JSON endpoint, and the charts
hold the run's numbers (the target line, the last send rate, the memory verdict's slope and
tolerance, the DLQ depth)."""

from __future__ import annotations

import time

import pytest

from loadtest import live_charts, soak
from loadtest.live_page import LivePage
from loadtest.soak_memory import judge_memory
from tests.report.browser import browser, console_errors  # noqa: F401 (fixture)
from tests.report.soak_fixture import TARGET, samples


def wait_for(driver, script: str, timeout_s: float = 10.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"the page never satisfied: {script}")


@pytest.fixture
def live(browser):  # noqa: F811
    page = LivePage("soak 190 rec/s", port=0).start(announce=None)
    try:
        yield page, browser
    finally:
        page.stop()


def test_the_live_page_shows_the_run_and_follows_it(live):
    page, driver = live
    first = samples(20, growth_mib_per_s=0.5)
    page.publish(live_charts.sections(first, TARGET, judge_memory(first, 0.2)))
    driver.get(page.url)
    wait_for(driver, "return Number(document.body.dataset.version) >= 1")
    figures = driver.execute_script(
        """return {target: Number(document.querySelector('#rate .reference').dataset.value),
             rate: Number(document.querySelector('#rate .series').dataset.last),
             mappings: [...document.querySelectorAll('#lag .series')].map(s => s.dataset.series),
             e2e: [...document.querySelectorAll('#e2e .series')].map(s => [s.dataset.series, Number(s.dataset.last)]),
             verdict: [...document.querySelectorAll('#memory-verdict tr[data-process]')].map(r =>
               [r.dataset.process, Number(r.dataset.slopePerHour), Number(r.dataset.tolerance)]),
             fits: document.querySelectorAll('.fit').length, bands: document.querySelectorAll('.band').length,
             elapsed: document.querySelector(".number[data-key='elapsed_s']").dataset.value}"""
    )
    verdict = judge_memory(first, 0.2)
    assert figures["target"] == TARGET and figures["rate"] == first[-1]["load"]["rate"]
    assert sorted(figures["mappings"]) == sorted(live_charts.short_names(first[-1]["mapping_lag_s"]))
    assert sorted(figures["mappings"]) == ["gps -> location", "hos -> hos"]
    assert dict(figures["e2e"]) == {"p50": 0.8, "p95": pytest.approx(1.79), "p99": 2.4}
    assert sorted(figures["verdict"]) == sorted([p, v["slope_per_hour"], v["tolerance"]] for p, v in verdict.items())
    assert dict((p, s) for p, s, _ in figures["verdict"])["aws"] == pytest.approx(1800, rel=0.02)  # 0.5 MiB/s
    assert figures["fits"] == figures["bands"] == 2
    assert float(figures["elapsed"]) == first[-1]["t"]
    # the run goes on: the page picks up the next publication by itself
    later = samples(30, growth_mib_per_s=0.5)
    page.publish(live_charts.sections(later, TARGET, judge_memory(later, 0.2)), finished=True)
    wait_for(driver, "return document.getElementById('status').textContent.startsWith('run finished')")
    assert (
        float(driver.execute_script("return document.querySelector(\".number[data-key='elapsed_s']\").dataset.value"))
        == later[-1]["t"]
    )
    assert console_errors(driver) == []


def test_the_soak_html_report_is_self_contained_and_holds_the_verdict(browser, tmp_path):  # noqa: F811
    run = samples(40)
    verdict = soak.evaluate(run, None)
    report = {
        "settings": {"rate": TARGET, "duration": 400.0, "vehicles": 3000},
        "samples": run,
        "load": None,
        **verdict,
    }
    path = soak.write_html(report, tmp_path)
    assert path.parent == tmp_path and path.name.startswith("soak-")
    browser.get(path.as_uri())
    browser.get_log("browser")
    browser.refresh()
    assert console_errors(browser) == []
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    figures = browser.execute_script(
        """return {verdict: document.getElementById('verdict').textContent,
             dlq: Number(document.querySelector(".number[data-key='dlq_depth']").dataset.value),
             checks: document.querySelectorAll('#checks tr').length}"""
    )
    assert figures["verdict"] == ("PASS" if report["passed"] else "FAIL")
    assert figures["dlq"] == 1 and figures["checks"] == len(report["checks"])
    assert report["checks"]["DLQs do not grow"] is False and figures["verdict"] == "FAIL"
