"""`python -m loadtest.soak` for a few seconds against moto: samples memory of the stack's processes
(here: a stand-in service listed in the pid files), runs the load child, and reports."""

import json
import os
import subprocess
import sys

from loadtest import soak
from loadtest.sampling import start_token
from tests.load.conftest import make_streams


def test_short_soak_reports_flat_memory_of_a_steady_process(aws_at, tmp_path, capsys):
    make_streams(aws_at, "soak")
    state = tmp_path / "state"
    (state / "pids").mkdir(parents=True)
    service = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (state / "pids" / "standin.pid").write_text(
            json.dumps({"service": "standin", "pid": service.pid, "start_token": start_token(service.pid)})
        )
        report_path = tmp_path / "soak.json"
        code = soak.main(
            [
                "--duration",
                "4",
                "--rate",
                "50",
                "--sample-every",
                "0.5",
                "--source",
                "fixed",
                "--project",
                "soak",
                "--no-live",
                "--no-web",
                "--html-dir",
                str(tmp_path / "html"),
                "--report",
                str(report_path),
            ]
        )
    finally:
        service.kill()
        service.wait()
    report = json.loads(report_path.read_text())
    assert code == (0 if report["passed"] else 1)
    assert report["load_exit_code"] in (0, 1), report["load_output_tail"]  # ran to its end
    assert report["settings"]["vehicles"] == soak.vehicles_for_rate(50)
    assert report["memory"]["standin"]["flat"]
    assert report["memory"]["standin"]["tree"]["samples"] >= 1  # judged split: process, shm, environments
    assert report["samples"][-1]["memory"]["standin"]["main_mib"] > 1
    assert report["memory"]["standin"]["environments"] is None  # a plain process runs none
    out = capsys.readouterr().out
    assert "mem standin" in out
    assert len(report["samples"]) >= 5
    assert report["checks"]["load service levels"] is not None  # the load report was read
    assert report["records"] == {"skipped_because": "the fixed filler source", "passed": None}
    assert report["checks"]["records accounted for"] is None and "accounting: not done" in out
    assert os.path.exists(report["load_report"])
    load = report["load"]  # the load run's figures travel with the soak report
    assert load["rates"]["sent_per_s"] > 0 and sum(load["records"]["sent"].values()) > 0
    assert not set(soak.LOAD_SERIES) & set(load)
    assert "load run:" in out and "records sent: " in out
    (html,) = (tmp_path / "html").glob("soak-*.html")  # the charts and verdict as a page
    assert "id='verdict'" in html.read_text() and "Memory per process" in html.read_text()
