"""Unit tests of the load/soak page's pure parts: the memory fit and tolerance band, the figures
read from the load run's snapshot, the snapshot file."""

from __future__ import annotations

import pytest

from loadtest import live_charts, soak
from loadtest.live_view import LiveView, read_snapshot, write_snapshot
from loadtest.soak_memory import judge_memory
from tests.report.soak_fixture import TARGET, samples


def test_the_memory_fit_has_the_verdicts_slope_and_the_band_its_tolerance():
    run = samples(40, growth_mib_per_s=0.5)
    verdict = judge_memory(run, 0.2)["aws"]
    points = live_charts.judged_memory_points(run, "aws")
    (x0, y0, x1, y1), (bx0, bx1, low, high) = live_charts.memory_fit(points, verdict)
    assert x0 == min(t for t, _ in points if t >= verdict["judged_from_t"]) and x1 == run[-1]["t"]
    assert (y1 - y0) == pytest.approx(verdict["growth"], rel=1e-3)  # the fitted growth the verdict judges
    assert (bx0, bx1, low) == (x0, x1, y0) and high - low == pytest.approx(verdict["tolerance"])
    assert not verdict["flat"] and (y1 > high)  # growing: the fit leaves the band


def test_judged_points_fall_back_to_the_tree_without_a_split():
    assert live_charts.judged_memory_points([{"t": 1.0, "rss_mib": {"a": 5.0}}], "a") == [(1.0, 5.0)]


def test_sections_show_the_latest_figures():
    run = samples(10)
    parts = live_charts.sections(run, TARGET, judge_memory(run, 0.2))
    assert list(parts) == ["numbers", "rate", "lag", "e2e", "memory", "errors"]
    assert f"data-key='target_rate' data-value='{TARGET}'" in parts["numbers"]
    assert "data-reference='target'" in parts["rate"] and "id='memory-verdict'" in parts["memory"]
    assert "No data" in live_charts.sections([{"t": 0.0}])["rate"]


def test_load_figures_sum_the_stream_rates():
    snapshot = {"streams": {"gps": {"rate": 100.0}, "hos": {"rate": 2.5}, "x": {"rate": None}}, "e2e_p95_s": 1.2}
    figures = soak.load_figures(snapshot)
    assert figures["rate"] == 102.5 and figures["e2e_p95_s"] == 1.2 and figures["e2e_p99_s"] is None
    assert soak.load_figures(None) is None


def test_the_live_view_writes_its_snapshot_when_asked(tmp_path, monkeypatch):
    path = tmp_path / "live.json"
    monkeypatch.setenv("FLEETTAP_LIVE_SNAPSHOT", str(path))
    with LiveView(enabled=False) as view:
        view.update({"elapsed_s": 1.0, "_recent": {"gps": []}})
    assert read_snapshot(path) == {"elapsed_s": 1.0}
    write_snapshot(path, {"a": 1})
    assert read_snapshot(path) == {"a": 1} and read_snapshot(tmp_path / "none.json") is None


def test_a_load_runs_live_view_feeds_the_page_one_sample_per_update():
    from loadtest.live_page import LivePage
    from loadtest.live_view import sample_of

    snapshot = {"elapsed_s": 3.25, "streams": {"gps": {"rate": 40.0}}, "lag": {"gps": 0.4}, "dlqs": {"q-dlq": 2}}
    assert sample_of(snapshot) == {
        "t": 3.25,
        "load": {
            "rate": 40.0,
            "sent": 0,
            "e2e_p50_s": None,
            "e2e_p95_s": None,
            "e2e_p99_s": None,
            "throttled": None,
            "dropped": None,
        },
        "lag_s": {"gps": 0.4},
        "dlqs": {"q-dlq": 2},
        "rss_mib": {},
    }
    page = LivePage("load")  # not started: publish only stores
    with LiveView(enabled=False, page=page) as view:
        view.update(snapshot)
    assert len(view.samples) == 1 and page._data["version"] == 1
    assert "data-last='40.0'" in page._data["sections"]["rate"]
    page.stop()


def test_send_rate_comes_from_the_cumulative_count_when_the_samples_carry_it():
    run = [{"t": 0.0, "load": {"sent": 0}}, {"t": 10.0, "load": {"sent": 1900, "rate": None}}, {"t": 20.0}]
    assert live_charts.send_rate(run) == [(10.0, 190.0)]
    assert live_charts.send_rate([{"t": 1.0, "load": {"rate": 5.0}}]) == [(1.0, 5.0)]


def test_series_names_lose_the_shared_resource_prefix():
    names = {"fleettap-dev-gps -> fleettap-dev-location": [], "fleettap-dev-hos -> fleettap-dev-hos": []}
    assert sorted(live_charts.short_names(names)) == ["gps -> location", "hos -> hos"]
    assert live_charts.short_names({"only": []}) == {"only": []}


def test_the_numbers_keep_the_load_runs_last_figures_after_it_ended():
    run = samples(5) + [{"t": 60.0, "dlqs": {}}]
    numbers = live_charts.sections(run, TARGET)["numbers"]
    assert "data-key='e2e_p95_s' data-value='1.64" in numbers and "data-key='elapsed_s' data-value='60.0'" in numbers
