"""The live view renders a snapshot's streams, lag, queues and DLQs."""

from rich.console import Console

from loadtest.live_view import LiveView, render


def test_render_shows_every_section():
    snapshot = {
        "title": "load t",
        "elapsed_s": 12.5,
        "streams": {"gps": {"rate": 1000.0, "sent": 12000, "generated": 12000}},
        "throttled": 3,
        "dropped": 0,
        "behind_s": 0.25,
        "lag": {"fleettap-dev-gps": 1.5},
        "queues": {"fleettap-dev-fleet_manager_queue": 4},
        "dlqs": {"fleettap-dev-fuel-dlq": 2},
        "alert_rate": 0.5,
        "e2e_p95_s": 1.2,
        "e2e_pending": 3,
        "rss_mib": {"aws": 512.0},
    }
    console = Console(width=140, record=True)
    console.print(render(snapshot))
    text = console.export_text()
    for expected in (
        "gps rec/s",
        "1,000",
        "sent 12,000 / generated 12,000",
        "lag fleettap-dev-gps",
        "queue fleettap-dev-fleet_manager_queue",
        "DLQ fleettap-dev-fuel-dlq",
        "alerts/s",
        "e2e p95 s",
        "RSS aws",
        "512.0",
    ):
        assert expected in text, expected


def test_disabled_view_is_silent(capsys):
    with LiveView(enabled=False) as view:
        view.update({"elapsed_s": 1.0})
    assert capsys.readouterr().out == ""
