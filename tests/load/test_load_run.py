"""`python -m loadtest.load` end to end against a moto server (Kinesis only): workers split the fleet,
every generated record lands in its stream once, and the exit code follows the report.

Timing verdicts (sent rate vs schedule) depend on how busy the machine is, so these tests assert
delivery and accounting; the verdict logic itself is tested on fixed numbers in test_load_report."""

import json

from loadtest import load
from loadtest.sent_records import rebuild
from tests.load.conftest import count_stream_records, make_streams


def _run(tmp_path, *extra):
    report_path = tmp_path / "report.json"
    code = load.main(
        ["--target", "local", "--no-live", "--html-dir", str(tmp_path / "html"), "--report", str(report_path), *extra]
    )
    return code, json.loads(report_path.read_text())


def test_simulator_shards_over_two_workers_deliver_every_record_once(aws_at, tmp_path):
    make_streams(aws_at, "simrun")
    scenario = tmp_path / "small.yaml"
    scenario.write_text("fleet:\n  vehicles: 900\n  fleets: 3\n")
    code, report = _run(
        tmp_path,
        "--scenario",
        str(scenario),
        "--project",
        "simrun",
        "--workers",
        "2",
        "--duration",
        "4",
        "--rate-factor",
        "2",
    )
    assert code == (0 if report["passed"] else 1)
    generated, sent = report["records"]["generated"], report["records"]["sent"]
    assert sent == generated
    html = (tmp_path / "html" / report["html_report"].rsplit("/", 1)[-1]).read_text()  # the charts, kept
    assert "id='verdict'" in html and "Send rate vs target" in html
    # 900 vehicles: GPS every 30 s and diagnostics every 60 s, phases spread by vehicle index, so
    # 4 simulated seconds carry 4/30 and 4/60 of the fleet; each driver's initial HOS status once.
    assert generated["gps"] == 900 * 4 // 30
    assert generated["diagnostics"] == 900 * 4 // 60
    assert generated["hos"] >= 900
    for kind in ("gps", "diagnostics", "hos"):
        assert count_stream_records(aws_at, f"simrun-dev-{kind}") == generated[kind]
    assert report["settings"]["total_shards"] == 2
    # The soak's accounting rebuilds what the workers sent from the report alone, shard by shard.
    sent = rebuild(report["settings"])
    assert {kind: sent.total(kind) for kind in generated} == generated
    assert len(sent.hos_keys) == generated["hos"] and len(sent.last_fix_ms) == generated["gps"]
    assert report["e2e_unavailable"].startswith("table simrun-dev-")
    verdicts = {s["name"]: s["status"] for s in report["slos"]}
    assert verdicts["dropped after retries"] == "PASS"
    assert verdicts["end-to-end p95 s"] == "n/a"  # no tables, nothing consumes: not measurable


def test_machine_shard_sends_only_its_part_of_the_fleet(aws_at, tmp_path):
    make_streams(aws_at, "half")
    code, report = _run(
        tmp_path,
        "--source",
        "fixed",
        "--vehicles",
        "1200",
        "--project",
        "half",
        "--workers",
        "1",
        "--shard",
        "1/2",
        "--duration",
        "2",
        "--rate-factor",
        "4",
        "--no-e2e",
    )
    assert code == (0 if report["passed"] else 1)
    # Fixed source: vehicle v sends GPS at second v % 30; this machine holds odd vehicles only.
    odd_in_first_two_seconds = sum(1 for v in range(1, 1200, 2) if v % 30 in (0, 1))
    assert report["records"]["sent"]["gps"] == odd_in_first_two_seconds


def test_missing_stream_fails_the_run(aws_at, tmp_path):
    make_streams(aws_at, "broken", {"gps": 1, "diagnostics": 1, "hos": 1})
    code, report = _run(
        tmp_path,
        "--source",
        "fixed",
        "--vehicles",
        "300",
        "--project",
        "broken",
        "--workers",
        "1",
        "--duration",
        "2",
        "--rate-factor",
        "4",
        "--no-e2e",
        "--stream",
        "gps=does-not-exist",
    )
    assert code == 1
    assert not report["passed"]
    assert any("ResourceNotFound" in error for error in report["errors"])
