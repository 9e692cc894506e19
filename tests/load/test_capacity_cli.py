"""`python -m capacity_planner` against tfvars files written here with the contract's prod numbers."""

import json
import subprocess
import sys
from pathlib import Path

from capacity_planner.cli import main

REPO = Path(__file__).resolve().parents[2]

PROD_TFVARS = """
env = "prod"
stream_mode = "PROVISIONED"
gps_shard_count         = {gps}
diagnostics_shard_count = {diagnostics}
hos_shard_count         = {hos}
reserved_concurrency = 50
billing_mode = "PAY_PER_REQUEST"
node_type = "cache.r6g.large"
num_cache_clusters = 2
min_capacity = 0.5
max_capacity = 16
"""


def _write(tmp_path, **shards):
    path = tmp_path / "prod.tfvars"
    path.write_text(PROD_TFVARS.format(**{"gps": 12, "diagnostics": 7, "hos": 2, **shards}))
    return path


def test_prod_sized_by_the_formula_passes(tmp_path, capsys):
    assert main(["--env", "prod", "--vehicles", "234000", "--tfvars", str(_write(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "OK: every capacity meets the requirement" in out
    assert "SHORT" not in out


def test_too_few_shards_is_flagged_and_names_the_stream(tmp_path, capsys):
    code = main(["--tfvars", str(_write(tmp_path, gps=4))])
    out = capsys.readouterr().out
    assert code == 1
    assert "kinesis/gps shards needs 12 shards, has 4" in out
    assert "diagnostics shards needs" not in out


def test_contract_prod_shards_fit_when_diagnostics_records_are_smaller(tmp_path, capsys):
    # contracts.md prod has 6 diagnostics shards: short at 550 B records, enough at <= 537 B.
    path = _write(tmp_path, diagnostics=6)
    assert main(["--tfvars", str(path)]) == 1
    assert "kinesis/diagnostics shards needs 7" in capsys.readouterr().out
    assert main(["--tfvars", str(path), "--record-bytes", "diagnostics=520"]) == 0


def test_unreadable_tfvars_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.tfvars"
    bad.write_text("gps_shard_count = var.x\n")
    assert main(["--tfvars", str(bad)]) == 2
    assert main(["--tfvars", str(tmp_path / "missing.tfvars")]) == 2


def test_module_entry_point_prints_json(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "capacity_planner", "--tfvars", str(_write(tmp_path, hos=0)), "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    report = json.loads(result.stdout)
    short = [c["item"] for c in report["checks"] if c["status"] == "SHORT"]
    assert short == ["hos shards"]
    assert report["streams"]["gps"]["records_per_s"] == 7_800
